// /metrics and /readyz: Prometheus text with runs, deliveries, HTTP timings by route and the
// database gauges; METRICS_TOKEN; readiness from the database, migrations and the loops' last looks.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { api, userWithToken } from '../helpers/client.js';

const TOKEN = 'metrics-token-0123456789';

for (const dialect of DIALECTS) {
  describe(`operations endpoints (${dialect})`, () => {
    let app: TestApp;

    before(async () => {
      app = await startTestApp(dialect, { env: { METRICS_TOKEN: TOKEN } });
    });
    after(() => app.close());

    const scrape = (token?: string) => fetch(`${app.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    it('wants the METRICS_TOKEN when one is set', async () => {
      assert.equal((await scrape()).status, 401);
      assert.equal((await scrape('wrong-token-0123456789')).status, 401);
      const res = await scrape(TOKEN);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    });

    it('counts runs by status and trigger, times requests by route, and reads the queue gauges', async () => {
      const ada = await userWithToken(app.url, `ada-ops-${dialect}@example.com`);
      const template = await api(app.url, 'POST', '/templates', { token: ada.token, body: { name: 't', steps: [{ method: 'GET', url: 'http://127.0.0.1:1/' }] } });
      const task = await api(app.url, 'POST', '/tasks', { token: ada.token, body: { templateId: template.body.id, name: 'x' } });
      assert.equal((await api(app.url, 'POST', `/tasks/${task.body.id}/run`, { token: ada.token })).status, 200);
      await app.database.db.knex('tasks').where({ id: task.body.id }).update({ next_run_at: Date.now() - 5000 });
      const text = await (await scrape(TOKEN)).text();
      assert.match(text, /^chime_runs_total\{status="failure",trigger="manual"\} 1$/m);
      assert.match(text, /^chime_run_duration_seconds_count\{status="failure"\} 1$/m);
      assert.match(text, /^chime_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/tasks\/:id\/run",status="200"\} 1$/m);
      assert.match(text, /^chime_tasks_due 1$/m);
      const lag = Number(/^chime_scheduler_lag_seconds (\S+)$/m.exec(text)?.[1]);
      assert.ok(lag >= 5 && lag < 60, `lag ${lag}`);
      assert.match(text, /^chime_push_outbox_messages\{status="queued"\} 0$/m);
      assert.match(text, /^chime_process_resident_memory_bytes \d+/m);
      assert.ok(!text.includes(ada.token), 'no secrets');
    });

    it('is ready only when the loops have looked at their tables recently', async () => {
      let res = await fetch(`${app.url}/readyz`);
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { ok: false, problems: ['the background loops have not started'] });
      let last = Date.now();
      app.services.loops.set('scheduler', () => last);
      res = await fetch(`${app.url}/readyz`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { ok: true });
      last = Date.now() - 120_000;
      res = await fetch(`${app.url}/readyz`);
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { problems: string[] }).problems[0]!, /^scheduler last ran 1\d\d s ago$/);
      app.services.loops.clear();
    });
  });
}
