// /api/v1/push/settings: the defaults of SEMANTICS §4, the digest's anchor, registration ids that
// must be one's own, templates that must render, the live preview, and a task's own override.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { api, userWithToken } from '../helpers/client.js';
import { firstAnchor } from '../../src/push/digest-window.js';

for (const dialect of DIALECTS) {
  describe(`push settings API (${dialect})`, () => {
    let app: TestApp;
    let ada: Awaited<ReturnType<typeof userWithToken>>;
    let eve: Awaited<ReturnType<typeof userWithToken>>;
    const call = (method: string, path: string, body?: unknown, who = ada) => api(app.url, method, path, { token: who.token, body });
    const registration = async (who: typeof ada) =>
      (await call('POST', '/push/registrations', { channel: 'ntfy', name: 'n', config: { topic: 'alerts' } }, who)).body.id as number;

    before(async () => {
      app = await startTestApp(dialect);
      ada = await userWithToken(app.url, `ada-settings-${dialect}@example.com`);
      eve = await userWithToken(app.url, `eve-settings-${dialect}@example.com`);
    });
    after(() => app.close());

    it('starts from the defaults of SEMANTICS §4 with the digest off', async () => {
      const res = await call('GET', '/push/settings');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.defaults, {
        manualSuccess: false, manualFailure: false, autoSuccess: false, autoFailure: true,
        failureThreshold: 1, repeat: 'every', notifyRecovery: true, registrationIds: null,
      });
      assert.deepEqual(res.body.digest, { enabled: false, firstAt: '08:00:00', intervalSeconds: 86400, timezone: null, registrationIds: null, nextAt: null });
    });

    it('saves, and anchors the digest at the next future first time in its zone', async () => {
      const mine = await registration(ada);
      const before = Date.now();
      const res = await call('PUT', '/push/settings', {
        defaults: { failureThreshold: 3, repeat: 'once', registrationIds: [mine], titleTemplate: '{{ task.name }}: {{ event }}' },
        digest: { enabled: true, firstAt: '08:00', intervalSeconds: 3600, timezone: 'Asia/Shanghai' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.defaults.failureThreshold, 3);
      assert.equal(res.body.defaults.autoFailure, true, 'an omitted setting is its default');
      assert.equal(res.body.digest.firstAt, '08:00:00');
      const anchor = Date.parse(res.body.digest.nextAt);
      assert.ok(anchor > before, 'in the future even when 08:00 has passed today');
      assert.equal(anchor, firstAnchor('08:00:00', 'Asia/Shanghai', before));
      // Changing only the registrations keeps the rhythm.
      const again = await call('PUT', '/push/settings', { defaults: res.body.defaults, digest: { ...res.body.digest, nextAt: undefined, registrationIds: [mine] } });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.digest.nextAt, res.body.digest.nextAt);
      const off = await call('PUT', '/push/settings', { digest: { enabled: false } });
      assert.equal(off.body.digest.nextAt, null);
    });

    it('refuses other users’ registrations, broken templates and short intervals, naming the field', async () => {
      const theirs = await registration(eve);
      const res = await call('PUT', '/push/settings', { defaults: { registrationIds: [theirs] }, digest: { registrationIds: [theirs] } });
      assert.equal(res.status, 400);
      assert.deepEqual(Object.keys(res.body.error.fields).sort(), ['defaults.registrationIds.0', 'digest.registrationIds.0']);
      const broken = await call('PUT', '/push/settings', { defaults: { bodyTemplate: '{% if %}' } });
      assert.equal(broken.status, 400);
      assert.deepEqual(Object.keys(broken.body.error.fields), ['defaults.bodyTemplate']);
      const short = await call('PUT', '/push/settings', { digest: { intervalSeconds: 30, firstAt: '25:00', timezone: 'Mars/Base' } });
      assert.deepEqual(Object.keys(short.body.error.fields).sort(), ['digest.firstAt', 'digest.intervalSeconds', 'digest.timezone']);
      assert.equal((await call('GET', '/push/settings')).body.digest.enabled, false, 'nothing saved');
    });

    it('previews templates on a sample failure', async () => {
      const res = await call('POST', '/push/settings/preview', { titleTemplate: '{{ task.name }} ✗ {{ run.error }}' });
      assert.equal(res.status, 200);
      assert.equal(res.body.title, 'Daily check-in ✗ step 2/3 failed: HTTP 500 (expected 200)');
      assert.match(res.body.body, /Error: step 2\/3 failed: HTTP 500/);
      const standard = await call('POST', '/push/settings/preview', {});
      assert.equal(standard.body.title, '❌ Daily check-in failed (3× in a row)');
    });

    it('lets a task override the defaults, with its own registrations only', async () => {
      const template = await call('POST', '/templates', { name: 't', steps: [{ method: 'GET', url: 'http://127.0.0.1:1/' }] });
      const theirs = await registration(eve);
      const bad = await call('POST', '/tasks', { templateId: template.body.id, name: 'x', push: { enabled: true, override: { registrationIds: [theirs] } } });
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(bad.body.error.fields), ['push.override.registrationIds.0']);
      const mine = await registration(ada);
      const ok = await call('POST', '/tasks', { templateId: template.body.id, name: 'x', push: { enabled: true, override: { failureThreshold: 2, registrationIds: [mine] } } });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.deepEqual(ok.body.push, { enabled: true, override: { failureThreshold: 2, registrationIds: [mine] } });

      // Deleting the registration makes every setting that chose it forget it.
      const other = await registration(ada);
      const saved = await call('PUT', '/push/settings', { defaults: { registrationIds: [mine, other] }, digest: { registrationIds: [mine] } });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.equal((await call('DELETE', `/push/registrations/${mine}`)).status, 204);
      const settings = (await call('GET', '/push/settings')).body;
      assert.deepEqual([settings.defaults.registrationIds, settings.digest.registrationIds], [[other], []]);
      const task = (await call('GET', `/tasks/${ok.body.id}`)).body;
      assert.deepEqual(task.push.override, { failureThreshold: 2, registrationIds: [] });
      assert.equal((await call('PATCH', `/tasks/${ok.body.id}`, { push: task.push })).status, 200, 'the task saves again');
    });
  });
}
