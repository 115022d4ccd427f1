// What a claimed run writes when it ends, against real databases: the run row and the task's next
// state together, from the task as read at the start unless its user edited it while the run went on.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { testConfig } from '../helpers/app.js';
import { eventually, findTask, runsOf, seedTask, seedTemplate, seedUser, testBox } from '../helpers/scheduler-fixtures.js';
import { startSite, type Site } from '../helpers/scheduler-harness.js';
import { claimsRepo } from '../../src/scheduler/claims.js';
import { createServices } from '../../src/services.js';
import { tasksRepo } from '../../src/tasks/repo.js';
import { quietFinisher } from '../../src/runs/finish-direct.js';

const HOUR = 3600 * 1000;
const LEASE = { owner: 'record-test', ms: 60_000 };

for (const dialect of DIALECTS) {
  describe(`recording a finished run (${dialect})`, () => {
    let database: TestDatabase;
    let site: Site;
    let userId: number;
    const knex = () => database.db.knex;

    before(async () => {
      database = await createTestDatabase(dialect);
      site = await startSite();
      userId = await seedUser(knex());
    });
    after(async () => {
      await site.close();
      await database.drop();
    });

    /** An hourly task due now, claimed as the scheduler claims it; its run is not started yet. */
    async function claimedTask(path: string) {
      const templateId = await seedTemplate(knex(), userId, site.url + path);
      const taskId = await seedTask(knex(), userId, templateId, { schedule: { type: 'interval', seconds: 3600 }, nextRunAt: Date.now() - 1000 });
      const due = (await claimsRepo(knex()).due(Date.now(), 100)).find((t) => t.id === taskId)!;
      const [claimed] = await claimsRepo(knex()).claimAll([due], { now: () => Date.now() }, LEASE);
      const services = createServices({ config: testConfig(database.url, { ALLOW_PRIVATE_NETWORK: 'true' }), db: database.db, instanceId: LEASE.owner });
      return { taskId, claimed: claimed!, runs: services.runs };
    }

    it('a task left alone while it ran is freed and moved to its next slot, with the run, in one go', async () => {
      const { taskId, claimed, runs } = await claimedTask('/ok');
      await runs.executeClaimed({ taskId, runId: claimed.runId, trigger: 'auto', startedAt: claimed.startedAt });

      const [run] = await runsOf(knex(), taskId);
      assert.deepEqual([run!.id, run!.status, run!.started_at, run!.lease_owner], [claimed.runId, 'success', claimed.startedAt, null]);
      const task = (await findTask(knex(), taskId))!;
      assert.deepEqual(
        [task.runningSince, task.lastRunId, task.successCount, task.nextRunAt, task.version],
        [null, claimed.runId, 1, run!.finished_at! + HOUR, claimed.task.version + 2],
      );
    });

    it('a run whose one-statement write MariaDB rolled back to break a deadlock is recorded the long way', { skip: dialect !== 'mysql' && 'the one-statement write is MySQL’s' }, async (t) => {
      const [[server]] = (await knex().raw('select version() as v')) as [[{ v: string }]];
      if (!/mariadb/i.test(server!.v)) return t.skip('needs MariaDB (a sequence, which a rolled-back statement does not undo, fires the deadlock once)');
      const { taskId, claimed, runs } = await claimedTask('/ok');
      // The first update of a run row fails as InnoDB fails a deadlock victim; the ones after go through.
      await knex().raw('create sequence deadlock_once');
      await knex().raw(
        "create trigger deadlock_once before update on task_runs for each row begin if nextval(deadlock_once) = 1 then signal sqlstate '40001' set mysql_errno = 1213, message_text = 'Deadlock found when trying to get lock'; end if; end",
      );
      try {
        await runs.executeClaimed({ taskId, runId: claimed.runId, trigger: 'auto', startedAt: claimed.startedAt });
      } finally {
        await knex().raw('drop trigger deadlock_once');
      }
      const [[fired]] = (await knex().raw('select nextval(deadlock_once) - 1 as n')) as [[{ n: number }]];
      await knex().raw('drop sequence deadlock_once');
      assert.ok(Number(fired!.n) >= 2, `the trigger fired ${fired!.n} times: the one-statement write, then the long way`);
      const [run] = await runsOf(knex(), taskId);
      assert.deepEqual([run!.status, run!.lease_owner], ['success', null]);
      const task = (await findTask(knex(), taskId))!;
      assert.deepEqual([task.runningSince, task.lastRunId, task.successCount], [null, claimed.runId, 1]);
    });

    it('a task its user disabled while it ran is not scheduled again when the run ends', async () => {
      const { taskId, claimed, runs } = await claimedTask('/hold/disable');
      const running = runs.executeClaimed({ taskId, runId: claimed.runId, trigger: 'auto', startedAt: claimed.startedAt });
      await eventually(() => heldRequests() > 0, 2000, 'the request');
      await tasksRepo(knex(), testBox).update(taskId, { enabled: false, disabledBy: 'user' }, Date.now());
      site.release('disable');
      await running;

      const task = (await findTask(knex(), taskId))!;
      assert.deepEqual([task.enabled, task.nextRunAt, task.runningSince, task.successCount], [false, null, null, 1], 'the edit counts, the run is recorded');
      assert.equal((await runsOf(knex(), taskId))[0]!.status, 'success');
    });

    it('runs that end together are all recorded, and one whose task was edited meanwhile keeps the edit without undoing the others', async () => {
      const tasks = [await claimedTask('/hold/together'), await claimedTask('/hold/together'), await claimedTask('/hold/together')];
      const running = tasks.map(({ taskId, claimed, runs }) => runs.executeClaimed({ taskId, runId: claimed.runId, trigger: 'auto', startedAt: claimed.startedAt }));
      await eventually(() => heldRequests() === 3, 2000, 'three held requests');
      await tasksRepo(knex(), testBox).update(tasks[1]!.taskId, { enabled: false, disabledBy: 'user' }, Date.now());
      site.release('together'); // all three answers in one go: on SQLite their records share a transaction
      await Promise.all(running);

      const after = await Promise.all(tasks.map(({ taskId }) => findTask(knex(), taskId)));
      assert.deepEqual(
        after.map((t) => [t!.enabled, t!.nextRunAt === null, t!.runningSince, t!.successCount]),
        [
          [true, false, null, 1],
          [false, true, null, 1],
          [true, false, null, 1],
        ],
      );
      for (const { taskId } of tasks) assert.equal((await runsOf(knex(), taskId))[0]!.status, 'success');
    });

    /** Requests the site is holding. */
    function heldRequests(): number {
      return site.seen.filter((r) => r.url.startsWith('/hold/')).length - site.answered.filter((a) => a.path.startsWith('/hold/')).length;
    }
  });
}

