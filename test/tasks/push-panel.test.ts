// The push panel of the task page: push on/off for the task, each of the user's defaults either
// inherited (and shown as such, with its value) or overridden for this task, the task's own templates
// (set through the API) kept, bad input named in the panel with the input kept, and another user's
// task a 404.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient, api, userWithToken } from '../helpers/client.js';

const NOW = Date.parse('2026-11-21T03:00:00Z');

/** The panel's fields as a browser sends them with nothing changed on a task that uses the defaults. */
const PANEL: Record<string, string | string[]> = {
  pushEnabled: 'on',
  pushMode: 'defaults',
  manualSuccess: 'inherit',
  manualFailure: 'inherit',
  autoSuccess: 'inherit',
  autoFailure: 'inherit',
  notifyRecovery: 'inherit',
  failureThreshold: '',
  repeat: 'inherit',
  registrations: 'inherit',
};

/** The summary line of one setting: its value and where it comes from. */
function summaryOf(html: string, key: string): string | undefined {
  const m = new RegExp(`<dd data-setting="${key}">([^<]*)<small class="[^"]*">([^<]*)</small>`).exec(html);
  return m ? `${m[1]!.trim()} (${m[2]})` : undefined;
}

function fieldError(html: string, id: string): string | undefined {
  return new RegExp(`id="${id}-error" class="field-error"[^>]*>([^<]*)<`).exec(html)?.[1];
}

