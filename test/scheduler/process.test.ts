// The scheduler in the real process (`node --import tsx src/main.ts`): two instances on one MariaDB
// database share every-second slots without running one twice; a run whose process was killed is
// reaped as lost and the task goes on; missed slots are caught up once after a restart; SIGTERM
// lets a run under way finish.
import { describe, it, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { TEST_SECRET } from '../helpers/app.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';
import { startChime, stopAllChimes, type ChimeProcess } from '../helpers/process.js';
import { eventually, findTask, runsOf, seedTask, seedTemplate, seedUser, sleep, type RunRow } from '../helpers/scheduler-fixtures.js';
import { createDb, type Db, type Dialect } from '../../src/db/knex.js';
import { migrateToLatest } from '../../src/db/migrate.js';

after(stopAllChimes);

const SEC = 1000;
const DAY = 24 * 60 * 60 * SEC;

/** A fresh, migrated database the processes and the test share; dropped when the test ends. */
async function sharedDatabase(t: TestContext, dialect: Dialect): Promise<{ url: string; db: Db }> {
  const { url, drop } = await freshDatabaseUrl(dialect);
  const db = createDb(url);
  await migrateToLatest(db);
  t.after(async () => {
    await db.close();
    await drop();
  });
  return { url, db };
}

async function site(t: TestContext, handler: Parameters<typeof startServer>[0] = (_req, res) => res.writeHead(200).end('ok')): Promise<TestServer> {
  const server = await startServer(handler);
  t.after(() => server.close());
  return server;
}

function chimeEnv(t: TestContext, url: string, extra: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-sched-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { DATABASE_URL: url, DATA_DIR: dir, PORT: '0', APP_SECRET: TEST_SECRET, ALLOW_PRIVATE_NETWORK: 'true', DEFAULT_TIMEZONE: 'UTC', ...extra };
}

async function chime(t: TestContext, env: Record<string, string>, lifetimeMs = 120_000): Promise<ChimeProcess> {
  const instance = await startChime(env, { lifetimeMs });
  t.after(() => instance.kill());
  return instance;
}

/** SIGTERM, then the exit; one that does not come within `withinMs` is killed and reported. */
async function terminate(instance: ChimeProcess, withinMs = 15_000) {
  instance.signal('SIGTERM');
  const timer = setTimeout(() => instance.child.kill('SIGKILL'), withinMs);
  const exit = await instance.exited;
  clearTimeout(timer);
  return exit;
}

/** The next daily 08:00 UTC after `t`. */
const next0800 = (t: number) => {
  const d = new Date(t);
  const today = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 8);
  return today > t ? today : today + DAY;
};

