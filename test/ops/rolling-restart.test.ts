// A rolling restart: two instances on one MariaDB run 30 failing every-second tasks whose failures are
// pushed to a slow webhook; one instance gets SIGTERM mid-way. No run is lost or left running, no
// slot runs twice, and every run's push is delivered exactly once (the other instance sends what
// was queued).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshDatabaseUrl } from '../helpers/db.js';
import { TEST_SECRET } from '../helpers/app.js';
import { startServer } from '../helpers/http-servers.js';
import { startPushReceiver } from '../helpers/push-receiver.js';
import { startChime, stopAllChimes, type ChimeProcess } from '../helpers/process.js';
import { eventually, runsOf, seedTask, seedTemplate, seedUser, sleep, testBox } from '../helpers/scheduler-fixtures.js';
import { createDb } from '../../src/db/knex.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { registrationsRepo } from '../../src/push/registrations-repo.js';

after(stopAllChimes);

async function terminate(instance: ChimeProcess, withinMs = 40_000) {
  instance.signal('SIGTERM');
  const timer = setTimeout(() => instance.child.kill('SIGKILL'), withinMs);
  const exit = await instance.exited;
  clearTimeout(timer);
  return exit;
}

describe('rolling restart', () => {
  it(
    'stopping one of two instances loses no run and no push',
    { timeout: 120_000, skip: !process.env.TEST_MYSQL_URL && 'needs TEST_MYSQL_URL (several instances need MySQL/MariaDB)' },
    async (t) => {
      const { url, drop } = await freshDatabaseUrl('mysql');
      const db = createDb(url);
      await migrateToLatest(db);
      const origin = await startServer((_req, res) => setTimeout(() => res.writeHead(500).end('down'), 300));
      const hook = await startPushReceiver();
      hook.answer(() => ({ status: 204 }));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-rolling-'));
      t.after(async () => {
        await origin.close();
        await hook.close();
        await db.close();
        await drop();
        fs.rmSync(dir, { recursive: true, force: true });
      });
      const env = { DATABASE_URL: url, DATA_DIR: dir, PORT: '0', APP_SECRET: TEST_SECRET, ALLOW_PRIVATE_NETWORK: 'true', DEFAULT_TIMEZONE: 'UTC' };
      const [a, b] = await Promise.all([startChime(env, { lifetimeMs: 110_000 }), startChime(env, { lifetimeMs: 110_000 })]);

      const userId = await seedUser(db.knex);
      await registrationsRepo(db.knex, testBox).insert(userId, { channel: 'webhook', name: 'hook', config: { url: `${hook.url}/hook`, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } }, Date.now());
      const templateId = await seedTemplate(db.knex, userId, `${origin.url}/check`);
      const ids: number[] = [];
      for (let i = 0; i < 30; i++) {
        ids.push(await seedTask(db.knex, userId, templateId, { schedule: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' }, retry: { count: -1, intervalSeconds: 60 }, nextRunAt: Date.now() + 500 }));
      }
      // Retries come at the next every-second slot (never later than it), so every second runs.
      await sleep(4000);
      const exitA = await terminate(a!);
      assert.deepEqual(exitA, { code: 0, signal: null }, a!.describe());
      await sleep(3000);
      // As the app disables a task: the version moves, so a run ending now does not reschedule it.
      await db.knex('tasks').whereIn('id', ids).update({ enabled: 0, next_run_at: null, version: db.knex.raw('version + 1') });
      await eventually(async () => ((await db.knex('task_runs').where({ status: 'running' })).length === 0 ? true : undefined), 20_000, 'runs to end');
      await eventually(async () => ((await db.knex('push_messages').whereIn('status', ['queued', 'sending'])).length === 0 ? true : undefined), 30_000, 'the outbox to empty');
      assert.deepEqual(await terminate(b!), { code: 0, signal: null });

      const runs = await runsOf(db.knex);
      assert.ok(runs.length >= 20, `${runs.length} runs`);
      assert.deepEqual([...new Set(runs.map((r) => r.status))], ['failure'], 'none lost, none left running');
      const slots = runs.map((r) => `${r.task_id}@${Math.floor(r.started_at / 1000)}`);
      assert.equal(new Set(slots).size, slots.length, 'no slot twice');
      const messages = (await db.knex('push_messages').select('id', 'run_id', 'status')) as { id: number; run_id: number; status: string }[];
      assert.equal(messages.length, runs.length, 'one push per failed run');
      assert.deepEqual([...new Set(messages.map((m) => m.status))], ['sent']);
      const delivered = hook.requests.map((r) => String(r.headers['webhook-id']));
      assert.equal(delivered.length, messages.length, 'each delivered once');
      assert.equal(new Set(delivered).size, delivered.length);
    },
  );
});
