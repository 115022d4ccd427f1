// The template, task and run pages as a user without JavaScript uses them: the editor's buttons,
// declaring a variable, saving with errors shown in place, testing, importing a HAR upload, creating
// a task, running it and reading why it failed — with secrets never in a page.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';

const decode = (html: string) => html.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

for (const dialect of DIALECTS) {
  describe(`template and task pages (${dialect})`, () => {
    let app: TestApp;
    let site: TestServer;
    let browser: WebClient;

    before(async () => {
      app = await startTestApp(dialect, { env: { ALLOW_PRIVATE_NETWORK: 'true' } });
      site = await startServer((req, res) => {
        const ok = req.headers.cookie === 'session=cookie-from-har-123';
        res.writeHead(ok ? 200 : 403, { 'content-type': 'application/json' });
        res.end(JSON.stringify(ok ? { msg: 'checked in' } : { msg: 'please log in' }));
      });
      browser = new WebClient(app.url);
      await browser.register(`pages-${dialect}@example.com`);
    });
    after(async () => {
      await site.close();
      await app.close();
    });

    it('edits a draft with buttons, without saving, and keeps everything typed', async () => {
      await browser.get('/templates/new');
      const base = { name: 'Draft', 'steps[0][method]': 'GET', 'steps[0][url]': `${site.url}/a?u={{ user }}`, 'steps[0][headers]': 'Accept: */*' };
      const added = await browser.post('/templates/new', { ...base, op: 'add-step' });
      assert.equal(added.status, 200);
      assert.match(added.html, /name="steps\[1\]\[url\]"/);
      assert.match(decode(added.html), new RegExp(`value="${site.url}/a\\?u=\\{\\{ user \\}\\}"`));
      assert.match(added.html, /Used but not declared:/);
      assert.match(added.html, /value="declare:user"/);
      const declared = await browser.post('/templates/new', { ...base, op: 'declare:user' });
      assert.match(declared.html, /name="variables\[0\]\[name\]" value="user"/);
      assert.doesNotMatch(declared.html, /value="declare:user"/);
      const withRule = await browser.post('/templates/new', { ...base, op: 'add-assert:0' });
      assert.match(withRule.html, /name="steps\[0\]\[assert\]\[0\]\[op\]"/);
      const moved = await browser.post('/templates/new', { ...base, 'steps[1][method]': 'POST', 'steps[1][url]': 'https://second.example', op: 'up-step:1' });
      assert.match(moved.html, /name="steps\[0\]\[url\]" value="https:\/\/second.example"/);
      const removed = await browser.post('/templates/new', { ...base, op: 'remove-step:0' });
      assert.doesNotMatch(removed.html, /name="steps\[0\]\[url\]"/);
      assert.equal((await browser.get('/templates')).html.includes('Draft'), false, 'nothing was saved');
    });

    it('shows each bad field in place on save, keeps the input and saves nothing', async () => {
      await browser.get('/templates/new');
      const page = await browser.post('/templates/new', {
        op: 'save',
        name: '',
        'steps[0][method]': 'GET',
        'steps[0][url]': 'not a url',
        'steps[0][headers]': 'no colon here',
        'steps[0][timeoutSeconds]': '500',
        'steps[0][extract][0][name]': '9lives',
        'steps[0][extract][0][from]': 'json',
        'steps[0][extract][0][where]': '',
      });
      assert.equal(page.status, 400);
      assert.match(page.html, /id="f-name-error"[^>]*>Required/);
      assert.match(page.html, /id="s0-url-error"[^>]*>Must be an http:\/\/ or https:\/\/ URL/);
      assert.match(page.html, /Line 1 is not of the form “Name: value”/);
      assert.match(page.html, /From 1 to 120 seconds/);
      assert.match(page.html, /Letters, digits and _ only/);
      assert.match(page.html, /Give a JSON path such as \$\.data\.msg/);
      assert.match(page.html, /value="not a url"/);
      assert.match(page.html, />no colon here</);
    });

    let templateId: number;
    it('imports an uploaded HAR file, opens it in the editor, and saves a secret variable for the cookie', async () => {
      await browser.get('/templates/import');
      const har = {
        log: {
          version: '1.2',
          creator: { name: 'WebInspector', version: '537.36' },
          entries: [
            {
              request: { method: 'GET', url: `${site.url}/checkin`, httpVersion: 'HTTP/1.1', headers: [{ name: 'Cookie', value: 'session=cookie-from-har-123' }], cookies: [] },
              response: { status: 200, headers: [], content: { mimeType: 'application/json' } },
            },
            { request: { method: 'GET', url: `${site.url}/logo.png`, headers: [] }, response: { status: 200, content: { mimeType: 'image/png' } } },
          ],
        },
      };
      const form = new FormData();
      form.append('file', new Blob([JSON.stringify(har)], { type: 'application/json' }), 'site.har');
      form.append('dropStaticAssets', 'on');
      form.append('name', 'Check in');
      const uploaded = await browser.postMultipart('/templates/import', form);
      assert.equal(uploaded.status, 303, uploaded.html.slice(0, 500));
      templateId = Number(/\/templates\/(\d+)\/edit/.exec(uploaded.location!)![1]);
      const editor = await browser.get(uploaded.location!);
      assert.match(editor.html, /Imported 1 step/);
      assert.match(editor.html, /session=cookie-from-har-123/, 'the recorded cookie is in the step until made a variable');
      assert.match(editor.html, /value="cookie-variable:0"/);

      const converted = await browser.post(`/templates/${templateId}/edit`, {
        op: 'cookie-variable:0',
        name: 'Check in',
        'steps[0][method]': 'GET',
        'steps[0][url]': `${site.url}/checkin`,
        'steps[0][headers]': 'Cookie: session=cookie-from-har-123\nAccept: */*',
      });
      assert.equal(converted.status, 200);
      assert.match(decode(converted.html), />Cookie: \{\{ cookie \}\}\nAccept: \*\/\*</);
      assert.match(converted.html, /name="variables\[0\]\[name\]" value="cookie"/);
      assert.match(converted.html, /name="variables\[0\]\[secret\]" checked/);
      assert.doesNotMatch(converted.html, /value="cookie-variable:0"/, 'nothing left to convert');

      const saved = await browser.post(`/templates/${templateId}/edit`, {
        op: 'save',
        name: 'Check in',
        'variables[0][name]': 'cookie',
        'variables[0][default]': 'session=cookie-from-har-123',
        'variables[0][secret]': 'on',
        'steps[0][method]': 'GET',
        'steps[0][url]': `${site.url}/checkin`,
        'steps[0][headers]': 'Cookie: {{ cookie }}',
        'steps[0][assert][0][from]': 'json',
        'steps[0][assert][0][where]': '$.msg',
        'steps[0][assert][0][op]': 'equals',
        'steps[0][assert][0][value]': 'checked in',
      });
      assert.equal(saved.status, 303);
      const reopened = await browser.get(`/templates/${templateId}/edit`);
      assert.doesNotMatch(reopened.html, /cookie-from-har-123/, 'a secret default is never shown again');
      assert.match(reopened.html, /set — leave empty to keep/);
    });

    it('tests the draft in the editor: the result shows, nothing is stored', async () => {
      const result = await browser.post(`/templates/${templateId}/edit`, {
        op: 'test',
        name: 'Check in',
        'variables[0][name]': 'cookie',
        'variables[0][secret]': 'on',
        'steps[0][method]': 'GET',
        'steps[0][url]': `${site.url}/checkin`,
        'steps[0][headers]': 'Cookie: {{ cookie }}',
      });
      assert.equal(result.status, 200);
      assert.match(result.html, /Test result:\s*<span class="status status-success">Success/);
      assert.doesNotMatch(result.html, /cookie-from-har-123/);
      assert.match(result.html, /Cookie: ••••/);
      assert.equal(Number(((await app.database.db.knex('task_runs').count({ n: '*' }).first()) as { n: number }).n), 0);
    });

    it('creates a task, runs it, and shows step by step why a run failed', async () => {
      const form = await browser.get(`/tasks/new?templateId=${templateId}`);
      assert.match(form.html, /type="password" id="f-var-cookie"/);
      const created = await browser.post('/tasks/new', { templateId: String(templateId), name: 'Check in daily', enabled: 'on', 'variables[cookie]': 'session=wrong-cookie-999' });
      assert.equal(created.status, 303, created.html.slice(0, 300));
      const taskPath = created.location!;
      const task = await browser.get(taskPath);
      assert.match(task.html, /No runs yet/);
      assert.doesNotMatch(task.html, /wrong-cookie-999/);

      const ran = await browser.post(`${taskPath}/run`);
      assert.equal(ran.status, 303);
      const run = await browser.get(ran.location!);
      assert.equal(run.status, 200);
      assert.match(run.html, /The run failed; the steps below say why/);
      assert.match(decode(run.html), /step 1\/1 failed: assertion failed: json \$\.msg equals "checked in" \(it is "please log in"\)/);
      assert.match(decode(run.html), /"msg":"please log in"/);
      assert.doesNotMatch(run.html, /wrong-cookie-999/);
      assert.match(run.html, /Cookie: ••••/);
      const listed = await browser.get(taskPath);
      assert.match(listed.html, /status-failure">✕ Failed/);

      const edited = await browser.get(`${taskPath}/edit`);
      assert.match(edited.html, /set, ends in ••••-999 — leave empty to keep/);
      assert.doesNotMatch(edited.html, /wrong-cookie-999/);
      await browser.post(`${taskPath}/edit`, { name: 'Check in daily', enabled: 'on', 'variables[cookie]': '', 'clear[cookie]': 'on' });
      const good = await browser.post(`${taskPath}/run`);
      assert.match((await browser.get(good.location!)).html, /The run succeeded/, 'cleared: the template default applies');
    });
  });
}
