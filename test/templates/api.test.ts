// /api/v1/templates: validation with per-field errors, secret defaults, public templates, copies,
// deletion rules, the dry-run test, imports.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { api, userWithToken } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';

for (const dialect of DIALECTS) {
  describe(`templates API (${dialect})`, () => {
    let app: TestApp;
    let site: TestServer;
    let ada: Awaited<ReturnType<typeof userWithToken>>;
    let bob: Awaited<ReturnType<typeof userWithToken>>;
    const call = (who: { token: string }, method: string, path: string, body?: unknown) => api(app.url, method, path, { token: who.token, body });

    before(async () => {
      app = await startTestApp(dialect, { env: { ALLOW_PRIVATE_NETWORK: 'true' } });
      site = await startServer((req, res) => {
        res.writeHead(req.headers.cookie === 'sid=top-secret-cookie' ? 200 : 403, { 'content-type': 'text/plain' });
        res.end(`hello ${req.headers.cookie ?? 'nobody'}`);
      });
      ada = await userWithToken(app.url, `ada-${dialect}@example.com`);
      bob = await userWithToken(app.url, `bob-${dialect}@example.com`);
    });
    after(async () => {
      await site.close();
      await app.close();
    });

    const checkin = () => ({
      name: 'Daily check-in',
      siteUrl: site.url,
      variables: [{ name: 'cookie', default: 'sid=top-secret-cookie', secret: true, description: 'the session cookie' }],
      steps: [{ method: 'GET', url: site.url + '/checkin', headers: { Cookie: '{{ cookie }}' }, assert: [{ from: 'status', op: 'equals', value: 200 }] }],
    });

    it('creates a template and never shows a secret default again', async () => {
      const res = await call(ada, 'POST', '/templates', checkin());
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.name, 'Daily check-in');
      assert.equal(res.body.owned, true);
      assert.equal(res.body.public, false);
      assert.deepEqual(res.body.variables, [{ name: 'cookie', default: '••••okie', secret: true, description: 'the session cookie' }]);
      assert.doesNotMatch(JSON.stringify(res.body), /top-secret/);
      const again = await call(ada, 'GET', `/templates/${res.body.id}`);
      assert.doesNotMatch(JSON.stringify(again.body), /top-secret/);
    });

    it('keeps a secret default when an edit sends it back masked or leaves it out, clears it with ""', async () => {
      const { body: created } = await call(ada, 'POST', '/templates', checkin());
      const masked = await call(ada, 'PATCH', `/templates/${created.id}`, { variables: created.variables });
      assert.equal(masked.status, 200);
      const test = await call(ada, 'POST', `/templates/${created.id}/test`, {});
      assert.equal(test.body.status, 'success', 'the stored secret was kept and used');
      await call(ada, 'PATCH', `/templates/${created.id}`, { variables: [{ name: 'cookie', secret: true }] });
      assert.equal((await call(ada, 'POST', `/templates/${created.id}/test`, {})).body.status, 'success');
      await call(ada, 'PATCH', `/templates/${created.id}`, { variables: [{ name: 'cookie', secret: true, default: '' }] });
      assert.equal((await call(ada, 'POST', `/templates/${created.id}/test`, {})).body.status, 'failure');
    });

    it('answers bad input with 400 naming each field, and saves nothing', async () => {
      const before = (await call(ada, 'GET', '/templates')).body.items.length;
      const bad = await call(ada, 'POST', '/templates', {
        name: 'x'.repeat(101),
        variables: [{ name: '1bad' }, { name: 'dup' }, { name: 'dup' }],
        steps: [
          { method: 'FETCH', url: 'ftp://example.com' },
          { method: 'GET', url: 'notaurl', headers: { 'Bad Header': 'x' } },
          { method: 'POST', url: 'https://example.com/{{ path }}', body: 'x'.repeat(1024 * 1024 + 1) },
          { method: 'GET', url: 'https://example.com', extract: [{ name: 't', from: 'json' }], assert: [{ from: 'status', op: 'lt', value: 'abc' }] },
        ],
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'invalid_input');
      const fields = bad.body.error.fields;
      for (const f of ['name', 'variables.0.name', 'variables.2.name', 'steps.0.method', 'steps.0.url', 'steps.1.url', 'steps.1.headers.Bad Header', 'steps.2.body', 'steps.3.extract.0.path', 'steps.3.assert.0.value']) {
        assert.ok(fields[f], `${f} is named: ${JSON.stringify(fields)}`);
      }
      assert.equal(fields['steps.0.url'], 'Must be an http:// or https:// URL.');
      assert.equal(fields['steps.2.url'], undefined, 'a URL with {{ }} is checked when rendered');
      const tooMany = await call(ada, 'POST', '/templates', { name: 'many', steps: Array.from({ length: 101 }, () => ({ method: 'GET', url: 'https://example.com' })) });
      assert.equal(tooMany.body.error.fields.steps, 'At most 100 steps.');
      const none = await call(ada, 'POST', '/templates', { name: 'none', steps: [] });
      assert.equal(none.body.error.fields.steps, 'A template needs at least one step.');
      assert.equal((await call(ada, 'GET', '/templates')).body.items.length, before);
    });

    it('shows public templates to everyone, without their secret defaults, but only the owner may change them', async () => {
      const { body: shared } = await call(ada, 'POST', '/templates', { ...checkin(), name: 'Shared one', public: true });
      const list = await call(bob, 'GET', '/templates');
      const seen = list.body.items.find((t: { id: number }) => t.id === shared.id);
      assert.deepEqual({ public: seen.public, owned: seen.owned, stepCount: seen.stepCount }, { public: true, owned: false, stepCount: 1 });
      const read = await call(bob, 'GET', `/templates/${shared.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body.variables, [{ name: 'cookie', secret: true, description: 'the session cookie' }]);
      assert.equal((await call(bob, 'PATCH', `/templates/${shared.id}`, { name: 'mine now' })).status, 403);
      assert.equal((await call(bob, 'DELETE', `/templates/${shared.id}`)).status, 403);
      const copy = await call(bob, 'POST', `/templates/${shared.id}/copy`);
      assert.equal(copy.status, 201);
      assert.equal(copy.body.owned, true);
      assert.equal(copy.body.public, false);
      assert.equal(copy.body.copiedFrom, shared.id);
      assert.deepEqual(copy.body.variables, [{ name: 'cookie', secret: true, description: 'the session cookie' }]);
      // Bob's test of Ada's public template runs without Ada's secret.
      assert.equal((await call(bob, 'POST', `/templates/${shared.id}/test`, {})).body.status, 'failure');
    });

    it('points out variables used but not declared', async () => {
      const res = await call(ada, 'POST', '/templates', {
        name: 'undeclared',
        steps: [
          { method: 'GET', url: 'https://example.com/{{ user }}?t={{ ts | int }}', extract: [{ name: 'token', from: 'body', pattern: 't=(\\w+)' }] },
          { method: 'GET', url: 'https://example.com/{{ token }}' },
        ],
      });
      assert.deepEqual(res.body.undeclared, ['ts', 'user']);
    });

    it('refuses to delete a template that tasks use', async () => {
      const { body: t } = await call(ada, 'POST', '/templates', checkin());
      const { body: task } = await call(ada, 'POST', '/tasks', { templateId: t.id, name: 'uses it' });
      const refused = await call(ada, 'DELETE', `/templates/${t.id}`);
      assert.equal(refused.status, 409);
      assert.match(refused.body.error.message, /used by 1 task/);
      await call(ada, 'DELETE', `/tasks/${task.id}`);
      assert.equal((await call(ada, 'DELETE', `/templates/${t.id}`)).status, 204);
      assert.equal((await call(ada, 'GET', `/templates/${t.id}`)).status, 404);
    });

    it('runs a dry test that stores nothing', async () => {
      const { body: t } = await call(ada, 'POST', '/templates', checkin());
      const test = await call(ada, 'POST', `/templates/${t.id}/test`, { variables: { cookie: 'sid=wrong' } });
      assert.equal(test.status, 200);
      assert.equal(test.body.id, null);
      assert.equal(test.body.status, 'failure');
      assert.equal(test.body.steps[0].status, 403);
      const right = await call(ada, 'POST', `/templates/${t.id}/test`, {});
      assert.equal(right.body.status, 'success');
      assert.doesNotMatch(JSON.stringify(right.body), /top-secret-cookie/, 'the secret is masked in the answer');
      assert.match(right.body.steps[0].requestHeaders.Cookie, /••••/);
      const runs = await app.database.db.knex('task_runs').count({ n: '*' }).first();
      assert.equal(Number((runs as { n: number }).n), 0);
    });

    it('imports a curl command and a HAR file, and refuses a broken one without saving', async () => {
      const curl = await call(ada, 'POST', '/templates/import', { content: `curl '${site.url}/api?x=1' -H 'cookie: a=b' --data-raw 'q=1'` });
      assert.equal(curl.status, 201, JSON.stringify(curl.body));
      assert.equal(curl.body.steps[0].method, 'POST');
      assert.ok(Array.isArray(curl.body.warnings));
      const har = {
        log: {
          version: '1.2',
          entries: [{ request: { method: 'GET', url: `${site.url}/page`, headers: [{ name: 'Accept', value: 'text/html' }], httpVersion: 'HTTP/1.1' }, response: { status: 200, headers: [], content: { mimeType: 'text/html' } } }],
        },
      };
      const imported = await call(ada, 'POST', '/templates/import', { content: har, name: 'From HAR' });
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      assert.equal(imported.body.name, 'From HAR');
      assert.deepEqual(imported.body.steps[0].assert, [{ from: 'status', op: 'equals', value: 200 }]);
      const before = (await call(ada, 'GET', '/templates')).body.items.length;
      const broken = await call(ada, 'POST', '/templates/import', { format: 'har', content: '{"log": ' });
      assert.equal(broken.status, 400);
      assert.equal(broken.body.error.code, 'invalid_import');
      assert.ok(broken.body.error.fields.content);
      assert.equal((await call(ada, 'GET', '/templates')).body.items.length, before);
    });
  });
}
