// The scheduler loop with real timers and short waits against a real database: a slot runs once,
// missed slots are caught up once and spread, one user's backlog does not hold up another user,
// the loop does not spin while work waits, and stop() drains or hands over the leases.
import { describe, it, before, after, beforeEach, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { eventually, findTask, runsOf, seedTask, seedTemplate, seedUser, sleep, type RunRow } from '../helpers/scheduler-fixtures.js';
import { quiet, startScheduler, startSite, type SchedulerUnderTest, type Site } from '../helpers/scheduler-harness.js';
import { claimsRepo } from '../../src/scheduler/claims.js';
import { createServices } from '../../src/services.js';
import { testConfig } from '../helpers/app.js';

const SEC = 1000;
const DAY = 24 * 60 * 60 * SEC;
const EVERY_SECOND = { type: 'cron', expression: '* * * * * *', timezone: 'UTC' } as const;

/** The next daily 08:00 UTC after `t`. */
const next0800 = (t: number) => {
  const d = new Date(t);
  const today = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 8);
  return today > t ? today : today + DAY;
};

const finished = (runs: RunRow[]) => runs.filter((r) => r.status !== 'running');

for (const dialect of DIALECTS) {
  describe(`the scheduler loop (${dialect})`, () => {
    let database: TestDatabase;
    let site: Site;
    let ada: number;
    let bob: number;
    const knex = () => database.db.knex;
    const template = (userId: number, path: string) => seedTemplate(knex(), userId, site.url + path);

    /** Starts a scheduler that the test stops (with a short grace) when it ends. */
    async function scheduler(t: TestContext, options: Parameters<typeof startScheduler>[1] = {}): Promise<SchedulerUnderTest> {
      const s = await startScheduler(database, options);
      t.after(() => s.scheduler.stop(5 * SEC));
      return s;
    }

    before(async () => {
      database = await createTestDatabase(dialect);
      site = await startSite();
      ada = await seedUser(knex());
      bob = await seedUser(knex());
    });
    beforeEach(() => quiet(knex()));
    after(async () => {
      await site.close();
      await database.drop();
    });

    it('runs a due task once per slot, as an automatic run, and moves its next run on', async (t) => {
      const tpl = await template(ada, '/ok');
      const firstSlot = Math.ceil((Date.now() + 200) / SEC) * SEC;
      const taskId = await seedTask(knex(), ada, tpl, { schedule: EVERY_SECOND, nextRunAt: firstSlot });
      const s = await scheduler(t);
      await sleep(firstSlot + 3 * SEC + 300 - Date.now());
      await s.scheduler.stop(5 * SEC);

      const runs = await runsOf(knex(), taskId);
      const seconds = runs.map((r) => Math.floor(r.started_at / SEC) * SEC);
      assert.deepEqual(seconds, [firstSlot, firstSlot + SEC, firstSlot + 2 * SEC, firstSlot + 3 * SEC], 'one run in each second, from the first slot on');
      assert.deepEqual([...new Set(runs.map((r) => `${r.trigger} ${r.status}`))], ['auto success']);
      for (const r of runs) assert.ok(r.started_at - Math.floor(r.started_at / SEC) * SEC < 800, `started soon after its slot: ${r.started_at % SEC} ms`);
      const task = (await findTask(knex(), taskId))!;
      assert.equal(task.nextRunAt, firstSlot + 4 * SEC, 'the next slot after the last run');
      assert.equal(task.successCount, 4);
    });

    it('runs a daily task that is due now once, then waits for tomorrow', async (t) => {
      const tpl = await template(ada, '/ok');
      const now = Date.now();
      const taskId = await seedTask(knex(), ada, tpl, { nextRunAt: now });
      await scheduler(t);
      await eventually(async () => finished(await runsOf(knex(), taskId)).length === 1, 3 * SEC, 'the run');
      await sleep(1200);
      const runs = await runsOf(knex(), taskId);
      assert.equal(runs.length, 1);
      assert.ok(runs[0]!.started_at - now < 1000, 'promptly');
      assert.equal((await findTask(knex(), taskId))!.nextRunAt, next0800(runs[0]!.finished_at!));
    });

    it('catches up a slot missed days ago exactly once after start, then schedules the task in the future', async (t) => {
      const tpl = await template(ada, '/ok');
      const taskId = await seedTask(knex(), ada, tpl, { nextRunAt: Date.now() - 3 * DAY });
      const started = Date.now();
      await scheduler(t, { catchUpSpreadMs: 300 });
      await eventually(async () => finished(await runsOf(knex(), taskId)).length === 1, 3 * SEC, 'the catch-up run');
      await sleep(1500);
      const runs = await runsOf(knex(), taskId);
      assert.equal(runs.length, 1, 'once, not once per missed day');
      assert.deepEqual([runs[0]!.trigger, runs[0]!.status], ['auto', 'success']);
      assert.ok(runs[0]!.started_at - started < 1300, `within the spread: ${runs[0]!.started_at - started} ms`);
      const task = (await findTask(knex(), taskId))!;
      assert.equal(task.nextRunAt, next0800(runs[0]!.finished_at!));
      assert.ok(task.nextRunAt! > Date.now());
    });

    it('spreads the catch-up of several missed slots over catchUpSpreadMs, earliest missed first', async (t) => {
      const tpl = await template(ada, '/ok');
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) ids.push(await seedTask(knex(), ada, tpl, { nextRunAt: Date.now() - DAY - (4 - i) * SEC }));
      const draws = [0, 0.25, 0.5, 0.75];
      await scheduler(t, { catchUpSpreadMs: 1200, random: () => draws.shift() ?? 0 });
      const runs = await eventually(async () => {
        const all = finished(await runsOf(knex())).filter((r) => ids.includes(r.task_id));
        return all.length === 4 && all;
      }, 4 * SEC, 'four catch-up runs');
      const starts = ids.map((id) => runs.find((r) => r.task_id === id)!.started_at);
      for (let i = 1; i < 4; i++) {
        const gap = starts[i]! - starts[i - 1]!;
        assert.ok(gap > 100 && gap < 500, `about 300 ms apart, not all at once: ${starts.map((s) => s - starts[0]!).join(', ')}`);
      }
    });

    it('runs a slot missed by less than the catch-up grace right away', async (t) => {
      const tpl = await template(ada, '/ok');
      const taskId = await seedTask(knex(), ada, tpl, { nextRunAt: Date.now() - 60 * SEC });
      const started = Date.now();
      await scheduler(t, { catchUpSpreadMs: 10 * SEC, random: () => 0.99 });
      const [run] = await eventually(async () => finished(await runsOf(knex(), taskId)).length === 1 && runsOf(knex(), taskId), 3 * SEC, 'the run');
      assert.ok(run!.started_at - started < 1000, `not pushed into the spread: ${run!.started_at - started} ms`);
    });

    it("with a cap of one run per user, another user's task does not wait behind one user's five slow tasks", async (t) => {
      const slow = await template(ada, '/slow/400/ada');
      const quick = await template(bob, '/slow/50/bob');
      const now = Date.now();
      const adas: number[] = [];
      for (let i = 0; i < 5; i++) adas.push(await seedTask(knex(), ada, slow, { nextRunAt: now - 5000 + i }));
      const bobs = await seedTask(knex(), bob, quick, { nextRunAt: now });
      await scheduler(t, { concurrency: 4, perUserConcurrency: 1 });

      const runs = await eventually(async () => {
        const all = finished(await runsOf(knex())).filter((r) => adas.includes(r.task_id) || r.task_id === bobs);
        return all.length === 6 && all;
      }, 6 * SEC, 'all six runs');
      const adaRuns = runs.filter((r) => r.task_id !== bobs).sort((a, b) => a.started_at - b.started_at);
      const bobRun = runs.find((r) => r.task_id === bobs)!;
      assert.ok(bobRun.started_at < adaRuns[0]!.finished_at!, `bob started ${bobRun.started_at - adaRuns[0]!.started_at} ms after ada's first run, which took ${adaRuns[0]!.finished_at! - adaRuns[0]!.started_at} ms`);
      for (let i = 1; i < adaRuns.length; i++) assert.ok(adaRuns[i]!.started_at >= adaRuns[i - 1]!.finished_at!, "ada's runs one at a time");
    });

    it("another user's task does not wait behind a backlog of one user's due tasks longer than the loop reads at once", async (t) => {
      // concurrency 2: the loop reads 8 due rows at a time, all of them ada's.
      const slow = await template(ada, '/slow/300/ada');
      const quick = await template(bob, '/ok');
      const now = Date.now();
      for (let i = 0; i < 20; i++) await seedTask(knex(), ada, slow, { nextRunAt: now - 5000 + i });
      const bobs = await seedTask(knex(), bob, quick, { nextRunAt: now });
      const started = Date.now();
      await scheduler(t, { concurrency: 2, perUserConcurrency: 1 });
      const [bobRun] = await eventually(async () => finished(await runsOf(knex(), bobs)).length === 1 && runsOf(knex(), bobs), 5 * SEC, "bob's run");
      assert.ok(bobRun!.started_at - started < 1000, `bob waited ${bobRun!.started_at - started} ms, ada's 20 runs take 6 s`);
    });

    it('works through a backlog from one read of the table, claiming alongside a slow claim, each task once', async (t) => {
      // Runs of different lengths end at different times, so room comes free while a claim waits.
      const lengths = [await template(ada, '/ok'), await template(ada, '/slow/50/backlog'), await template(ada, '/slow/100/backlog'), await template(ada, '/slow/150/backlog')];
      const now = Date.now();
      const ids: number[] = [];
      for (let i = 0; i < 24; i++) ids.push(await seedTask(knex(), ada, lengths[i % 4]!, { nextRunAt: now - 1000 + i }));
      const s = await scheduler(t, { concurrency: 4, claimDelayMs: 100 });
      const runs = await eventually(async () => {
        const all = finished(await runsOf(knex())).filter((r) => ids.includes(r.task_id));
        return all.length >= ids.length && all;
      }, 10 * SEC, 'every run');
      assert.deepEqual([...new Set(runs.map((r) => r.task_id))].sort((a, b) => a - b), ids, 'each task once');
      assert.equal(runs.length, ids.length);
      assert.ok(s.calls.claim >= 6, `${s.calls.claim} claims for 24 tasks four at a time`);
      assert.ok(s.calls.due * 2 <= s.calls.claim, `read the table ${s.calls.due} times for ${s.calls.claim} claims`);
      assert.equal(s.calls.mostClaimsAtOnce, 2, `a second claim goes on while one waits, never more (${s.calls.claim} claims)`);
    });

    it('does not spin while claims keep failing: it tries again within a second', async (t) => {
      const quick = await template(ada, '/ok');
      await seedTask(knex(), ada, quick, { nextRunAt: Date.now() - 1000 });
      const s = await scheduler(t, { claimsFail: true });
      await sleep(1500);
      assert.ok(s.calls.claim >= 1 && s.calls.claim <= 3, `tried to claim ${s.calls.claim} times in 1.5 s`);
    });

    it('does not spin while a user at their cap has more due tasks', async (t) => {
      const slow = await template(ada, '/slow/1500/ada');
      for (let i = 0; i < 3; i++) await seedTask(knex(), ada, slow, { nextRunAt: Date.now() - 1000 });
      const s = await scheduler(t, { concurrency: 4, perUserConcurrency: 1 });
      await eventually(() => site.seen.some((r) => r.url === '/slow/1500/ada'), 2 * SEC, 'the first run');
      const before = s.calls.due;
      await sleep(1000);
      assert.ok(s.calls.due - before <= 5, `looked at the table ${s.calls.due - before} times in a second`);
    });

    it('a due task under a manual run waits for it without making the loop spin, then runs once', async (t) => {
      const held = await template(ada, '/hold/manual');
      const taskId = await seedTask(knex(), ada, held, { nextRunAt: Date.now() - 1000 });
      const services = createServices({ config: testConfig(database.url, { ALLOW_PRIVATE_NETWORK: 'true' }), db: database.db, instanceId: 'manual-instance' });
      const manualRunId = (await claimsRepo(knex()).claimManual(taskId, ada, Date.now(), services.lease))!;
      const manual = services.runs.runClaimed(taskId, manualRunId, 'manual');
      const s = await scheduler(t);
      await sleep(1000);
      assert.ok(s.calls.due <= 5, `looked at the table ${s.calls.due} times in a second`);
      assert.equal((await runsOf(knex(), taskId)).length, 1, 'only the manual run');

      site.release('manual');
      assert.equal((await manual).status, 'success');
      await eventually(() => site.seen.filter((r) => r.url === '/hold/manual').length === 2, 3 * SEC, 'the scheduled run');
      site.release('manual');
      const runs = await eventually(async () => finished(await runsOf(knex(), taskId)).length === 2 && runsOf(knex(), taskId), 3 * SEC, 'both runs');
      assert.deepEqual(runs.map((r) => r.trigger), ['manual', 'auto']);
      assert.ok(runs[1]!.started_at >= runs[0]!.finished_at!, 'after the manual run, not beside it');
      await sleep(500);
      assert.equal((await runsOf(knex(), taskId)).length, 2, 'once');
    });

    it('stop() waits for the runs under way, records them, and claims nothing more', async (t) => {
      const slow = await template(ada, '/slow/600/stop');
      const quick = await template(ada, '/ok');
      const taskId = await seedTask(knex(), ada, slow, { nextRunAt: Date.now() });
      const s = await scheduler(t);
      await eventually(() => site.seen.some((r) => r.url === '/slow/600/stop'), 2 * SEC, 'the run');
      const later = await seedTask(knex(), ada, quick, { nextRunAt: Date.now() + 300 });
      const stopping = Date.now();
      await s.scheduler.stop(5 * SEC);
      const took = Date.now() - stopping;
      assert.ok(took < 2000, `returned once the run ended, not at the end of the grace: ${took} ms`);
      const [run] = await runsOf(knex(), taskId);
      assert.deepEqual([run!.status, run!.lease_owner], ['success', null]);
      assert.ok(run!.finished_at! <= Date.now());
      await sleep(800);
      assert.deepEqual(await runsOf(knex(), later), [], 'a task due after stop() is left to the next start');
    });

    it('stop() gives up the leases of runs still under way after the grace, and stops renewing them', async (t) => {
      const held = await template(ada, '/hold/stop');
      const taskId = await seedTask(knex(), ada, held, { nextRunAt: Date.now() });
      const s = await scheduler(t, { leaseMs: 3000 });
      await eventually(() => site.seen.some((r) => r.url === '/hold/stop'), 2 * SEC, 'the run');
      const stopping = Date.now();
      await s.scheduler.stop(300);
      const took = Date.now() - stopping;
      assert.ok(took >= 290 && took < 1500, `waited the grace: ${took} ms`);

      const [run] = await runsOf(knex(), taskId);
      assert.equal(run!.status, 'running');
      assert.ok(run!.lease_expires_at! < Date.now(), 'the lease is given up');
      await sleep(1300); // longer than the heartbeat period (lease / 3)
      assert.ok((await runsOf(knex(), taskId))[0]!.lease_expires_at! < stopping + took, 'and not renewed');
      assert.deepEqual((await claimsRepo(knex()).expired(Date.now(), 100)).map((r) => r.id), [run!.id], "another instance's reaper takes it at once");

      site.release('stop');
      await eventually(async () => (await runsOf(knex(), taskId))[0]!.status === 'success', 3 * SEC, 'the run to end');
    });

    it('stop() during a claim waits for the run that claim starts', async (t) => {
      const slow = await template(ada, '/slow/300/claim');
      const taskId = await seedTask(knex(), ada, slow, { nextRunAt: Date.now() });
      const s = await scheduler(t, { claimDelayMs: 300 });
      await eventually(() => s.calls.claim === 1, 2 * SEC, 'the claim');
      await s.scheduler.stop(5 * SEC);
      const runs = await runsOf(knex(), taskId);
      assert.deepEqual(
        runs.map((r) => r.status),
        ['success'],
        'the claimed run was waited for (main.ts closes the database right after stop())',
      );
    });
  });
}