describe('the scheduler in real processes', () => {
  it(
    'two instances on one MariaDB database run 50 every-second tasks for 10 s: no slot twice, none missed twice in a row',
    { timeout: 90_000, skip: !process.env.TEST_MYSQL_URL && 'needs TEST_MYSQL_URL (several instances need MySQL/MariaDB)' },
    async (t) => {
      const { url, db } = await sharedDatabase(t, 'mysql');
      const origin = await site(t);
      const env = chimeEnv(t, url);
      const instances = await Promise.all([chime(t, env), chime(t, env)]);

      // Five users, so the per-user cap (8 per instance) is not what is measured.
      const ids: number[] = [];
      for (let u = 0; u < 5; u++) {
        const userId = await seedUser(db.knex);
        const templateId = await seedTemplate(db.knex, userId, `${origin.url}/tick`);
        for (let i = 0; i < 10; i++) ids.push(await seedTask(db.knex, userId, templateId, { schedule: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' }, nextRunAt: null }));
      }
      const start = Math.ceil(Date.now() / SEC) * SEC + SEC;
      await db.knex('tasks').whereIn('id', ids).update({ next_run_at: start });

      // Runs under way name their instance in lease_owner ("host:pid:…"); finished ones do not.
      const owners = new Set<string>();
      while (Date.now() < start + 10 * SEC) {
        for (const row of (await db.knex('task_runs').distinct('lease_owner').where({ status: 'running' })) as { lease_owner: string }[]) owners.add(row.lease_owner);
        await sleep(25);
      }
      const stoppedAt = Date.now();
      const exits = await Promise.all(instances.map((p) => terminate(p)));
      assert.deepEqual(exits.map((e) => e.code), [0, 0]);

      const runs = await runsOf(db.knex);
      assert.ok(runs.length > 0);
      assert.deepEqual([...new Set(runs.map((r) => `${r.trigger} ${r.status}`))], ['auto success'], 'every run an automatic success');
      const byTask = new Map<number, RunRow[]>(ids.map((id) => [id, []]));
      for (const run of runs) byTask.get(run.task_id)!.push(run);
      const slots = Math.floor((stoppedAt - start) / SEC) + 1;
      const problems: string[] = [];
      for (const [taskId, list] of byTask) {
        list.sort((a, b) => a.started_at - b.started_at);
        const seconds = list.map((r) => Math.floor(r.started_at / SEC) - start / SEC);
        const label = `task ${taskId} ran in seconds ${seconds.join(',')}`;
        if (list.length > slots) problems.push(`${label}: more runs than the ${slots} slots`);
        if (new Set(seconds).size !== seconds.length) problems.push(`${label}: a second twice`);
        for (let i = 1; i < list.length; i++) {
          if (list[i]!.started_at < list[i - 1]!.finished_at!) problems.push(`${label}: two runs at once`);
          if (seconds[i]! - seconds[i - 1]! > 2) problems.push(`${label}: missed more than one slot`);
        }
        if (seconds[0] === undefined || seconds[0] > 1) problems.push(`${label}: late first run`);
        if (seconds.at(-1)! < slots - 3) problems.push(`${label}: stopped running early`);
      }
      assert.deepEqual(problems, []);

      t.diagnostic(`${runs.length} runs of 50 tasks over ${slots} slots; instances seen running: ${owners.size}`);
      const pids = instances.map((p) => p.child.pid!);
      const ranBy = pids.map((pid) => [...owners].some((owner) => owner.split(':').at(-2) === String(pid)));
      assert.deepEqual(ranBy, [true, true], `both instances ran some runs (owners seen: ${[...owners].join(', ')})`);
    },
  );

  for (const dialect of DIALECTS) {
    it(`a run whose process was killed is marked lost by another process's reaper, and the task runs again at its next slot (${dialect})`, { timeout: 90_000 }, async (t) => {
      const { url, db } = await sharedDatabase(t, dialect);
      let requests = 0;
      // The first request (the run that is killed) is answered after 5 s; later ones at once.
      const origin = await site(t, (_req, res) => {
        requests++;
        setTimeout(() => res.writeHead(200).end('ok'), requests === 1 ? 5 * SEC : 0);
      });
      const userId = await seedUser(db.knex);
      const templateId = await seedTemplate(db.knex, userId, `${origin.url}/slow`);
      const env = chimeEnv(t, url, { RUN_LEASE_SECONDS: '3' });
      const first = await chime(t, env);
      const taskId = await seedTask(db.knex, userId, templateId, { schedule: { type: 'cron', expression: '*/5 * * * * *', timezone: 'UTC' }, nextRunAt: Date.now() });

      await eventually(() => origin.seen.length === 1, 10 * SEC, 'the first run to reach the site');
      await first.kill();
      const killedAt = Date.now();
      const [stuck] = await runsOf(db.knex, taskId);
      assert.equal(stuck!.status, 'running', 'the killed run is left running');

      const second = await chime(t, { ...env, LOG_LEVEL: 'debug' });
      const reaped = await second.waitForLog((line) => line.job === 'reap-lost-runs' && line.count === 1, 25 * SEC);
      assert.ok(reaped);
      // Finished and written back to the task (the run row is written first).
      const runs = await eventually(async () => {
        const list = await runsOf(db.knex, taskId);
        return list.length === 2 && list[1]!.status !== 'running' && (await findTask(db.knex, taskId))!.runningSince === null && list;
      }, 15 * SEC, 'the next run');

      const [lost, next] = runs as [RunRow, RunRow];
      assert.equal(lost.status, 'lost');
      assert.equal(lost.error, 'the run was lost: the Chime process running it stopped');
      assert.ok(lost.finished_at! > stuck!.lease_expires_at!, `not before the lease ran out (${lost.finished_at! - stuck!.lease_expires_at!} ms after; ${lost.finished_at! - killedAt} ms after the kill)`);
      assert.deepEqual([next.trigger, next.status], ['auto', 'success'], 'the next regular slot, not a blind re-run');
      assert.ok(next.started_at >= lost.finished_at!);
      assert.ok(next.started_at % (5 * SEC) < 2000, `at a slot of */5 s (${next.started_at % (5 * SEC)} ms after it)`);
      assert.equal(origin.seen.length, 2, 'the lost run was not run again in between');
      const task = (await findTask(db.knex, taskId))!;
      assert.deepEqual([task.failureCount, task.successCount, task.consecutiveFailures], [1, 1, 0]);
      assert.equal((await terminate(second)).code, 0);
    });

    it(`on SIGTERM a run under way is finished and recorded before the process exits 0 (${dialect})`, { timeout: 60_000 }, async (t) => {
      const { url, db } = await sharedDatabase(t, dialect);
      const origin = await site(t, (_req, res) => setTimeout(() => res.writeHead(200).end('ok'), 2 * SEC));
      const userId = await seedUser(db.knex);
      const templateId = await seedTemplate(db.knex, userId, `${origin.url}/slow`);
      const instance = await chime(t, chimeEnv(t, url));
      const taskId = await seedTask(db.knex, userId, templateId, { nextRunAt: Date.now() });
      await eventually(() => origin.seen.length === 1, 10 * SEC, 'the run to reach the site');

      const signalledAt = Date.now();
      const exit = await terminate(instance);
      assert.deepEqual(exit, { code: 0, signal: null }, instance.describe());
      const [run] = await runsOf(db.knex, taskId);
      assert.equal(run!.status, 'success', 'the run finished, it was not cut off');
      assert.ok(run!.finished_at! > signalledAt);
      assert.equal(run!.lease_owner, null);
      assert.ok(!instance.logs().some((line) => /leases were released/.test(line.msg)), 'nothing was left to the reaper');
      assert.ok(instance.logs().some((line) => line.msg === 'stopped'));
    });
  }
});

// The real process spreads its catch-up over up to 60 s: both databases wait at once.
describe('catch-up in real processes', { concurrency: true }, () => {
  for (const dialect of DIALECTS) {
    it(`a slot missed days ago while no process ran is caught up exactly once after start (${dialect})`, { timeout: 120_000 }, async (t) => {
      const { url, db } = await sharedDatabase(t, dialect);
      const origin = await site(t);
      const userId = await seedUser(db.knex);
      const templateId = await seedTemplate(db.knex, userId, `${origin.url}/daily`);
      const taskId = await seedTask(db.knex, userId, templateId, { nextRunAt: Date.now() - 3 * DAY });

      const instance = await chime(t, chimeEnv(t, url));
      const started = Date.now();
      const [run] = await eventually(async () => {
        const list = await runsOf(db.knex, taskId);
        return list.length > 0 && list[0]!.status !== 'running' && list;
      }, 65 * SEC, 'the catch-up run');
      assert.ok(run!.started_at - started < 62 * SEC, 'within the catch-up spread');
      assert.deepEqual([run!.trigger, run!.status], ['auto', 'success']);
      await sleep(2500);
      assert.equal((await runsOf(db.knex, taskId)).length, 1, 'once, not once per missed day');
      assert.equal(origin.seen.length, 1);
      assert.equal((await findTask(db.knex, taskId))!.nextRunAt, next0800(run!.finished_at!), 'then the next future slot');
      assert.equal((await terminate(instance)).code, 0);
    });
  }
});
