// Schedules through the API: validation with field errors, nextRunAt in the task's time zone, random
// delay, runNow, recomputing on edit and on re-enabling, the preview, and one run at a time.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { api, userWithToken } from '../helpers/client.js';

// Saturday 2026-11-21 03:00:00 UTC = 11:00 in Shanghai.
const NOW = Date.parse('2026-11-21T03:00:00Z');

for (const dialect of DIALECTS) {
  describe(`schedules in the API (${dialect})`, () => {
    let app: TestApp;
    let user: Awaited<ReturnType<typeof userWithToken>>;
    let templateId: number;
    const call = (method: string, path: string, body?: unknown) => api(app.url, method, path, { token: user.token, body });

    before(async () => {
      app = await startTestApp(dialect, { clock: { now: () => NOW } });
      user = await userWithToken(app.url, `sched-${dialect}@example.com`);
      templateId = (await call('POST', '/templates', { name: 't', steps: [{ method: 'GET', url: 'http://127.0.0.1:1/' }] })).body.id;
    });
    after(() => app.close());

    it('puts a daily task at its next time in its own time zone', async () => {
      const res = await call('POST', '/tasks', { templateId, name: 'daily', schedule: { type: 'daily', time: '08:00', timezone: 'Asia/Shanghai' } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.nextRunAt, '2026-11-22T00:00:00.000Z', '08:00 tomorrow in Shanghai');
      assert.equal(res.body.nextRunIsRetry, false);
      assert.equal(res.body.running, false);
    });

    it('uses the user’s time zone when the schedule names none', async () => {
      await call('PATCH', '/me', { timezone: 'Europe/Berlin' });
      const res = await call('POST', '/tasks', { templateId, name: 'berlin', schedule: { type: 'daily', time: '08:00:30' } });
      assert.equal(res.body.nextRunAt, '2026-11-21T07:00:30.000Z');
      await call('PATCH', '/me', { timezone: null });
    });

    it('moves the slot by the random delay, within its bounds', async () => {
      const res = await call('POST', '/tasks', { templateId, name: 'delayed', schedule: { type: 'daily', time: '08:00', timezone: 'Asia/Shanghai' }, randomDelay: { min: 0, max: 600 } });
      const at = Date.parse(res.body.nextRunAt);
      const slot = Date.parse('2026-11-22T00:00:00Z');
      assert.ok(at >= slot && at <= slot + 600_000, res.body.nextRunAt);
      assert.deepEqual(res.body.randomDelay, { min: 0, max: 600 });
    });

    it('runs an interval task N seconds from now, a runNow task right away, a manual one never', async () => {
      assert.equal((await call('POST', '/tasks', { templateId, name: 'iv', schedule: { type: 'interval', seconds: 3600 } })).body.nextRunAt, '2026-11-21T04:00:00.000Z');
      assert.equal((await call('POST', '/tasks', { templateId, name: 'now', schedule: { type: 'cron', expression: '0 9 * * MON' }, runNow: true })).body.nextRunAt, new Date(NOW).toISOString());
      assert.equal((await call('POST', '/tasks', { templateId, name: 'manual' })).body.nextRunAt, null);
      assert.equal((await call('POST', '/tasks', { templateId, name: 'off', enabled: false, schedule: { type: 'interval', seconds: 60 } })).body.nextRunAt, null);
    });

    it('recomputes the next run when the schedule changes and when the task is enabled again', async () => {
      const { body: task } = await call('POST', '/tasks', { templateId, name: 'edit', schedule: { type: 'interval', seconds: 600 } });
      const changed = await call('PATCH', `/tasks/${task.id}`, { schedule: { type: 'cron', expression: '30 12 * * *', timezone: 'UTC' } });
      assert.equal(changed.body.nextRunAt, '2026-11-21T12:30:00.000Z');
      const off = await call('PATCH', `/tasks/${task.id}`, { enabled: false });
      assert.equal(off.body.nextRunAt, null);
      const on = await call('PATCH', `/tasks/${task.id}`, { enabled: true });
      assert.equal(on.body.nextRunAt, '2026-11-21T12:30:00.000Z', 'QD left it empty; Chime does not');
    });

    it('names each bad schedule field', async () => {
      const cases: [unknown, string, RegExp][] = [
        [{ type: 'cron', expression: '61 * * * *' }, 'schedule.expression', /^Not a valid cron expression: the minute field must be 0-59\.$/],
        [{ type: 'cron', expression: '* * *' }, 'schedule.expression', /^Not a valid cron expression/],
        [{ type: 'daily', time: '25:00' }, 'schedule.time', /A time of day such as 08:00/],
        [{ type: 'daily', time: '08:00', timezone: 'Mars/Base' }, 'schedule.timezone', /time zone such as/],
        [{ type: 'interval', seconds: 30 }, 'schedule.seconds', /at least 60/],
        [{ type: 'weekly' }, 'schedule.type', /Unknown schedule type/],
      ];
      for (const [schedule, field, message] of cases) {
        const res = await call('POST', '/tasks', { templateId, name: 'bad', schedule });
        assert.equal(res.status, 400, JSON.stringify(schedule));
        assert.match(res.body.error.fields[field] ?? '', message, `${JSON.stringify(schedule)}: ${JSON.stringify(res.body.error.fields)}`);
      }
      const delay = await call('POST', '/tasks', { templateId, name: 'bad', schedule: { type: 'interval', seconds: 60 }, randomDelay: { min: 600, max: 60 } });
      assert.equal(delay.body.error.fields['randomDelay.max'], 'The longest delay must not be shorter than the shortest.');
    });

    it('previews the next five runs of a schedule', async () => {
      const res = await call('POST', '/schedules/preview', { schedule: { type: 'daily', time: '08:00', timezone: 'Asia/Shanghai' } });
      assert.deepEqual(res.body, {
        timezone: 'Asia/Shanghai',
        next: ['2026-11-22T00:00:00.000Z', '2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z', '2026-11-25T00:00:00.000Z', '2026-11-26T00:00:00.000Z'],
      });
      assert.equal((await call('POST', '/schedules/preview', { schedule: { type: 'cron', expression: 'nope' } })).status, 400);
    });

    it('refuses a manual run while the task is running', async () => {
      const { body: task } = await call('POST', '/tasks', { templateId, name: 'busy' });
      await app.database.db.knex('tasks').where({ id: task.id }).update({ running_since: NOW });
      const res = await call('POST', `/tasks/${task.id}/run`);
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, 'task_running');
      assert.equal((await call('GET', `/tasks/${task.id}`)).body.running, true);
    });
  });
}