for (const dialect of DIALECTS) {
  describe(`task push panel (${dialect})`, () => {
    let app: TestApp;
    let owner: Awaited<ReturnType<typeof userWithToken>>;
    let browser: WebClient;
    let templateId: number;
    let phone: number;
    let laptop: number;

    const taskOf = async (id: number) => (await api(app.url, 'GET', `/tasks/${id}`, { token: owner.token })).body;
    const newTask = async (body: Record<string, unknown> = {}) => {
      const res = await api(app.url, 'POST', '/tasks', { token: owner.token, body: { templateId, name: 'Check in', ...body } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as number;
    };
    const registration = async (token: string, name: string) =>
      (await api(app.url, 'POST', '/push/registrations', { token, body: { channel: 'bark', name, config: { serverUrl: 'http://127.0.0.1:1', deviceKey: 'k' } } })).body.id as number;

    before(async () => {
      app = await startTestApp(dialect, { clock: { now: () => NOW } });
      await userWithToken(app.url, `admin-panel-${dialect}@example.com`);
      owner = await userWithToken(app.url, `panel-${dialect}@example.com`);
      browser = new WebClient(app.url);
      await browser.login(owner.email);
      templateId = (await api(app.url, 'POST', '/templates', { token: owner.token, body: { name: 'ping', steps: [{ method: 'GET', url: 'http://127.0.0.1:1/' }] } })).body.id;
      phone = await registration(owner.token, 'Phone');
      laptop = await registration(owner.token, 'Laptop');
      const defaults = { autoFailure: true, failureThreshold: 2, repeat: 'once', notifyRecovery: true, registrationIds: [phone] };
      assert.equal((await api(app.url, 'PUT', '/push/settings', { token: owner.token, body: { defaults } })).status, 200);
    });
    after(() => app.close());

    it('shows every setting as inherited from the defaults, with its value', async () => {
      const id = await newTask();
      const page = await browser.get(`/tasks/${id}`);
      assert.equal(page.status, 200);
      assert.match(page.html, /<section id="push" class="push-panel"/);
      assert.equal(summaryOf(page.html, 'autoFailure'), 'On (my default)');
      assert.equal(summaryOf(page.html, 'manualSuccess'), 'Off (my default)');
      assert.equal(summaryOf(page.html, 'failureThreshold'), '2 (my default)');
      assert.equal(summaryOf(page.html, 'repeat'), 'only once per streak (my default)');
      assert.equal(summaryOf(page.html, 'registrationIds'), 'Phone (my default)');
      assert.match(page.html, /name="pushMode" value="defaults" checked/);
      assert.match(page.html, /<option value="inherit" selected>My default \(On\)<\/option>/);
      assert.match(page.html, /placeholder="My default: 2"/);
      assert.match(page.html, /name="registrations" value="inherit" checked> My default \(Phone\)/);
      assert.match(page.html, /So QD’s N is N\+1 here\./);
    });

    it('saves an override and shows it as this task’s, the rest still inherited', async () => {
      const id = await newTask();
      await browser.get(`/tasks/${id}`);
      const saved = await browser.post(`/tasks/${id}/push`, { ...PANEL, pushMode: 'override', manualSuccess: 'on', autoFailure: 'off', failureThreshold: '4', registrations: 'chosen', registrationIds: [String(laptop)] });
      assert.equal(saved.status, 303, saved.html.slice(0, 600));
      assert.equal(saved.location, `/tasks/${id}#push`);
      assert.deepEqual((await taskOf(id)).push, { enabled: true, override: { manualSuccess: true, autoFailure: false, failureThreshold: 4, registrationIds: [laptop] } });

      const page = await browser.get(`/tasks/${id}`);
      assert.match(page.html, /Push settings of this task saved\./);
      assert.equal(summaryOf(page.html, 'manualSuccess'), 'On (this task)');
      assert.equal(summaryOf(page.html, 'autoFailure'), 'Off (this task)');
      assert.equal(summaryOf(page.html, 'failureThreshold'), '4 (this task)');
      assert.equal(summaryOf(page.html, 'registrationIds'), 'Laptop (this task)');
      assert.equal(summaryOf(page.html, 'repeat'), 'only once per streak (my default)');
      assert.match(page.html, /name="pushMode" value="override" checked/);
      assert.match(page.html, /id="f-manualSuccess" name="manualSuccess">\s*<option value="inherit">My default \(Off\)<\/option>\s*<option value="on" selected>/);
      assert.match(page.html, /name="failureThreshold" type="text"\s+value="4"/);
      assert.match(page.html, new RegExp(`name="registrationIds" value="${laptop}" checked`));

      // "All enabled registrations" is an override of its own (null), not the default.
      await browser.post(`/tasks/${id}/push`, { ...PANEL, pushMode: 'override', registrations: 'all' });
      assert.deepEqual((await taskOf(id)).push, { enabled: true, override: { registrationIds: null } });
      assert.equal(summaryOf((await browser.get(`/tasks/${id}`)).html, 'registrationIds'), 'all enabled registrations (this task)');
    });

    it('goes back to the defaults, keeping the task’s own templates', async () => {
      const id = await newTask({ push: { enabled: true, override: { failureThreshold: 5, titleTemplate: 'T {{ task.name }}' } } });
      const page = await browser.get(`/tasks/${id}`);
      assert.match(page.html, /This task has its own title\/body template \(set through the API\); it is kept\./);
      await browser.post(`/tasks/${id}/push`, { ...PANEL, pushMode: 'defaults', failureThreshold: '9' });
      assert.deepEqual((await taskOf(id)).push, { enabled: true, override: { titleTemplate: 'T {{ task.name }}' } });
      const plain = await newTask({ push: { enabled: true, override: { manualFailure: true } } });
      await browser.get(`/tasks/${plain}`);
      await browser.post(`/tasks/${plain}/push`, PANEL);
      assert.deepEqual((await taskOf(plain)).push, { enabled: true });
    });

    it('turns push off for the task and says so', async () => {
      const id = await newTask();
      await browser.get(`/tasks/${id}`);
      const { pushEnabled: _, ...off } = PANEL;
      assert.equal((await browser.post(`/tasks/${id}/push`, off)).status, 303);
      assert.deepEqual((await taskOf(id)).push, { enabled: false });
      const page = await browser.get(`/tasks/${id}`);
      assert.match(page.html, /Push is off for this task: nothing below is used until you turn it on\./);
      assert.match(page.html, /<a href="#push" class="badge badge-push-off">push off<\/a>/);
      assert.doesNotMatch(page.html, /name="pushEnabled" aria-describedby="f-pushEnabled-help" checked/);
    });

    it('names bad input in the panel, keeps it, and saves nothing', async () => {
      const id = await newTask({ push: { enabled: true, override: { manualFailure: true } } });
      await browser.get(`/tasks/${id}`);
      const bad = await browser.post(`/tasks/${id}/push`, { ...PANEL, pushMode: 'override', failureThreshold: '0', repeat: 'sometimes', autoSuccess: 'on' });
      assert.equal(bad.status, 400);
      assert.equal(fieldError(bad.html, 'f-failureThreshold'), 'Must be at least 1.');
      assert.match(fieldError(bad.html, 'f-repeat') ?? '', /^Must be one of: every, once/);
      assert.match(bad.html, /name="failureThreshold" type="text"\s+value="0"/, 'the input is kept');
      assert.match(bad.html, /<option value="on" selected>On<\/option>/);
      assert.match(bad.html, /<h2>Runs<\/h2>/, 'the whole task page comes back');
      assert.deepEqual((await taskOf(id)).push, { enabled: true, override: { manualFailure: true } });

      const stranger = await userWithToken(app.url, `stranger-${dialect}@example.com`);
      const theirs = await registration(stranger.token, 'Not yours');
      await browser.get(`/tasks/${id}`);
      const foreign = await browser.post(`/tasks/${id}/push`, { ...PANEL, pushMode: 'override', registrations: 'chosen', registrationIds: [String(theirs)] });
      assert.equal(foreign.status, 400);
      assert.equal(fieldError(foreign.html, 'f-registrationIds'), 'Not one of your push registrations.');
      assert.doesNotMatch(foreign.html, /Not yours/);
      assert.deepEqual((await taskOf(id)).push, { enabled: true, override: { manualFailure: true } });
    });

    it("answers 404 for another user's task and changes nothing", async () => {
      const id = await newTask();
      const intruder = new WebClient(app.url);
      await intruder.register(`intruder-panel-${dialect}@example.com`);
      assert.equal((await intruder.get(`/tasks/${id}`)).status, 404);
      const post = await intruder.post(`/tasks/${id}/push`, { ...PANEL, pushEnabled: [] as string[] });
      assert.equal(post.status, 404);
      assert.match(post.html, /Page not found/);
      assert.deepEqual((await taskOf(id)).push, { enabled: true });
    });

    it('reads in Chinese', async () => {
      const zh = new WebClient(app.url, { 'accept-language': 'zh-CN' });
      await zh.login(owner.email);
      const page = await zh.get(`/tasks/${await newTask()}`);
      assert.match(page.html, /<h2 id="push-title">推送<\/h2>/);
      assert.match(page.html, /默认（开）/);
    });
  });
}
