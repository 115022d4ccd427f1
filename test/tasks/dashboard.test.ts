// The task form's schedule fields and preview, and the dashboard: streaks, disabled reasons,
// filters, paging, the enable/disable toggle and bulk actions (push on/off among them).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient, api } from '../helpers/client.js';

const NOW = Date.parse('2026-11-21T03:00:00Z');

for (const dialect of DIALECTS) {
  describe(`task form and dashboard (${dialect})`, () => {
    let app: TestApp;
    let browser: WebClient;
    let templateId: number;
    let token: string;
    const knex = () => app.database.db.knex;

    before(async () => {
      app = await startTestApp(dialect, { clock: { now: () => NOW } });
      browser = new WebClient(app.url);
      await browser.register(`dash-${dialect}@example.com`);
      token = (await api(app.url, 'POST', '/tokens', { body: { email: `dash-${dialect}@example.com`, password: 'correct horse battery', name: 't' } })).body.token;
      templateId = (await api(app.url, 'POST', '/templates', { token, body: { name: 'ping', steps: [{ method: 'GET', url: 'http://127.0.0.1:1/' }] } })).body.id;
    });
    after(() => app.close());

    it('creates a daily task in Shanghai with a random delay and shows its next five runs', async () => {
      const form = await browser.get(`/tasks/new?templateId=${templateId}`);
      assert.match(form.html, /name="scheduleType" value="daily" checked/);
      assert.match(form.html, /Next runs \(UTC\), before any random delay:/, 'the preview is there before saving');
      const fields = { templateId: String(templateId), name: 'Check in', enabled: 'on', scheduleType: 'daily', dailyTime: '08:00', timezone: 'Asia/Shanghai', delayMinMinutes: '0', delayMaxMinutes: '10', retryCount: '8' };
      const preview = await browser.post('/tasks/preview', fields);
      assert.equal(preview.status, 200);
      assert.match(preview.html, /Next runs \(Asia\/Shanghai\)/);
      assert.equal((preview.html.match(/<li><time datetime=/g) ?? []).length, 5);
      assert.match(preview.html, /datetime="2026-11-22T00:00:00.000Z"/);
      const created = await browser.post('/tasks/new', fields);
      assert.equal(created.status, 303, created.html.slice(0, 400));
      const page = await browser.get(created.location!);
      assert.match(page.html, /Daily at 08:00/);
      assert.match(page.html, /\+ 0–10 min random/);
      assert.match(page.html, /8 times, QD’s backoff/);
    });

    it('shows schedule errors under their fields and keeps what was typed', async () => {
      const bad = await browser.post('/tasks/new', { templateId: String(templateId), name: 'x', scheduleType: 'cron', cronExpression: '99 * * * *', timezone: 'Nowhere/City', delayMinMinutes: '10', delayMaxMinutes: '5', retryCount: 'many' });
      assert.equal(bad.status, 400);
      assert.match(bad.html, /id="f-cronExpression-error"[^>]*>Not a valid cron expression: the minute field must be 0-59/);
      assert.match(bad.html, /value="99 \* \* \* \*"/);
      assert.match(bad.html, /Must be a time zone such as/);
      assert.match(bad.html, /id="f-delayMaxMinutes-error"/);
      assert.match(bad.html, /id="f-retryCount-error"/);
      const noJs = await browser.post('/tasks/new', { templateId: String(templateId), name: 'x', op: 'preview', scheduleType: 'interval', intervalMinutes: '90' });
      assert.equal(noJs.status, 200);
      assert.match(noJs.html, /datetime="2026-11-21T04:30:00.000Z"/, 'the preview button works without JavaScript');
    });

    it('shows streaks with the retry time, and the reason a task was disabled', async () => {
      const make = async (name: string) => (await api(app.url, 'POST', '/tasks', { token, body: { templateId, name, schedule: { type: 'interval', seconds: 3600 } } })).body.id as number;
      const failing = await make('Flaky');
      await knex()('tasks').where({ id: failing }).update({ consecutive_failures: 3, next_trigger: 'retry', next_run_at: Date.parse('2026-11-21T06:10:00Z') });
      const dead = await make('Dead');
      await knex()('tasks').where({ id: dead }).update({ enabled: 0, disabled_by: 'failures', disabled_reason: 'step 1/1 failed: HTTP status 500', consecutive_failures: 9, next_run_at: null });
      const page = await browser.get('/tasks');
      assert.match(page.html, /failed 3×, retrying at Nov 21, 2026, 6:10 AM/);
      assert.match(page.html, /failed 9 times in a row: step 1\/1 failed: HTTP status 500/);
      const deadPage = await browser.get(`/tasks/${dead}`);
      assert.match(deadPage.html, /Disabled: failed 9 times in a row: step 1\/1 failed: HTTP status 500/);
      assert.equal((await api(app.url, 'GET', `/tasks/${dead}`, { token })).body.disabledReason, 'failed 9 times in a row: step 1/1 failed: HTTP status 500');
    });

    it('filters by group and status', async () => {
      for (const [name, group] of [['In A', 'alpha'], ['In B', 'beta']]) await api(app.url, 'POST', '/tasks', { token, body: { templateId, name, group } });
      const alpha = await browser.get('/tasks?group=alpha');
      assert.match(alpha.html, />In A</);
      assert.doesNotMatch(alpha.html, />In B</);
      const disabled = await browser.get('/tasks?status=disabled');
      assert.match(disabled.html, />Dead</);
      assert.doesNotMatch(disabled.html, />In A</);
      const failing = await browser.get('/tasks?status=failing');
      assert.match(failing.html, />Flaky</);
      assert.match((await browser.get('/tasks?group=nothing-here')).html, /No task matches these filters/);
    });

    it('toggles a task and applies bulk actions to the selected ones', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await api(app.url, 'POST', '/tasks', { token, body: { templateId, name: `Bulk ${i}`, group: 'bulk', schedule: { type: 'interval', seconds: 600 } } })).body.id);
      await browser.get('/tasks?group=bulk');
      assert.equal((await browser.post(`/tasks/${ids[0]}/toggle`, { next: '/tasks?group=bulk' })).location, '/tasks?group=bulk');
      assert.equal((await api(app.url, 'GET', `/tasks/${ids[0]}`, { token })).body.enabled, false);

      await browser.post('/tasks/bulk', { ids: ids.map(String), action: 'enable', back: '/tasks?group=bulk' });
      for (const id of ids) assert.equal((await api(app.url, 'GET', `/tasks/${id}`, { token })).body.enabled, true);

      await browser.post('/tasks/bulk', { ids: [String(ids[1]), String(ids[2])], action: 'schedule', scheduleType: 'daily', dailyTime: '07:15' });
      const scheduled = (await api(app.url, 'GET', `/tasks/${ids[1]}`, { token })).body;
      assert.deepEqual(scheduled.schedule, { type: 'daily', time: '07:15' });
      assert.equal(scheduled.nextRunAt, '2026-11-21T07:15:00.000Z');
      const badSchedule = await browser.post('/tasks/bulk', { ids: [String(ids[1])], action: 'schedule', scheduleType: 'daily', dailyTime: '7pm' });
      assert.equal(badSchedule.status, 303);
      assert.match((await browser.get('/tasks')).html, /That schedule is not valid; nothing was changed/);

      const confirm = await browser.post('/tasks/bulk', { ids: ids.map(String), action: 'delete' });
      assert.equal(confirm.status, 200);
      assert.match(confirm.html, /Delete these 3 tasks and all their runs\?/);
      assert.equal((await api(app.url, 'GET', `/tasks/${ids[0]}`, { token })).status, 200, 'nothing deleted before confirming');
      await browser.post('/tasks/bulk', { ids: ids.map(String), action: 'delete', confirm: 'yes' });
      for (const id of ids) assert.equal((await api(app.url, 'GET', `/tasks/${id}`, { token })).status, 404);
    });

    it('turns push off and on for exactly the selected tasks, keeping their overrides', async () => {
      const override = { failureThreshold: 3, manualSuccess: true };
      const make = async (name: string, push?: unknown) =>
        (await api(app.url, 'POST', '/tasks', { token, body: { templateId, name, group: 'pushy', ...(push ? { push } : {}) } })).body.id as number;
      const [a, b, c] = [await make('Push A', { enabled: true, override }), await make('Push B'), await make('Push C')];
      const pushOf = async (id: number) => (await api(app.url, 'GET', `/tasks/${id}`, { token })).body.push;
      await browser.get('/tasks?group=pushy');

      const off = await browser.post('/tasks/bulk', { ids: [String(a), String(b)], action: 'push_off', back: '/tasks?group=pushy' });
      assert.equal(off.status, 303);
      assert.equal(off.location, '/tasks?group=pushy');
      assert.deepEqual(await pushOf(a), { enabled: false, override });
      assert.deepEqual(await pushOf(b), { enabled: false });
      assert.deepEqual(await pushOf(c), { enabled: true }, 'an unselected task is left alone');
      const page = await browser.get('/tasks?group=pushy');
      assert.match(page.html, /Push off for 2 task\(s\); their own settings are kept\./);
      const markers = [...page.html.matchAll(/href="\/tasks\/(\d+)">[^<]*<\/a>(?: <span class="badge">pushy<\/span>)?( <span class="badge badge-push-off">push off<\/span>)?/g)];
      assert.deepEqual(markers.filter((m) => m[2]).map((m) => Number(m[1])).sort(), [a, b].sort(), 'the rows of tasks whose push is off say so');

      await browser.post('/tasks/bulk', { ids: [String(a)], action: 'push_on', back: '/tasks?group=pushy' });
      assert.deepEqual(await pushOf(a), { enabled: true, override });
      assert.deepEqual(await pushOf(b), { enabled: false });
      assert.match((await browser.get('/tasks?group=pushy')).html, /Push on for 1 task\(s\)\./);
    });

    it('leaves other users’ tasks alone in bulk actions', async () => {
      const other = new WebClient(app.url);
      await other.register(`other-${dialect}@example.com`);
      const mine = (await api(app.url, 'POST', '/tasks', { token, body: { templateId, name: 'Mine' } })).body.id;
      await other.get('/tasks');
      await other.post('/tasks/bulk', { ids: [String(mine)], action: 'delete', confirm: 'yes' });
      assert.equal((await api(app.url, 'GET', `/tasks/${mine}`, { token })).status, 200);
      await other.post('/tasks/bulk', { ids: [String(mine)], action: 'push_off' });
      assert.equal((await api(app.url, 'GET', `/tasks/${mine}`, { token })).body.push.enabled, true);
      assert.equal((await other.post(`/tasks/${mine}/toggle`)).status, 404);
    });

    it('pages through many tasks', async () => {
      const rows = Array.from({ length: 55 }, (_, i) => ({ name: `Paged ${String(i).padStart(2, '0')}`, group: 'paged' }));
      for (const r of rows) await api(app.url, 'POST', '/tasks', { token, body: { templateId, ...r } });
      const first = await browser.get('/tasks?group=paged');
      assert.match(first.html, /Page 1 of 2/);
      assert.equal((first.html.match(/name="ids"/g) ?? []).length, 50);
      const second = await browser.get('/tasks?group=paged&page=2');
      assert.equal((second.html.match(/name="ids"/g) ?? []).length, 5);
    });
  });
}
