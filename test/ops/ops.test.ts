// /metrics and /readyz: Prometheus text with runs, deliveries, HTTP timings by route and the
// database gauges; METRICS_TOKEN; readiness from the database, migrations and the loops' last looks.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { api, userWithToken } from '../helpers/client.js';
import { startPushReceiver } from '../helpers/push-receiver.js';

const TOKEN = 'metrics-token-0123456789';

/** Prometheus text exposition → "name{label="v",…}" → value (labels in their printed order); HELP/TYPE checked. */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') typed.add(meta[2]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(sample, `a sample line: ${line}`);
    const family = sample[1]!.replace(/_(bucket|sum|count|total)$/, '');
    assert.ok(typed.has(sample[1]!) || typed.has(family) || typed.has(`${family}_total`), `# TYPE before ${sample[1]}`);
    values.set(sample[1]! + (sample[2] ?? ''), Number(sample[3]));
  }
  return values;
}

for (const dialect of DIALECTS) {
  describe(`operations endpoints (${dialect})`, () => {
    let app: TestApp;

    before(async () => {
      app = await startTestApp(dialect, { env: { METRICS_TOKEN: TOKEN, ALLOW_PRIVATE_NETWORK: 'true' } });
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

    it('counts deliveries by channel and outcome, and their latency', async () => {
      const hook = await startPushReceiver();
      try {
        const bob = await userWithToken(app.url, `bob-ops-${dialect}@example.com`);
        const reg = await api(app.url, 'POST', '/push/registrations', {
          token: bob.token,
          body: { channel: 'webhook', name: 'h', config: { url: `${hook.url}/h`, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } },
        });
        const enqueue = (title: string) => app.services.push.enqueue({ userId: bob.id, registrationIds: [reg.body.id], event: 'task.failure', title, body: 'b' });
        hook.answer({ status: 204 });
        await enqueue('one');
        await enqueue('two');
        await app.services.dispatcher.drain();
        hook.answer({ status: 503 });
        await enqueue('three');
        await app.services.dispatcher.drain();
        const before = parseMetrics(await (await scrape(TOKEN)).text());
        assert.equal(before.get('chime_push_deliveries_total{channel="webhook",outcome="sent"}'), 2);
        assert.equal(before.get('chime_push_deliveries_total{channel="webhook",outcome="retry"}'), 1);
        assert.equal(before.get('chime_push_delivery_latency_seconds_count'), 2);
        assert.equal(before.get('chime_push_outbox_messages{status="queued"}'), 1, 'the retry waits in the outbox');
        assert.equal(before.get('chime_push_outbox_messages{status="sending"}'), 0);
        assert.equal(before.get('chime_runs_total{status="failure",trigger="manual"}'), 1);
      } finally {
        await hook.close();
      }
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
