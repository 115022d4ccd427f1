// Email verification (the site setting, the mailed link, the gate on tasks and push registrations, the
// banner), registering without telling whether an address is taken, changing the address, deleting
// one's own account, and the audit log with its access rules.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import ejs from 'ejs';
import { DIALECTS } from '../helpers/db.js';
import { VIEWS_DIR } from '../../src/lib/paths.js';
import { translator } from '../../src/lib/i18n.js';
import { WebClient, api, assertApiError, userWithToken } from '../helpers/client.js';
import { PASSWORD, linkIn, mailsTo, median, startMailApp, timed, uniqueEmail, type MailApp } from './lifecycle-helpers.js';

const DAY = 24 * 60 * 60 * 1000;

async function renderBanner(locals: Record<string, unknown>): Promise<string> {
  return ejs.renderFile(path.join(VIEWS_DIR, 'partials/verify-banner.ejs'), { t: translator('en'), ...locals });
}

for (const dialect of DIALECTS) {
  describe(`email verification, email change, account deletion, audit (${dialect})`, () => {
    let m: MailApp;
    let admin: { id: number; email: string; token: string };

    before(async () => {
      m = await startMailApp(dialect);
      admin = await userWithToken(m.app.url, uniqueEmail('root'), PASSWORD);
    });
    after(() => m.close());

    const call = (method: string, path: string, options: Parameters<typeof api>[3] = {}) => api(m.app.url, method, path, options);
    const setVerification = (on: boolean) => call('PUT', '/admin/settings', { token: admin.token, body: { mustVerifyEmail: on } });
    const auditOf = async (action: string) => (await call('GET', `/admin/audit?action=${action}`, { token: admin.token })).body.items as any[];
    const token = async (email: string, password = PASSWORD) => (await call('POST', '/tokens', { body: { email, password, name: 't' } })).body.token as string;

    it('while verification is required: register answers alike for new and taken addresses, in the same time class', async () => {
      assert.deepEqual((await setVerification(true)).body.mustVerifyEmail, true);
      try {
        const taken = await userWithToken(m.app.url, uniqueEmail('taken'), PASSWORD).catch(() => undefined);
        assert.equal(taken, undefined, 'no 201 while verification is required');
        const existing = uniqueEmail('existing');
        await setVerification(false);
        await userWithToken(m.app.url, existing, PASSWORD);
        await setVerification(true);

        const fresh = uniqueEmail('fresh');
        const newOne = await call('POST', '/register', { body: { email: fresh, password: PASSWORD } });
        const takenOne = await call('POST', '/register', { body: { email: existing, password: 'some other password' } });
        assert.equal(newOne.status, 202);
        assert.equal(takenOne.status, 202);
        assert.deepEqual(newOne.body, { status: 'pending', message: 'Thanks. Check your mail to continue: we sent a message to that address.' });
        assert.deepEqual(takenOne.body, newOne.body);

        const browser = new WebClient(m.app.url);
        const page = await browser.register(uniqueEmail('page'));
        const other = new WebClient(m.app.url);
        const pageTaken = await other.register(existing);
        assert.deepEqual([page.status, page.location], [pageTaken.status, pageTaken.location]);
        assert.equal(page.location, '/login');

        const [verify] = await mailsTo(m.sink, fresh);
        assert.equal(verify!.subject, 'Verify your email address for Chime');
        const [notice] = await mailsTo(m.sink, existing);
        assert.equal(notice!.subject, 'Your Chime account');

        // Both do the password hash: time them, interleaved.
        const newTimes: number[] = [];
        const takenTimes: number[] = [];
        for (let i = 0; i < 4; i++) {
          newTimes.push(await timed(() => call('POST', '/register', { body: { email: uniqueEmail('t'), password: PASSWORD } })));
          takenTimes.push(await timed(() => call('POST', '/register', { body: { email: existing, password: PASSWORD } })));
        }
        const [n, t] = [median(newTimes), median(takenTimes)];
        // Same class: a path without the hash would be an order of magnitude faster. The bounds are
        // generous because other tests load the machine while this one measures.
        assert.ok(Math.abs(n - t) < 60 || Math.max(n, t) / Math.min(n, t) < 2.5, `new ${n.toFixed(1)} ms vs taken ${t.toFixed(1)} ms`);
      } finally {
        await setVerification(false);
      }
    });

    it('holds unverified users back from tasks and push registrations until they follow the link', async () => {
      await setVerification(true);
      try {
        const email = uniqueEmail('unverified');
        assert.equal((await call('POST', '/register', { body: { email, password: PASSWORD } })).status, 202);
        const tok = await token(email);
        assert.ok(tok, 'unverified users can log in and get tokens');
        assert.equal((await call('GET', '/me', { token: tok })).body.emailVerified, false);
        assertApiError(await call('POST', '/tasks', { token: tok, body: { templateId: 1, name: 'x' } }), 403, { code: 'email_not_verified' });
        assertApiError(await call('POST', '/push/registrations', { token: tok, body: {} }), 403, { code: 'email_not_verified' });
        const browser = new WebClient(m.app.url);
        await browser.login(email);
        // The banner partial (views/layout.ejs includes it) gets its locals from lifecycle-routes.ts.
        const banner = await renderBanner({ verifyBanner: { email }, user: { id: 1 }, csrfToken: 'c', currentPath: '/tasks' });
        assert.match(banner, new RegExp(`Please verify your email address ${email.replace(/[.]/g, '\\.')}`));
        assert.match(banner, /action="\/account\/verify-email"/);
        assert.equal((await renderBanner({ user: { id: 1 }, csrfToken: 'c', currentPath: '/tasks' })).trim(), '');
        assert.equal((await browser.post('/tasks/new', { name: 'x' })).status, 403);

        const link = linkIn((await mailsTo(m.sink, email))[0]!);
        assert.match(link, /^\/verify-email\?token=/);
        // A forged or altered link does nothing.
        assert.equal((await browser.get(link.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))).status, 400);
        const verified = await browser.get(link);
        assert.equal(verified.status, 303);
        assert.equal(verified.location, '/account');
        assert.match((await browser.get('/account')).html, /Verified\./);
        assert.equal((await call('POST', '/tasks', { token: tok, body: {} })).status, 400, 'past the gate: only the body is wrong now');
        assert.equal((await call('GET', '/me', { token: tok })).body.emailVerified, true);
        assert.equal((await auditOf('email.verified')).filter((e) => e.actorUserId !== null).length >= 1, true);
      } finally {
        await setVerification(false);
      }
    });

    it('resends on request; a link expires after 30 days', async () => {
      const user = await userWithToken(m.app.url, uniqueEmail('later'), PASSWORD);
      assert.equal((await call('POST', '/me/verify-email', { token: user.token })).status, 202);
      const link = linkIn((await mailsTo(m.sink, user.email))[0]!);
      m.clock.advance(31 * DAY);
      try {
        assertApiError(await call('POST', '/verify-email', { body: { token: new URL(link, 'http://x').searchParams.get('token') } }), 400, {
          code: 'invalid_link',
          fields: { token: 'This verification link does not work: it expired, was mistyped, or is for an address your account no longer has.' },
        });
      } finally {
        m.clock.advance(-31 * DAY); // sessions of the later tests follow the real cookie expiry
      }
      const ok = await call('POST', '/verify-email', { body: { token: new URL(link, 'http://x').searchParams.get('token') } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.emailVerified, true);
    });

    it('changes the email with the current password: unverified, verification mailed, old address told', async () => {
      const user = await userWithToken(m.app.url, uniqueEmail('mover'), PASSWORD);
      const target = uniqueEmail('moved');
      assertApiError(await call('PUT', '/me/email', { token: user.token, body: { currentPassword: 'wrong password', email: target } }), 400, {
        code: 'invalid_input',
        fields: { currentPassword: 'This is not your current password.' },
      });
      const taken = await call('PUT', '/me/email', { token: user.token, body: { currentPassword: PASSWORD, email: admin.email } });
      assert.equal(taken.status, 409);
      assert.doesNotMatch(JSON.stringify(taken.body), /registered/);
      const res = await call('PUT', '/me/email', { token: user.token, body: { currentPassword: PASSWORD, email: target.toUpperCase() } });
      assert.equal(res.status, 200);
      assert.equal(res.body.email, target);
      assert.equal(res.body.emailVerified, false);
      assert.match(linkIn((await mailsTo(m.sink, target))[0]!), /^\/verify-email\?token=/);
      assert.equal((await mailsTo(m.sink, user.email))[0]!.subject, 'Your Chime email address was changed');
      assert.equal((await token(target)) !== undefined, true);
      const changed = (await auditOf('email.changed')).find((e) => e.targetId === user.id);
      assert.deepEqual(changed.detail, { from: user.email, to: target });
    });

    it('deletes one’s own account and every row of it after the password; the last admin cannot', async () => {
      const user = await userWithToken(m.app.url, uniqueEmail('leaver'), PASSWORD);
      const template = await call('POST', '/templates', { token: user.token, body: { name: 't', steps: [{ method: 'GET', url: 'http://127.0.0.1:1/' }] } });
      assert.equal(template.status, 201);
      assert.equal((await call('POST', '/tasks', { token: user.token, body: { templateId: template.body.id, name: 'x' } })).status, 201);
      const reg = await call('POST', '/push/registrations', { token: user.token, body: { channel: 'webhook', name: 'h', config: { url: 'https://hooks.example.com/h', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } } });
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
      assert.equal((await call('POST', `/tasks/${(await call('GET', '/tasks', { token: user.token })).body.items[0].id}/run`, { token: user.token })).status, 200);
      assert.equal((await call('POST', '/password/forgot', { body: { email: user.email } })).status, 202);
      await mailsTo(m.sink, user.email);
      const knex = m.app.database.db.knex;
      const tables = ['templates', 'tasks', 'task_runs', 'push_registrations', 'api_tokens', 'sessions', 'push_settings', 'push_messages', 'password_resets'];
      const counts = async () => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, Number((await knex(t).where({ user_id: user.id }).count({ n: '*' }))[0]!.n)])));
      const before = await counts();
      assert.ok(before.templates === 1 && before.tasks === 1 && before.task_runs === 1 && before.push_registrations === 1 && before.api_tokens === 1 && before.password_resets === 1, JSON.stringify(before));

      const browser = new WebClient(m.app.url);
      await browser.login(user.email);
      const confirm = await browser.get('/account/delete');
      assert.equal(confirm.status, 200);
      assert.equal((await browser.post('/account/delete', { currentPassword: 'wrong password' })).status, 400);
      const done = await browser.post('/account/delete', { currentPassword: PASSWORD });
      assert.equal(done.status, 303);
      assert.equal(done.location, '/login');
      assert.deepEqual(Object.values(await counts()), tables.map(() => 0));
      assert.equal(Number((await knex('users').where({ id: user.id }).count({ n: '*' }))[0]!.n), 0);
      assert.equal((await browser.get('/account')).status, 303, 'logged out');
      assert.equal((await auditOf('account.deleted')).filter((e) => e.targetId === user.id).length, 1);

      const root = new WebClient(m.app.url);
      await root.login(admin.email);
      await root.get('/account/delete');
      const refused = await root.post('/account/delete', { currentPassword: PASSWORD });
      assert.equal(refused.status, 409);
      assertApiError(await call('DELETE', '/me', { token: admin.token, body: { currentPassword: PASSWORD } }), 409, { code: 'last_admin' });
    });

    it('audits admin actions and security events, newest first, 50 a page; only admins see it', async () => {
      const user = await userWithToken(m.app.url, uniqueEmail('audited'), PASSWORD);
      await call('PATCH', `/admin/users/${user.id}`, { token: admin.token, body: { status: 'disabled' } });
      await call('PATCH', `/admin/users/${user.id}`, { token: admin.token, body: { status: 'active' } });
      await call('PATCH', `/admin/users/${user.id}`, { token: admin.token, body: { role: 'admin' } });
      await call('PATCH', `/admin/users/${user.id}`, { token: admin.token, body: { role: 'user' } });
      await call('PUT', '/admin/settings', { token: admin.token, body: { logRetentionDays: 90 } });
      await call('PUT', '/me/password', { token: user.token, body: { currentPassword: PASSWORD, newPassword: 'another password 2' } });
      const extra = await call('POST', '/tokens', { body: { email: user.email, password: 'another password 2', name: 'second' } });
      await call('DELETE', `/tokens/${extra.body.id}`, { token: user.token });
      await call('DELETE', `/admin/users/${user.id}`, { token: admin.token });

      const all = (await call('GET', '/admin/audit?limit=200', { token: admin.token })).body.items as any[];
      const mine = all.filter((e) => e.targetId === user.id || e.detail?.userId === user.id || e.targetType === 'site');
      const actions = mine.map((e) => e.action);
      for (const a of ['user.disabled', 'user.enabled', 'user.role_changed', 'settings.changed', 'password.changed', 'token.created', 'token.revoked', 'user.deleted']) {
        assert.ok(actions.includes(a), `${a} in ${actions}`);
      }
      assert.deepEqual(all.map((e) => e.id), [...all.map((e) => e.id)].sort((a, b) => b - a), 'newest first');
      const of = (action: string) => mine.filter((e) => e.action === action);
      assert.deepEqual(of('user.role_changed').map((e) => e.detail).reverse(), [{ role: 'admin' }, { role: 'user' }]);
      assert.deepEqual(of('token.created').find((e) => e.targetId === extra.body.id)?.detail, { name: 'second', userId: user.id });
      assert.deepEqual(of('token.revoked').map((e) => [e.targetId, e.actorUserId]), [[extra.body.id, user.id]]);
      assert.deepEqual(of('user.deleted').map((e) => [e.actorUserId, e.detail]), [[admin.id, { email: user.email }]]);
      for (const e of mine) assert.equal(e.ip, '127.0.0.1', `${e.action} names the client address`);
      const settings = mine.find((e) => e.action === 'settings.changed' && e.detail.logRetentionDays);
      assert.deepEqual(settings.detail, { logRetentionDays: [365, 90] });
      assert.equal(settings.actorUserId, admin.id);
      assert.equal(settings.ip, '127.0.0.1');
      assert.doesNotMatch(JSON.stringify(all), /chm_|another password|correct horse/, 'no secrets');

      const firstTwo = await call('GET', '/admin/audit?limit=2', { token: admin.token });
      const next = await call('GET', `/admin/audit?limit=2&before=${firstTwo.body.nextBefore}`, { token: admin.token });
      assert.deepEqual([...firstTwo.body.items, ...next.body.items].map((e: any) => e.id), all.slice(0, 4).map((e) => e.id));

      const page = new WebClient(m.app.url);
      await page.login(admin.email);
      // The admin pages write the same entries as the API: disable, role, delete, settings, and tokens on the account page.
      const target = await userWithToken(m.app.url, uniqueEmail('paged'), PASSWORD);
      await page.get('/admin/users');
      assert.equal((await page.post(`/admin/users/${target.id}`, { action: 'disable' })).status, 303);
      assert.equal((await page.post(`/admin/users/${target.id}`, { action: 'make-admin' })).status, 303);
      assert.equal((await page.post('/admin/settings', { registrationOpen: 'on', logRetentionDays: '30' })).status, 303);
      assert.equal((await page.post(`/admin/users/${target.id}/delete`, {})).status, 303);
      await page.get('/account');
      assert.equal((await page.post('/account/tokens', { name: 'from the page' })).status, 303);
      const pageToken = (await call('GET', '/tokens', { token: admin.token })).body.items.find((t: any) => t.name === 'from the page');
      assert.equal((await page.post(`/account/tokens/${pageToken.id}/revoke`, {})).status, 303);
      const recent = (await call('GET', '/admin/audit?limit=10', { token: admin.token })).body.items as any[];
      assert.deepEqual(
        recent.slice(0, 6).reverse().map((e) => [e.action, e.actorUserId, e.ip]),
        ['user.disabled', 'user.role_changed', 'settings.changed', 'user.deleted', 'token.created', 'token.revoked'].map((a) => [a, admin.id, '127.0.0.1']),
      );
      assert.deepEqual(recent[3].detail, { logRetentionDays: [90, 30] });

      const mistyped = await page.get('/admin/audit?before=abc');
      assert.equal(mistyped.status, 400);
      assert.match(mistyped.html, /role="alert">before: Must be a number\./);
      assert.match(mistyped.html, /<code>token\.revoked<\/code>/, 'with the newest entries under it');
      const html = (await page.get('/admin/audit?action=user.deleted')).html;
      assert.match(html, /<code>user\.deleted<\/code>/);
      assert.doesNotMatch(html, /<code>user\.disabled<\/code>/);
      assert.match((await page.get('/admin/users')).html, /href="\/admin\/audit"/);

      const plain = await userWithToken(m.app.url, uniqueEmail('plain'), PASSWORD);
      assertApiError(await call('GET', '/admin/audit', { token: plain.token }), 403, { code: 'forbidden' });
      assert.equal((await call('GET', '/admin/audit')).status, 401);
      const browser = new WebClient(m.app.url);
      await browser.login(plain.email);
      assert.equal((await browser.get('/admin/audit')).status, 403);
      assert.equal((await new WebClient(m.app.url).get('/admin/audit')).status, 303);
    });
  });
}
