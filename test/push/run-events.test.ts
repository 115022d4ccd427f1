// Finished runs → pushes, through the real runs service and outbox on real databases: the threshold
// with "once", recovery, the disabled notice with the last error, manual switches, the task's own
// push switch and registrations, the message text in the owner's language, and a lost run.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { testConfig } from '../helpers/app.js';
import { seedTask, seedTemplate, seedUser, testBox } from '../helpers/scheduler-fixtures.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';
import { claimsRepo } from '../../src/scheduler/claims.js';
import { createServices, type Services } from '../../src/services.js';
import { registrationsRepo } from '../../src/push/registrations-repo.js';
import { pushSettingsRepo, DEFAULT_DIGEST } from '../../src/push/settings-repo.js';
import { DEFAULT_PUSH_DEFAULTS, type PushDefaults } from '../../src/push/settings-schema.js';
import type { PushSettings } from '../../src/tasks/schema.js';
import type { User } from '../../src/accounts/users-repo.js';

const LEASE = { owner: 'run-events-test', ms: 60_000 };
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

type Message = { event: string; title: string; body: string; registration_id: number; run_id: number; data: string };

for (const dialect of DIALECTS) {
  describe(`pushes of finished runs (${dialect})`, () => {
    let database: TestDatabase;
    let site: TestServer;
    let services: Services;
    let failing = true;
    const knex = (): Knex => database.db.knex;

    before(async () => {
      database = await createTestDatabase(dialect);
      site = await startServer((_req, res) => {
        res.writeHead(failing ? 500 : 200, { 'content-type': 'text/plain' });
        res.end(failing ? 'down' : 'ok');
      });
      services = createServices({
        config: testConfig(database.url, { ALLOW_PRIVATE_NETWORK: 'true', BASE_URL: 'https://chime.example.com' }),
        db: database.db,
        instanceId: LEASE.owner,
      });
    });
    after(async () => {
      await site.close();
      await database.drop();
    });

    /** A user with two webhook registrations, their defaults, and an hourly task of theirs. */
    async function setup(defaults: Partial<PushDefaults> = {}, push: PushSettings = { enabled: true }, locale: string | null = null) {
      const userId = await seedUser(knex());
      if (locale) await knex()('users').where({ id: userId }).update({ locale });
      const regs = registrationsRepo(knex(), testBox);
      const a = await regs.insert(userId, { channel: 'webhook', name: 'a', config: { url: 'https://a.example.com/hook', secret: SECRET } }, Date.now());
      const b = await regs.insert(userId, { channel: 'webhook', name: 'b', config: { url: 'https://b.example.com/hook', secret: SECRET } }, Date.now());
      await pushSettingsRepo(knex()).save(userId, { ...DEFAULT_PUSH_DEFAULTS, ...defaults }, DEFAULT_DIGEST, null, Date.now());
      const templateId = await seedTemplate(knex(), userId, `${site.url}/check`);
      const taskId = await seedTask(knex(), userId, templateId, { schedule: { type: 'interval', seconds: 3600 }, push, nextRunAt: Date.now() + 3600_000 });
      const user = (await knex()('users').where({ id: userId }).first()) as { id: number; email: string };
      return { userId, taskId, registrations: [a, b], user: { ...user, id: Number(user.id), locale, timezone: 'UTC', role: 'user', status: 'active' } as unknown as User };
    }

    /** Runs the task as the scheduler would (an automatic run or its retry). */
    async function runAuto(taskId: number) {
      await knex()('tasks').where({ id: taskId }).update({ next_run_at: Date.now() - 1000 });
      const due = (await claimsRepo(knex()).due(Date.now(), 1000)).filter((t) => t.id === taskId);
      const [claimed] = await claimsRepo(knex()).claimAll(due, { now: () => Date.now() }, LEASE);
      assert.ok(claimed, 'claimed');
      await services.runs.executeClaimed({ taskId, runId: claimed.runId, trigger: claimed.task.nextTrigger, startedAt: claimed.startedAt });
    }

    async function messages(userId: number): Promise<Message[]> {
      return (await knex()('push_messages').where({ user_id: userId }).orderBy('id')) as Message[];
    }
    const events = async (userId: number) => (await messages(userId)).filter((m, i, all) => all.findIndex((o) => o.run_id === m.run_id && o.event === m.event) === i).map((m) => m.event);

    it('threshold 3, once: one alert after the third failure in a row, then "recovered" when it heals', async () => {
      const { userId, taskId } = await setup({ failureThreshold: 3, repeat: 'once' });
      failing = true;
      for (let i = 0; i < 5; i++) await runAuto(taskId);
      assert.deepEqual(await events(userId), ['task.failure']);
      const [alert] = await messages(userId);
      assert.match(alert!.title, /failed \(3× in a row\)/);
      assert.match(alert!.body, /Error: step 1\/1 failed: HTTP status 500/);
      assert.match(alert!.body, /https:\/\/chime\.example\.com\/runs\/\d+/);
      assert.equal((await messages(userId)).length, 2, 'one message per registration');
      failing = false;
      await runAuto(taskId);
      await runAuto(taskId);
      assert.deepEqual(await events(userId), ['task.failure', 'task.recovered']);
      const recovered = (await messages(userId)).at(-1)!;
      assert.match(recovered.body, /Recovered after 5 failures, failing since/);
      const data = JSON.parse(recovered.data);
      assert.equal(data.task.id, taskId);
      assert.equal(data.run.status, 'success');
    });

    it('pushes the disabled notice with the last error when retries run out', async () => {
      const { userId, taskId } = await setup({ autoFailure: false });
      await knex()('tasks').where({ id: taskId }).update({ retry: JSON.stringify({ count: 1, intervalSeconds: null }) });
      failing = true;
      await runAuto(taskId);
      await runAuto(taskId);
      assert.deepEqual(await events(userId), ['task.disabled']);
      const [notice] = await messages(userId);
      assert.match(notice!.title, /was disabled/);
      assert.match(notice!.body, /Disabled after 2 failures in a row\. Last error: step 1\/1 failed: HTTP status 500/);
    });

    it('manual runs push only when asked, and the task’s own switch and registrations win', async () => {
      const quiet = await setup();
      failing = true;
      await services.runs.runTask(quiet.user, quiet.taskId);
      assert.deepEqual(await events(quiet.userId), [], 'manual failures are quiet by default');

      const off = await setup({ manualFailure: true }, { enabled: false });
      await services.runs.runTask(off.user, off.taskId);
      await runAuto(off.taskId);
      assert.deepEqual(await events(off.userId), [], 'nothing when the task’s push is off');

      const own = await setup({ manualSuccess: true }, { enabled: true, override: { manualSuccess: false, autoSuccess: true } });
      const [, onlyB] = own.registrations;
      await knex()('tasks').where({ id: own.taskId }).update({ push: JSON.stringify({ enabled: true, override: { autoSuccess: true, manualSuccess: false, registrationIds: [onlyB] } }) });
      failing = false;
      await services.runs.runTask(own.user, own.taskId);
      await runAuto(own.taskId);
      const sent = await messages(own.userId);
      assert.deepEqual(sent.map((m) => [m.event, Number(m.registration_id)]), [['task.success', onlyB]]);
    });

    it('writes in the owner’s language', async () => {
      const { userId, taskId } = await setup({}, { enabled: true }, 'zh-CN');
      failing = true;
      await runAuto(taskId);
      const [message] = await messages(userId);
      assert.match(message!.title, /执行失败/);
      assert.match(message!.body, /触发方式：定时/);
    });

    it('a lost run counts as an automatic failure', async () => {
      const { userId, taskId } = await setup();
      await knex()('tasks').where({ id: taskId }).update({ next_run_at: Date.now() - 1000 });
      const due = (await claimsRepo(knex()).due(Date.now(), 1000)).filter((t) => t.id === taskId);
      const [claimed] = await claimsRepo(knex()).claimAll(due, { now: () => Date.now() }, LEASE);
      assert.ok(await services.runs.markLost({ id: claimed!.runId, taskId, trigger: 'auto', startedAt: claimed!.startedAt }));
      assert.deepEqual(await events(userId), ['task.failure']);
      assert.match((await messages(userId))[0]!.body, /the run was lost/);
    });
  });
}
