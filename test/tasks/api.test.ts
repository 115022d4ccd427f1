// /api/v1/tasks and runs: variables checked and encrypted, secrets masked everywhere (API, stored
// runs), manual runs that wait, run history newest first, values kept across runs with persist.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { api, userWithToken } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';

for (const dialect of DIALECTS) {
  describe(`tasks and runs API (${dialect})`, () => {
    let app: TestApp;
    let site: TestServer;
    let ada: Awaited<ReturnType<typeof userWithToken>>;
    let templateId: number;
    const call = (method: string, path: string, body?: unknown) => api(app.url, method, path, { token: ada.token, body });
    let issued = 0;

    before(async () => {
      app = await startTestApp(dialect, { env: { ALLOW_PRIVATE_NETWORK: 'true' } });
      site = await startServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/refresh') {
          issued += 1;
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ token: `fresh-token-${issued}`, previous: req.headers.authorization ?? null }));
        }
        const ok = req.headers.cookie === 'sid=very-secret-value';
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok, user: url.searchParams.get('user'), echo: req.headers.cookie ?? null }));
      });
      ada = await userWithToken(app.url, `ada-${dialect}@example.com`);
      const { body } = await call('POST', '/templates', {
        name: 'check-in',
        variables: [{ name: 'cookie', secret: true }, { name: 'user', default: 'ada' }],
        steps: [{ method: 'GET', url: site.url + '/checkin?user={{ user }}', headers: { Cookie: '{{ cookie }}' }, extract: [{ name: '__log__', from: 'json', path: '$.user' }] }],
      });
      templateId = body.id;
    });
    after(async () => {
      await site.close();
      await app.close();
    });

    it('creates a task with masked secret variables and checks variable names', async () => {
      const res = await call('POST', '/tasks', { templateId, name: 'Ada daily', group: 'daily', variables: { cookie: 'sid=very-secret-value' } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body.variables, { cookie: '••••alue' });
      assert.deepEqual(res.body.schedule, { type: 'manual' });
      assert.deepEqual(res.body.retry, { count: 8, intervalSeconds: null });
      assert.equal(res.body.group, 'daily');
      assert.equal(res.body.enabled, true);
      assert.equal(res.body.nextRunAt, null);
      const stored = await app.database.db.knex('tasks').where({ id: res.body.id }).first();
      assert.doesNotMatch(JSON.stringify(stored), /very-secret-value/, 'encrypted at rest');

      const typo = await call('POST', '/tasks', { templateId, name: 'typo', variables: { cokie: 'x' } });
      assert.equal(typo.status, 400);
      assert.deepEqual(typo.body.error.fields, { 'variables.cokie': 'The template declares no such variable.' });
      const bad = await call('POST', '/tasks', { templateId: 'abc', name: '', schedule: { type: 'weekly' } });
      assert.equal(bad.status, 400);
      assert.ok(bad.body.error.fields.templateId && bad.body.error.fields.name && bad.body.error.fields['schedule.type'], JSON.stringify(bad.body.error.fields));
      assert.equal((await call('POST', '/tasks', { templateId: 999999, name: 'x' })).body.error.fields.templateId, 'There is no such template.');
    });

    it('keeps a secret variable when an edit leaves it empty or masked, and replaces it when given', async () => {
      const { body: task } = await call('POST', '/tasks', { templateId, name: 'edit me', variables: { cookie: 'sid=very-secret-value' } });
      await call('PATCH', `/tasks/${task.id}`, { variables: { cookie: '' } });
      assert.equal((await call('POST', `/tasks/${task.id}/run`)).body.status, 'success');
      await call('PATCH', `/tasks/${task.id}`, { variables: { cookie: '••••-value', user: 'lovelace' } });
      const run = await call('POST', `/tasks/${task.id}/run`);
      assert.equal(run.body.status, 'success');
      assert.equal(run.body.log, 'lovelace');
      const changed = await call('PATCH', `/tasks/${task.id}`, { variables: { cookie: 'sid=wrong' } });
      assert.deepEqual(changed.body.variables, { cookie: '••••rong', user: 'lovelace' });
      assert.equal((await call('POST', `/tasks/${task.id}/run`)).body.status, 'failure');
      const removed = await call('PATCH', `/tasks/${task.id}`, { variables: { user: null } });
      assert.deepEqual(Object.keys(removed.body.variables), ['cookie']);
    });

    it('runs a task now, waits, and returns the whole run with the secret masked', async () => {
      const { body: task } = await call('POST', '/tasks', { templateId, name: 'run me', variables: { cookie: 'sid=very-secret-value' } });
      const run = await call('POST', `/tasks/${task.id}/run`);
      assert.equal(run.status, 200);
      assert.equal(run.body.status, 'success');
      assert.equal(run.body.trigger, 'manual');
      assert.equal(run.body.taskId, task.id);
      assert.equal(run.body.log, 'ada');
      assert.equal(run.body.steps.length, 1);
      assert.equal(run.body.steps[0].status, 200);
      assert.equal(run.body.steps[0].requestHeaders.Cookie, '••••');
      assert.doesNotMatch(JSON.stringify(run.body), /very-secret-value/);
      const row = await app.database.db.knex('task_runs').where({ id: run.body.id }).first();
      assert.doesNotMatch(JSON.stringify(row), /very-secret-value/, 'stored masked');
      const again = await call('GET', `/runs/${run.body.id}`);
      assert.deepEqual(again.body, run.body);
      const shown = await call('GET', `/tasks/${task.id}`);
      assert.deepEqual(shown.body.lastRun, { id: run.body.id, status: 'success', trigger: 'manual', finishedAt: run.body.finishedAt });
      assert.equal(shown.body.successCount, 1);
    });

    it('says which step failed and why', async () => {
      const { body: task } = await call('POST', '/tasks', { templateId, name: 'fails', variables: { cookie: 'sid=nope' } });
      const run = await call('POST', `/tasks/${task.id}/run`);
      assert.equal(run.body.status, 'failure');
      assert.equal(run.body.failedStep, 1);
      assert.equal(run.body.error, 'step 1/1 failed: HTTP status 401');
      assert.equal((await call('GET', `/tasks/${task.id}`)).body.failureCount, 1);
    });

    it('lists runs newest first, a page at a time', async () => {
      const { body: task } = await call('POST', '/tasks', { templateId, name: 'many runs', variables: { cookie: 'sid=very-secret-value' } });
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await call('POST', `/tasks/${task.id}/run`)).body.id);
      const first = await call('GET', `/tasks/${task.id}/runs?limit=2`);
      assert.deepEqual(first.body.items.map((r: { id: number }) => r.id), [ids[4], ids[3]]);
      assert.equal(first.body.items[0].steps, undefined, 'lists leave the step detail out');
      const next = await call('GET', `/tasks/${task.id}/runs?limit=2&before=${ids[3]}`);
      assert.deepEqual(next.body.items.map((r: { id: number }) => r.id), [ids[2], ids[1]]);
      assert.equal((await call('GET', `/tasks/${task.id}/runs?limit=0`)).status, 400);
    });

    it('keeps a value extracted with persist for the next run', async () => {
      const { body: t } = await call('POST', '/templates', {
        name: 'refresh',
        variables: [{ name: 'token', secret: true, default: 'initial-token' }],
        steps: [{ method: 'GET', url: site.url + '/refresh', headers: { Authorization: 'Bearer {{ token }}' }, extract: [{ name: 'token', from: 'json', path: '$.token', persist: true }] }],
      });
      const { body: task } = await call('POST', '/tasks', { templateId: t.id, name: 'refresher' });
      await call('POST', `/tasks/${task.id}/run`);
      const seenBefore = issued;
      await call('POST', `/tasks/${task.id}/run`);
      const lastRequest = site.seen.at(-1)!;
      assert.equal(lastRequest.headers.authorization, `Bearer fresh-token-${seenBefore}`, 'the second run sent the token the first one got');
      const shown = await call('GET', `/tasks/${task.id}`);
      assert.match(shown.body.persisted.token, /^••••/);
      const row = await app.database.db.knex('tasks').where({ id: task.id }).first();
      assert.doesNotMatch(JSON.stringify(row), /fresh-token/, 'persisted values are encrypted');
      const run = await call('GET', `/runs/${(await call('GET', `/tasks/${task.id}/runs?limit=1`)).body.items[0].id}`);
      assert.doesNotMatch(JSON.stringify(run.body), /fresh-token/, 'an extracted secret is masked in the run');
    });
  });
}
