// The scheduler's SQL against real databases: of several instances claiming the same due slot exactly
// one wins, one by one or in batches; a manual run waits for nothing and takes nothing while a run is under way; leases are kept
// alive by their owner only; a dead instance's run is reaped once; the due query stays on its index.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { testConfig } from '../helpers/app.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';
import { eventually, findTask, runsOf, seedTask, seedTemplate, seedUser, testBox } from '../helpers/scheduler-fixtures.js';
import type { ClaimerInput, ClaimerResult } from '../helpers/scheduler-claimer.js';
import { claimsRepo } from '../../src/scheduler/claims.js';
import { createDb } from '../../src/db/knex.js';
import { createServices } from '../../src/services.js';
import { tasksRepo } from '../../src/tasks/repo.js';
import type { Clock } from '../../src/lib/clock.js';

const LEASE = { owner: 'instance-a', ms: 60_000 };
const MIN = 60_000;

/** Starts `n` claimers, each in its own worker thread with its own connection, all at once. */
async function claimTogether(url: string, now: number, n: number): Promise<ClaimerResult[]> {
  const barrier = new SharedArrayBuffer(4);
  // Worker threads do not inherit tsx's loader: register it first, then load the claimer.
  const claimer = new URL('../helpers/scheduler-claimer.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(claimer)}); })`;
  return Promise.all(
    Array.from({ length: n }, (_, index) => {
      const workerData: ClaimerInput = { url, owner: `instance-${index}`, index, now, barrier, claimers: n };
      return new Promise<ClaimerResult>((resolve, reject) => {
        const worker = new Worker(boot, { eval: true, workerData });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
}

for (const dialect of DIALECTS) {
  describe(`scheduler claims (${dialect})`, () => {
    let database: TestDatabase;
    let site: TestServer;
    let userId: number;
    let templateId: number;
    const knex = () => database.db.knex;
    const claims = () => claimsRepo(knex());

    before(async () => {
      database = await createTestDatabase(dialect);
      site = await startServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
      userId = await seedUser(knex());
      templateId = await seedTemplate(knex(), userId, `${site.url}/ping`);
    });
    after(async () => {
      await site.close();
      await database.drop();
    });

    /** Ends the runs of earlier tests and moves their tasks a year ahead: each test sees only its own rows. */
    async function nothingDue() {
      await knex()('task_runs').where({ status: 'running' }).update({ status: 'success', lease_owner: null, lease_expires_at: null });
      await knex()('tasks').update({ running_since: null, claimed_slot_at: null });
      await knex()('tasks').whereNotNull('next_run_at').update({ next_run_at: Date.now() + 365 * 24 * 60 * MIN });
    }

    it('of 8 instances claiming one due task at once, exactly one wins and one run is written', async () => {
      await nothingDue();
      const now = Date.now();
      const slot = now - 1000;
      const taskId = await seedTask(knex(), userId, templateId, { nextRunAt: slot, nextTrigger: 'retry' });
      const before = (await findTask(knex(), taskId))!;

      const results = await claimTogether(database.url, now, 8);
      assert.deepEqual(results.map((r) => r.error).filter(Boolean), []);
      const wins = results.flatMap((r) => r.claimed.filter((c) => c.runId !== null).map((c) => ({ owner: r.owner, ...c })));
      assert.equal(results.every((r) => r.claimed.length === 1 && r.claimed[0]!.taskId === taskId), true, 'every instance saw the due task');
      assert.equal(wins.length, 1, JSON.stringify(results));

      const runs = await runsOf(knex(), taskId);
      assert.equal(runs.length, 1);
      assert.deepEqual(
        { id: runs[0]!.id, trigger: runs[0]!.trigger, status: runs[0]!.status, started_at: runs[0]!.started_at, lease_owner: runs[0]!.lease_owner, lease_expires_at: runs[0]!.lease_expires_at },
        { id: wins[0]!.runId, trigger: 'retry', status: 'running', started_at: now, lease_owner: wins[0]!.owner, lease_expires_at: now + 60_000 },
      );
      const task = (await findTask(knex(), taskId))!;
      assert.equal(task.nextRunAt, null, 'the slot is taken: nothing due until the run ends');
      assert.equal(task.runningSince, now);
      assert.equal(task.claimedSlotAt, slot);
      assert.equal(task.version, before.version + 1);
      assert.deepEqual(await claims().due(now + MIN, 10), [], 'a running task is not due');
    });

    it('of 8 instances claiming 20 due tasks in different orders, each task is won exactly once', async () => {
      await nothingDue();
      const now = Date.now();
      const ids: number[] = [];
      for (let i = 0; i < 20; i++) ids.push(await seedTask(knex(), userId, templateId, { nextRunAt: now - 1000 - i }));

      const results = await claimTogether(database.url, now, 8);
      assert.deepEqual(results.map((r) => r.error).filter(Boolean), []);
      const winners = new Map<number, string[]>();
      for (const r of results) for (const c of r.claimed) if (c.runId !== null) winners.set(c.taskId, [...(winners.get(c.taskId) ?? []), r.owner]);
      assert.deepEqual([...winners.keys()].sort((a, b) => a - b), ids);
      assert.deepEqual([...winners.values()].filter((w) => w.length !== 1), [], 'no task won twice');
      const runs = (await runsOf(knex())).filter((r) => ids.includes(r.task_id));
      assert.equal(runs.length, 20);
    });

    it('claimAll() claims a batch, each task by its own compare-and-set: a slot taken meanwhile is left out', async () => {
      await nothingDue();
      const now = Date.now();
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push(await seedTask(knex(), userId, templateId, { nextRunAt: now - 1000 + i }));
      const due = await claims().due(now, 10);
      assert.deepEqual(due.map((t) => t.id), ids);
      const takenElsewhere = (await claims().claim(due[1]!, now, { owner: 'other-instance', ms: 60_000 }))!;

      let tick = now;
      const won = await claims().claimAll(due, { now: () => ++tick }, LEASE);
      // SQLite reads the clock at each claim, the lost one's (now + 2) included; MySQL claims the
      // batch with a few statements in all, at one time.
      const starts = dialect === 'sqlite' ? [now + 1, now + 3] : [now + 1, now + 1];
      assert.deepEqual(won.map((c) => [c.task.id, c.startedAt]), [[ids[0], starts[0]], [ids[2], starts[1]]], 'each run starts at its claim');
      const runs = (await runsOf(knex())).filter((r) => ids.includes(r.task_id));
      assert.deepEqual(
        runs.map((r) => [r.id, r.task_id, r.started_at, r.lease_owner]),
        [[takenElsewhere, ids[1], now, 'other-instance'], ...won.map((c) => [c.runId, c.task.id, c.startedAt, LEASE.owner])],
        'one run per slot',
      );
      for (const c of won) {
        const task = (await findTask(knex(), c.task.id))!;
        assert.deepEqual([task.runningSince, task.nextRunAt, task.version], [c.startedAt, null, c.task.version + 1]);
      }
      assert.deepEqual(await claims().claimAll(due, { now: () => now }, LEASE), [], 'a second batch of the same slots wins nothing');
    });

    if (dialect === 'mysql') {
      // SQLite's instances are processes (a blocked writer waits in its own thread): the workers above.
      it('of 4 instances claiming the same 20 due tasks in batches at once, each task is won exactly once', async () => {
        await nothingDue();
        const now = Date.now();
        const ids: number[] = [];
        for (let i = 0; i < 20; i++) ids.push(await seedTask(knex(), userId, templateId, { nextRunAt: now - 1000 - i }));
        const instances = Array.from({ length: 4 }, () => createDb(database.url));
        try {
          const due = await claims().due(now, 100);
          const won = await Promise.all(instances.map((db, i) => claimsRepo(db.knex).claimAll(i % 2 ? [...due].reverse() : due, { now: () => now }, { owner: `batch-${i}`, ms: 60_000 })));
          assert.deepEqual(won.flat().map((c) => c.task.id).sort((a, b) => a - b), ids, 'every slot won once');
          assert.equal((await runsOf(knex())).filter((r) => ids.includes(r.task_id)).length, 20);
        } finally {
          await Promise.all(instances.map((db) => db.close()));
        }
      });
    }

    it('a manual run is refused while a run is under way, and is possible again once it ended', async () => {
      await nothingDue();
      const now = Date.now();
      const taskId = await seedTask(knex(), userId, templateId, { nextRunAt: now - 1000 });
      const [due] = await claims().due(now, 10);
      assert.equal(due?.id, taskId);
      const runId = (await claims().claim(due!, now, LEASE))!;
      assert.ok(runId);

      assert.equal(await claims().claimManual(taskId, userId, now + 1, LEASE), null, 'refused while the scheduled run is under way');
      await tasksRepo(knex(), testBox).completeRun(taskId, { runId, success: true, finishedAt: now + 2, changes: { nextRunAt: now + MIN } });

      const manual = await claims().claimManual(taskId, userId, now + 3, LEASE);
      assert.ok(manual, 'allowed once the run ended');
      const [manualRun] = (await runsOf(knex(), taskId)).filter((r) => r.id === manual);
      assert.deepEqual([manualRun!.trigger, manualRun!.status, manualRun!.lease_owner], ['manual', 'running', LEASE.owner]);
      assert.equal(await claims().claimManual(taskId, userId, now + 4, LEASE), null, 'a second manual run is refused too');
      assert.equal((await findTask(knex(), taskId))!.nextRunAt, now + MIN, 'a manual run leaves the schedule alone');
      assert.deepEqual(await claims().due(now + 2 * MIN, 10), [], 'nor is a task under a manual run due');
      assert.equal(await claims().claimManual(taskId, userId + 1000, now + 5, LEASE), null, "another user's id claims nothing");
    });

    it("a heartbeat extends the running leases of its owner only, not another instance's or a finished run's", async () => {
      await nothingDue();
      const now = Date.now();
      const mine = await seedTask(knex(), userId, templateId, { nextRunAt: now - 3000 });
      const theirs = await seedTask(knex(), userId, templateId, { nextRunAt: now - 2000 });
      const done = await seedTask(knex(), userId, templateId, { nextRunAt: now - 1000 });
      const byId = new Map((await claims().due(now, 10)).map((t) => [t.id, t]));
      const myRun = (await claims().claim(byId.get(mine)!, now, { owner: 'hb-a', ms: 5000 }))!;
      const theirRun = (await claims().claim(byId.get(theirs)!, now, { owner: 'hb-b', ms: 5000 }))!;
      const doneRun = (await claims().claim(byId.get(done)!, now, { owner: 'hb-a', ms: 5000 }))!;
      await knex()('task_runs').where({ id: doneRun }).update({ status: 'success', finished_at: now + 1 });

      assert.equal(await claims().heartbeat('hb-a', now + 4000, 5000), 1);
      const lease = async (id: number) => (await runsOf(knex())).find((r) => r.id === id)!.lease_expires_at;
      assert.equal(await lease(myRun), now + 9000);
      assert.equal(await lease(theirRun), now + 5000);
      assert.equal(await lease(doneRun), now + 5000, 'a finished run keeps what it had');
      const expired = (await claims().expired(now + 6000, 10)).map((r) => r.id);
      assert.ok(expired.includes(theirRun) && !expired.includes(myRun), JSON.stringify(expired));
    });

    it('releasing the leases at shutdown hands exactly our running runs to the reaper at once', async () => {
      await nothingDue();
      const now = Date.now();
      const a = await seedTask(knex(), userId, templateId, { nextRunAt: now - 2000 });
      const b = await seedTask(knex(), userId, templateId, { nextRunAt: now - 1000 });
      const byId = new Map((await claims().due(now, 10)).map((t) => [t.id, t]));
      const ours = (await claims().claim(byId.get(a)!, now, { owner: 'rl-a', ms: 60_000 }))!;
      const other = (await claims().claim(byId.get(b)!, now, { owner: 'rl-b', ms: 60_000 }))!;
      assert.equal(await claims().releaseLeases('rl-a', now + 10), 1);
      const expired = (await claims().expired(now + 10, 100)).map((r) => r.id);
      assert.ok(expired.includes(ours), 'ours is reaped at the next look');
      assert.ok(!expired.includes(other), "another instance's run is left alone");
    });

    it('a run whose lease ran out is marked lost once, even by two reapers at once, and counts as a failure', async () => {
      await nothingDue();
      const claimedAt = Date.now() - 10 * MIN;
      const slot = claimedAt - 500;
      const taskId = await seedTask(knex(), userId, templateId, { nextRunAt: slot, schedule: { type: 'daily', time: '08:00', timezone: 'UTC' } });
      const [due] = await claims().due(claimedAt, 10);
      assert.equal(due?.id, taskId);
      const runId = (await claims().claim(due!, claimedAt, { owner: 'dead-instance', ms: 60_000 }))!;

      const reapAt = claimedAt + 2 * MIN;
      const clock: Clock = { now: () => reapAt };
      const config = testConfig(database.url);
      const reaperA = createServices({ config, db: database.db, clock, instanceId: 'reaper-a' }).runs;
      const reaperB = createServices({ config, db: database.db, clock, instanceId: 'reaper-b' }).runs;
      assert.deepEqual(await claims().expired(claimedAt + 59_000, 10), [], 'not before the lease ran out');
      const expired = await claims().expired(reapAt, 10);
      assert.deepEqual(expired, [{ id: runId, taskId, trigger: 'auto', startedAt: claimedAt }]);

      const outcomes = await Promise.all([reaperA.markLost(expired[0]!), reaperB.markLost(expired[0]!)]);
      assert.deepEqual(outcomes.sort(), [false, true], 'one reaper marked it');
      assert.equal(await reaperA.markLost(expired[0]!), false, 'and never again');

      const [run] = await runsOf(knex(), taskId);
      assert.deepEqual(
        { status: run!.status, finished_at: run!.finished_at, lease_owner: run!.lease_owner, error: run!.error },
        { status: 'lost', finished_at: reapAt, lease_owner: null, error: 'the run was lost: the Chime process running it stopped' },
      );
      const task = (await findTask(knex(), taskId))!;
      assert.equal(task.runningSince, null, 'the task is free again');
      assert.equal(task.consecutiveFailures, 1);
      assert.equal(task.failureCount, 1);
      assert.equal(task.lastRunId, runId);
      assert.equal(task.nextTrigger, 'retry');
      assert.equal(task.nextRunAt, reapAt + 10 * MIN, "QD's first retry, not a blind re-run");
      assert.deepEqual(await claims().expired(reapAt + MIN, 10), []);
    });

    it('a run reaped as lost that finishes after all leaves the task as the reaper left it', async () => {
      await nothingDue();
      const now = Date.now();
      const taskId = await seedTask(knex(), userId, templateId, { nextRunAt: now - 1000 });
      const [due] = await claims().due(now, 10);
      assert.equal(due?.id, taskId);
      const runId = (await claims().claim(due!, now, { owner: 'slow-instance', ms: 1 }))!;
      const services = createServices({ config: testConfig(database.url, { ALLOW_PRIVATE_NETWORK: 'true' }), db: database.db, instanceId: 'slow-instance' });
      const expired = (await claims().expired(now + 5, 100)).find((r) => r.id === runId);
      assert.equal(await services.runs.markLost(expired!), true);
      const reaped = (await findTask(knex(), taskId))!;

      const run = await services.runs.runClaimed(taskId, runId, 'auto');
      assert.equal(run.status, 'lost', 'the late result is not recorded over the verdict');
      const after = (await findTask(knex(), taskId))!;
      assert.deepEqual([after.consecutiveFailures, after.successCount, after.nextRunAt, after.version], [reaped.consecutiveFailures, 0, reaped.nextRunAt, reaped.version]);
    });

    it('due() reads a range of the tasks_next_run_at index, and earliest() its first entry', async () => {
      await nothingDue();
      // Enough rows that a plan without the index would be a full scan the optimizer prefers to avoid.
      const now = Date.now();
      const rows = Array.from({ length: 300 }, (_, i) => ({ next_run_at: now + (i % 10 === 0 ? -i : i * MIN) }));
      for (const row of rows) await seedTask(knex(), userId, templateId, { nextRunAt: row.next_run_at });

      const queries: { sql: string; bindings: readonly unknown[] }[] = [];
      const record = (q: { sql: string; bindings: readonly unknown[] }) => queries.push(q);
      knex().on('query', record);
      try {
        await claims().due(now, 32);
        await claims().due(now, 32, [userId + 1, userId + 2]);
        await claims().earliest(now);
      } finally {
        knex().removeListener('query', record);
      }
      assert.equal(queries.length, 3, JSON.stringify(queries));
      const plans: string[] = [];
      for (const q of queries) {
        if (dialect === 'sqlite') {
          const plan = (await knex().raw(`EXPLAIN QUERY PLAN ${q.sql}`, q.bindings as never)) as { detail: string }[];
          plans.push(plan.map((p) => p.detail).join('; '));
        } else {
          const [plan] = (await knex().raw(`EXPLAIN ${q.sql}`, q.bindings as never)) as [{ key: string | null; type: string | null; Extra: string | null }[]];
          plans.push(plan.map((p) => `${p.type ?? ''} ${p.key ?? ''} ${p.Extra ?? ''}`).join('; '));
        }
      }
      const [due, dueSkipping, earliest] = plans as [string, string, string];
      for (const plan of [due, dueSkipping]) {
        if (dialect === 'sqlite') {
          assert.match(plan, /SEARCH tasks USING INDEX tasks_next_run_at \(next_run_at<\?\)/, plan);
          assert.doesNotMatch(plan, /TEMP B-TREE/, 'ordered by the index, no sort');
        } else {
          assert.match(plan, /^range tasks_next_run_at /, plan);
          assert.doesNotMatch(plan, /filesort/, 'ordered by the index, no sort');
        }
      }
      if (dialect === 'sqlite') assert.match(earliest, /SEARCH tasks USING COVERING INDEX tasks_next_run_at \(next_run_at>\?\)/, earliest);
      else assert.match(earliest, /Select tables optimized away|range tasks_next_run_at/, earliest);
    });

    it('overdue() lists missed slots earliest first, and reschedule() moves one only from the version it read', async () => {
      await nothingDue();
      const now = Date.now();
      const late = await seedTask(knex(), userId, templateId, { nextRunAt: now - 3 * 24 * 60 * MIN });
      const later = await seedTask(knex(), userId, templateId, { nextRunAt: now - 10 * MIN });
      await seedTask(knex(), userId, templateId, { nextRunAt: now - MIN });
      const overdue = await claims().overdue(now - 5 * MIN, 10);
      assert.deepEqual(overdue.map((t) => t.id), [late, later]);
      assert.equal(await claims().reschedule(late, overdue[0]!.version + 1, now + 1000), false, 'a stale version changes nothing');
      assert.equal(await claims().reschedule(late, overdue[0]!.version, now + 1000), true);
      assert.equal(await claims().reschedule(late, overdue[0]!.version, now + 2000), false, 'only once');
      assert.equal((await findTask(knex(), late))!.nextRunAt, now + 1000);
      await eventually(async () => (await claims().overdue(now - 5 * MIN, 10)).length === 1, 1000, 'one left');
    });
  });
}