// SQLite: one transaction per turn, a savepoint per run. MySQL: one UPDATE of run and task per run,
// which writes nothing when either has moved on (the knex path then finds out which).
for (const dialect of DIALECTS) {
  describe(`recording runs without knex (${dialect})`, () => {
    let database: TestDatabase;
    let userId: number;
    const knex = () => database.db.knex;
    before(async () => {
      database = await createTestDatabase(dialect);
      userId = await seedUser(knex());
    });
    after(() => database.drop());

    it("reads the tasks of runs starting in one turn with one statement, each with its owner's and template's part", async () => {
      const templateId = await seedTemplate(knex(), userId, 'http://127.0.0.1:9/check');
      const ids = [await seedTask(knex(), userId, templateId, { name: 'first' }), await seedTask(knex(), userId, templateId, { name: 'second' })];
      const tasks = tasksRepo(knex(), testBox);
      const client = knex().client as { acquireConnection(): Promise<unknown> };
      const acquire = client.acquireConnection;
      let acquired = 0;
      client.acquireConnection = function (this: unknown) {
        acquired++;
        return acquire.call(this);
      };
      try {
        const [a, b, missing] = await Promise.all([tasks.findForRun(ids[0]!), tasks.findForRun(ids[1]!), tasks.findForRun(ids[1]! + 1000)]);
        assert.deepEqual([a?.task.name, b?.task.name, missing], ['first', 'second', undefined]);
        assert.equal((a!.recipe.steps[0] as { url: string }).url, 'http://127.0.0.1:9/check');
        assert.equal(acquired, 1, 'one statement on one connection for the three reads');
      } finally {
        client.acquireConnection = acquire;
      }
    });

    it('writes runs that end together with different outcomes, each with its own columns and counters', async () => {
      const templateId = await seedTemplate(knex(), userId, 'http://127.0.0.1:9/');
      const ids = [await seedTask(knex(), userId, templateId), await seedTask(knex(), userId, templateId), await seedTask(knex(), userId, templateId)];
      const due = (await claimsRepo(knex()).due(Date.now() + 1000, 100)).filter((t) => ids.includes(t.id));
      const claimed = new Map((await claimsRepo(knex()).claimAll(due, { now: () => Date.now() }, LEASE)).map((c) => [c.task.id, c]));
      const finish = quietFinisher(knex(), testBox);
      const now = Date.now();
      const ok = { status: 'success' as const, finishedAt: now, durationMs: 5, log: 'fine', error: null, failedStep: null, steps: [] };
      const failed = { status: 'failure' as const, finishedAt: now + 1, durationMs: 6, log: null, error: 'HTTP 500', failedStep: 0, steps: [] };
      const fates = await Promise.all([
        finish({ runId: claimed.get(ids[0]!)!.runId, taskId: ids[0]!, success: true, result: ok, changes: { nextRunAt: now + HOUR }, expectedVersion: claimed.get(ids[0]!)!.task.version + 1 }),
        finish({ runId: claimed.get(ids[1]!)!.runId, taskId: ids[1]!, success: false, result: failed, changes: { nextRunAt: now + 60_000, nextTrigger: 'retry', consecutiveFailures: 1 }, expectedVersion: claimed.get(ids[1]!)!.task.version + 1 }),
        finish({ runId: claimed.get(ids[2]!)!.runId, taskId: ids[2]!, success: true, result: { ...ok, log: 'also fine' }, changes: { nextRunAt: now + 2 * HOUR, persisted: { token: 'kept' } }, expectedVersion: claimed.get(ids[2]!)!.task.version + 1 }),
      ]);
      assert.deepEqual(fates, ['recorded', 'recorded', 'recorded']);
      const runs = (await Promise.all(ids.map((id) => runsOf(knex(), id)))).map((r) => r[0]!);
      assert.deepEqual(runs.map((r) => [r.status, r.error, r.lease_owner]), [['success', null, null], ['failure', 'HTTP 500', null], ['success', null, null]]);
      const tasks = await Promise.all(ids.map((id) => findTask(knex(), id)));
      assert.deepEqual(
        tasks.map((t) => [t!.nextRunAt, t!.nextTrigger, t!.consecutiveFailures, t!.successCount, t!.failureCount, t!.runningSince, t!.persisted]),
        [
          [now + HOUR, 'auto', 0, 1, 0, null, {}],
          [now + 60_000, 'retry', 1, 0, 1, null, {}],
          [now + 2 * HOUR, 'auto', 0, 1, 0, null, { token: 'kept' }],
        ],
      );
    });

    it('writes the runs whose task and run are as read, and nothing for one whose task moved on or whose run was reaped', async () => {
      const templateId = await seedTemplate(knex(), userId, 'http://127.0.0.1:9/');
      const ids = [await seedTask(knex(), userId, templateId), await seedTask(knex(), userId, templateId), await seedTask(knex(), userId, templateId)];
      const due = (await claimsRepo(knex()).due(Date.now() + 1000, 100)).filter((t) => ids.includes(t.id));
      const claimed = await claimsRepo(knex()).claimAll(due, { now: () => Date.now() }, LEASE);
      const byTask = new Map(claimed.map((c) => [c.task.id, c]));
      await knex()('task_runs').where({ id: byTask.get(ids[2]!)!.runId }).update({ status: 'lost' }); // the reaper got there first

      const finish = quietFinisher(knex(), testBox);
      const now = Date.now();
      const result = { status: 'success' as const, finishedAt: now, durationMs: 5, log: null, error: null, failedStep: null, steps: [] };
      const fates = await Promise.all(
        ids.map((taskId, i) => {
          const c = byTask.get(taskId)!;
          const expectedVersion = i === 1 ? c.task.version : c.task.version + 1; // the claim moved it one on; [1] looks stale
          return finish({ runId: c.runId, taskId, success: true, result, changes: { nextRunAt: now + HOUR, consecutiveFailures: 0 }, expectedVersion });
        }),
      );
      assert.deepEqual(fates, dialect === 'sqlite' ? ['recorded', 'stale', 'reaped'] : ['recorded', 'stale', 'stale']);

      const runs = await Promise.all(ids.map((id) => runsOf(knex(), id)));
      assert.deepEqual(runs.map((r) => r[0]!.status), ['success', 'running', 'lost'], 'the stale run is rolled back alone');
      const tasks = await Promise.all(ids.map((id) => findTask(knex(), id)));
      assert.deepEqual(
        tasks.map((t) => [t!.nextRunAt, t!.runningSince === null, t!.successCount]),
        [
          [now + HOUR, true, 1],
          [null, false, 0],
          [null, false, 0],
        ],
      );
    });
  });
}
