// Admins manage users (disable, enable, role, delete) and site settings, through /api/v1/admin and the
// /admin pages. The last active admin can never be removed, so the site always has someone to manage it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient, api, assertApiError, userWithToken } from '../helpers/client.js';

const PASSWORD = 'correct horse battery';
// A fixed time, so every timestamp in an answer is known exactly.
const NOW = Math.floor(Date.now() / 1000) * 1000;
const NOW_ISO = new Date(NOW).toISOString();

let seq = 0;
const uniqueEmail = (label: string) => `${label}-${++seq}@example.com`;

/** The <tr> of the admin user list that shows `email`. */
function userRow(html: string, email: string): string {
  const cell = new RegExp(`<td[^>]*>${email.replace(/[.+]/g, '\\$&')}[\\s<]`);
  const row = html.split(/<tr[\s>]/).find((r) => cell.test(r));
  assert.ok(row, `a row for ${email}`);
  return row.split('</tr>')[0]!;
}

for (const dialect of DIALECTS) {
  describe(`admin API (${dialect})`, () => {
    let app: TestApp;
    let admin: { id: number; email: string; token: string };
    const newUser = (label: string) => userWithToken(app.url, uniqueEmail(label), PASSWORD);

    before(async () => {
      app = await startTestApp(dialect, { clock: { now: () => NOW } });
      admin = await newUser('admin'); // the first user is the admin
    });
    after(() => app.close());

    it('lists users with their status and last login, to admins only', async () => {
      const user = await newUser('listed');
      assert.equal((await new WebClient(app.url).login(user.email)).status, 303);
      const res = await api(app.url, 'GET', '/admin/users', { token: admin.token });
      assert.equal(res.status, 200);
      assert.equal(res.body.page, 1);
      assert.equal(res.body.total, res.body.items.length);
      assert.deepEqual(res.body.items[0], { id: admin.id, email: admin.email, role: 'admin', status: 'active', createdAt: NOW_ISO, lastLoginAt: null });
      const listed = res.body.items.find((u: { id: number }) => u.id === user.id);
      assert.deepEqual(listed, { id: user.id, email: user.email, role: 'user', status: 'active', createdAt: NOW_ISO, lastLoginAt: NOW_ISO });

      const forbidden = { code: 'forbidden', message: 'You are not allowed to do that.' };
      assertApiError(await api(app.url, 'GET', '/admin/users', { token: user.token }), 403, forbidden);
      assertApiError(await api(app.url, 'PATCH', `/admin/users/${user.id}`, { token: user.token, body: { role: 'admin' } }), 403, forbidden);
      assertApiError(await api(app.url, 'DELETE', `/admin/users/${admin.id}`, { token: user.token }), 403, forbidden);
      assertApiError(await api(app.url, 'GET', '/admin/settings', { token: user.token }), 403, forbidden);
      assertApiError(await api(app.url, 'PUT', '/admin/settings', { token: user.token, body: { registrationOpen: false } }), 403, forbidden);
      assertApiError(await api(app.url, 'GET', '/admin/users'), 401, { code: 'unauthorized' });
      assert.equal((await api(app.url, 'GET', `/me`, { token: user.token })).body.role, 'user', 'the refused PATCH changed nothing');
    });

    it('a disabled user is logged out at once and their token stops working until enabled again', async () => {
      const user = await newUser('disabled');
      const browser = new WebClient(app.url);
      await browser.login(user.email);
      assert.equal((await browser.get('/account')).status, 200);

      const res = await api(app.url, 'PATCH', `/admin/users/${user.id}`, { token: admin.token, body: { status: 'disabled' } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { id: user.id, email: user.email, role: 'user', status: 'disabled', createdAt: NOW_ISO, lastLoginAt: NOW_ISO });
      assert.equal((await browser.get('/account')).location, '/login?next=%2Faccount');
      assertApiError(await api(app.url, 'GET', '/me', { token: user.token }), 401, { code: 'unauthorized' });
      const disabled = { code: 'account_disabled', message: 'This account is disabled. Ask an admin.' };
      assertApiError(await api(app.url, 'POST', '/tokens', { body: { email: user.email, password: PASSWORD, name: 'x' } }), 403, disabled);
      const login = await new WebClient(app.url).login(user.email);
      assert.equal(login.status, 403);
      assert.match(login.html, /This account is disabled\. Ask an admin\./);

      const enabled = await api(app.url, 'PATCH', `/admin/users/${user.id}`, { token: admin.token, body: { status: 'active' } });
      assert.equal(enabled.status, 200);
      assert.equal(enabled.body.status, 'active');
      assert.equal((await api(app.url, 'GET', '/me', { token: user.token })).status, 200);
      assert.equal((await browser.get('/account')).status, 303, 'the ended session stays ended');
    });

    it('makes a user an admin and back', async () => {
      const user = await newUser('promoted');
      const promoted = await api(app.url, 'PATCH', `/admin/users/${user.id}`, { token: admin.token, body: { role: 'admin' } });
      assert.equal(promoted.status, 200);
      assert.deepEqual(promoted.body, { id: user.id, email: user.email, role: 'admin', status: 'active', createdAt: NOW_ISO, lastLoginAt: null });
      assert.equal((await api(app.url, 'GET', '/admin/users', { token: user.token })).status, 200);
      const demoted = await api(app.url, 'PATCH', `/admin/users/${user.id}`, { token: admin.token, body: { role: 'user' } });
      assert.equal(demoted.body.role, 'user');
      assert.equal((await api(app.url, 'GET', '/admin/users', { token: user.token })).status, 403);
    });

    it('refuses a bad change, naming the field, and changes nothing', async () => {
      const user = await newUser('badpatch');
      const patch = (body: unknown) => api(app.url, 'PATCH', `/admin/users/${user.id}`, { token: admin.token, body });
      assertApiError(await patch({ status: 'gone' }), 400, {
        code: 'invalid_input',
        message: 'Some fields are not valid.',
        fields: { status: 'Must be one of: active, disabled.' },
      });
      assertApiError(await patch({ role: 'root', status: 'disabled' }), 400, { code: 'invalid_input', fields: { role: 'Must be one of: admin, user.' } });
      assertApiError(await patch({ status: 'disabled', email: 'new@example.com' }), 400, {
        code: 'invalid_input',
        fields: { email: 'Unknown field.' },
      });
      assert.equal((await api(app.url, 'GET', '/me', { token: user.token })).status, 200, 'still active');
      for (const id of ['999999', 'abc', '0']) {
        assertApiError(await api(app.url, 'PATCH', `/admin/users/${id}`, { token: admin.token, body: { role: 'admin' } }), 404, { code: 'not_found' });
        assertApiError(await api(app.url, 'DELETE', `/admin/users/${id}`, { token: admin.token }), 404, { code: 'not_found' });
      }
    });

    it('deletes a user: their token stops working and their email can register again', async () => {
      const user = await newUser('deleted');
      const res = await api(app.url, 'DELETE', `/admin/users/${user.id}`, { token: admin.token });
      assert.equal(res.status, 204);
      assertApiError(await api(app.url, 'GET', '/me', { token: user.token }), 401, { code: 'unauthorized' });
      const list = await api(app.url, 'GET', '/admin/users', { token: admin.token });
      assert.equal(list.body.items.some((u: { id: number }) => u.id === user.id), false);
      assertApiError(await api(app.url, 'DELETE', `/admin/users/${user.id}`, { token: admin.token }), 404, { code: 'not_found' });
      const again = await api(app.url, 'POST', '/register', { body: { email: user.email, password: 'another password' } });
      assert.equal(again.status, 201);
      assert.notEqual(again.body.user.id, user.id);
      assert.deepEqual(again.body, { user: { id: again.body.user.id, email: user.email, role: 'user' } });
    });

    it('reads and saves the site settings', async () => {
      const settings = () => api(app.url, 'GET', '/admin/settings', { token: admin.token });
      assert.deepEqual((await settings()).body, { registrationOpen: true, logRetentionDays: 365, mustVerifyEmail: false });
      const saved = await api(app.url, 'PUT', '/admin/settings', { token: admin.token, body: { logRetentionDays: 30 } });
      assert.equal(saved.status, 200);
      assert.deepEqual(saved.body, { registrationOpen: true, logRetentionDays: 30, mustVerifyEmail: false });
      assert.deepEqual((await settings()).body, { registrationOpen: true, logRetentionDays: 30, mustVerifyEmail: false });
      await api(app.url, 'PUT', '/admin/settings', { token: admin.token, body: { logRetentionDays: 365 } });
    });

    it('refuses a bad retention and saves nothing', async () => {
      const put = (body: unknown) => api(app.url, 'PUT', '/admin/settings', { token: admin.token, body });
      const cases: [unknown, string][] = [
        [0, 'Must be at least 1.'],
        [-5, 'Must be at least 1.'],
        [3651, 'Must be at most 3650.'],
        ['abc', 'Must be a whole number.'],
        [1.5, 'Must be a whole number.'],
        [null, 'Must be a whole number.'],
      ];
      for (const [logRetentionDays, message] of cases) {
        const res = await put({ registrationOpen: false, logRetentionDays });
        assertApiError(res, 400, { code: 'invalid_input', fields: { logRetentionDays: message } });
      }
      assertApiError(await put({ registrationOpen: false, colour: 'blue' }), 400, { code: 'invalid_input', fields: { colour: 'Unknown field.' } });
      assert.deepEqual((await api(app.url, 'GET', '/admin/settings', { token: admin.token })).body, { registrationOpen: true, logRetentionDays: 365, mustVerifyEmail: false });
    });
  });

  describe(`the last admin (${dialect})`, () => {
    let app: TestApp;
    let admin: { id: number; email: string; token: string };
    let browser: WebClient;
    const lastAdmin = { code: 'last_admin', message: 'This is the last active admin; make someone else an admin first.' };

    before(async () => {
      app = await startTestApp(dialect);
      admin = await userWithToken(app.url, uniqueEmail('onlyadmin'), PASSWORD);
      browser = new WebClient(app.url);
      await browser.login(admin.email);
    });
    after(() => app.close());

    it('the only admin cannot demote or delete themselves on the admin page', async () => {
      await browser.get('/admin/users');
      const demote = await browser.post(`/admin/users/${admin.id}?page=1`, { action: 'make-user' });
      assert.equal(demote.status, 409);
      assert.match(demote.html, /role="alert">This is the last active admin; make someone else an admin first\./);
      const remove = await browser.post(`/admin/users/${admin.id}/delete`);
      assert.equal(remove.status, 409);
      assert.match(remove.html, /role="alert">You cannot delete your own account here\./);
      assert.match(userRow((await browser.get('/admin/users')).html, admin.email), /<td[^>]*>Admin<\/td>/);
    });

    it('the only admin cannot be demoted, disabled or deleted', async () => {
      const patch = (body: unknown) => api(app.url, 'PATCH', `/admin/users/${admin.id}`, { token: admin.token, body });
      assertApiError(await patch({ role: 'user' }), 409, lastAdmin);
      assertApiError(await patch({ status: 'disabled' }), 409, { code: 'self_disable', message: 'You cannot disable your own account.' });
      assertApiError(await api(app.url, 'DELETE', `/admin/users/${admin.id}`, { token: admin.token }), 409, {
        code: 'self_delete',
        message: 'You cannot delete your own account here.',
      });
      assert.deepEqual((await api(app.url, 'GET', '/me', { token: admin.token })).body.role, 'admin');
    });

    it('a disabled admin does not count; after promoting a second admin the first can step down', async () => {
      const second = await userWithToken(app.url, uniqueEmail('second'), PASSWORD);
      const patchUser = (id: number, body: unknown, token = admin.token) => api(app.url, 'PATCH', `/admin/users/${id}`, { token, body });
      assert.equal((await patchUser(second.id, { role: 'admin' })).status, 200);
      assert.equal((await patchUser(second.id, { status: 'disabled' })).status, 200);
      assertApiError(await patchUser(admin.id, { role: 'user' }), 409, lastAdmin);

      assert.equal((await patchUser(second.id, { status: 'active' })).status, 200);
      assertApiError(await patchUser(admin.id, { status: 'disabled' }), 409, { code: 'self_disable', message: 'You cannot disable your own account.' });
      const stepDown = await patchUser(admin.id, { role: 'user' });
      assert.equal(stepDown.status, 200);
      assert.equal(stepDown.body.role, 'user');
      assert.equal((await api(app.url, 'GET', '/admin/users', { token: admin.token })).status, 403);
      // Now the second one is the last admin, and cannot be taken away by anyone.
      assertApiError(await patchUser(second.id, { role: 'user' }, second.token), 409, lastAdmin);
    });
  });

  describe(`two admins at once (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(dialect);
    });
    after(() => app.close());

    it('two admins demoting each other at the same moment leave one admin', async () => {
      const a = await userWithToken(app.url, uniqueEmail('a'), PASSWORD);
      const b = await userWithToken(app.url, uniqueEmail('b'), PASSWORD);
      assert.equal((await api(app.url, 'PATCH', `/admin/users/${b.id}`, { token: a.token, body: { role: 'admin' } })).status, 200);
      const results = await Promise.all([
        api(app.url, 'PATCH', `/admin/users/${b.id}`, { token: a.token, body: { role: 'user' } }),
        api(app.url, 'PATCH', `/admin/users/${a.id}`, { token: b.token, body: { role: 'user' } }),
      ]);
      // One wins; the other is refused as the last admin, or (if it came second) as no admin any more.
      assert.deepEqual(results.map((r) => r.status === 200).sort(), [false, true]);
      const loser = results.find((r) => r.status !== 200)!;
      assert.ok(loser.status === 409 || loser.status === 403, `refused, not ${loser.status} ${JSON.stringify(loser.body)}`);
      const admins = await app.database.db.knex('users').where({ role: 'admin', status: 'active' }).count({ n: '*' }).first();
      assert.equal(Number(admins?.n), 1);
    });
  });

  describe(`admin pages (${dialect})`, () => {
    let app: TestApp;
    let admin: WebClient;
    let adminToken: string;

    before(async () => {
      app = await startTestApp(dialect);
      admin = new WebClient(app.url);
      const email = uniqueEmail('pageadmin');
      assert.equal((await admin.register(email)).status, 303);
      adminToken = (await api(app.url, 'POST', '/tokens', { body: { email, password: PASSWORD, name: 'admin' } })).body.token;
    });
    after(() => app.close());

    it('lists users with their role and status', async () => {
      const active = await userWithToken(app.url, uniqueEmail('active'), PASSWORD);
      const disabled = await userWithToken(app.url, uniqueEmail('off'), PASSWORD);
      await api(app.url, 'PATCH', `/admin/users/${disabled.id}`, { token: adminToken, body: { status: 'disabled' } });
      const page = await admin.get('/admin/users');
      assert.equal(page.status, 200);
      assert.match(userRow(page.html, active.email), /<td[^>]*>User<\/td>\s*<td[^>]*><span class="badge badge-active">Active<\/span><\/td>/);
      assert.match(userRow(page.html, active.email), /value="disable"/);
      assert.match(userRow(page.html, disabled.email), /<td[^>]*>User<\/td>\s*<td[^>]*><span class="badge badge-disabled">Disabled<\/span><\/td>/);
      assert.match(userRow(page.html, disabled.email), /value="enable"/);
    });

    it('the Disable, Enable and Make admin buttons work', async () => {
      const user = await userWithToken(app.url, uniqueEmail('buttons'), PASSWORD);
      const theirBrowser = new WebClient(app.url);
      await theirBrowser.login(user.email);
      await admin.get('/admin/users?page=1');

      const off = await admin.post(`/admin/users/${user.id}?page=1`, { action: 'disable' });
      assert.equal(off.status, 303);
      assert.equal(off.location, '/admin/users?page=1');
      const afterOff = await admin.get('/admin/users?page=1');
      assert.match(afterOff.html, /User disabled and logged out everywhere\./);
      assert.match(userRow(afterOff.html, user.email), /badge-disabled/);
      assert.equal((await theirBrowser.get('/account')).location, '/login?next=%2Faccount');
      assert.equal((await api(app.url, 'GET', '/me', { token: user.token })).status, 401);

      assert.equal((await admin.post(`/admin/users/${user.id}?page=1`, { action: 'enable' })).status, 303);
      assert.match(userRow((await admin.get('/admin/users')).html, user.email), /badge-active/);
      assert.equal((await api(app.url, 'GET', '/me', { token: user.token })).status, 200);

      assert.equal((await admin.post(`/admin/users/${user.id}?page=1`, { action: 'make-admin' })).status, 303);
      const afterPromote = await admin.get('/admin/users');
      assert.match(afterPromote.html, /User is now an admin\./);
      assert.match(userRow(afterPromote.html, user.email), /<td[^>]*>Admin<\/td>/);
      assert.equal((await api(app.url, 'GET', '/admin/users', { token: user.token })).status, 200);

      const unknown = await admin.post(`/admin/users/${user.id}`, { action: 'explode' });
      assert.equal(unknown.status, 400);
      assert.match(unknown.html, /role="alert">Unknown action\./);
      assert.equal((await admin.post('/admin/users/99999', { action: 'disable' })).status, 404);
    });

    it('deletes a user after the confirmation page', async () => {
      const user = await userWithToken(app.url, uniqueEmail('gone'), PASSWORD);
      const confirm = await admin.get(`/admin/users/${user.id}/delete`);
      assert.equal(confirm.status, 200);
      assert.match(confirm.html, new RegExp(`Delete the account ${user.email.replace(/\./g, '\\.')}\\?`));
      assert.match(confirm.html, new RegExp(`action="/admin/users/${user.id}/delete"`));
      assert.equal((await api(app.url, 'GET', '/me', { token: user.token })).status, 200, 'the page alone deletes nothing');

      const done = await admin.post(`/admin/users/${user.id}/delete`);
      assert.equal(done.status, 303);
      assert.equal(done.location, '/admin/users');
      const list = await admin.get('/admin/users');
      assert.match(list.html, /User deleted\./);
      assert.ok(!list.html.includes(user.email));
      assert.equal((await api(app.url, 'GET', '/me', { token: user.token })).status, 401);
      assert.equal((await admin.get(`/admin/users/${user.id}/delete`)).status, 404);
      assert.equal((await admin.get('/admin/users/abc/delete')).status, 404);
    });

    it('shows a bad retention in the settings form with what was typed, and saves nothing', async () => {
      const form = await admin.get('/admin/settings');
      assert.equal(form.status, 200);
      assert.match(form.html, /name="registrationOpen" checked/);
      assert.match(form.html, /id="f-logRetentionDays"[^>]*value="365"/);
      for (const [typed, message] of [['abc', 'Must be a whole number.'], ['0', 'Must be at least 1.']] as const) {
        const page = await admin.post('/admin/settings', { logRetentionDays: typed });
        assert.equal(page.status, 400);
        assert.match(page.html, new RegExp(`id="f-logRetentionDays-error"[^>]*>${message.replace(/\./g, '\\.')}`));
        assert.match(page.html, new RegExp(`id="f-logRetentionDays"[^>]*value="${typed}"`));
        assert.doesNotMatch(page.html, /name="registrationOpen" checked/, 'the unticked box stays unticked');
      }
      assert.deepEqual((await api(app.url, 'GET', '/admin/settings', { token: adminToken })).body, { registrationOpen: true, logRetentionDays: 365, mustVerifyEmail: false });
    });

    it('unticking "Anyone may register" closes registration', async () => {
      await admin.get('/admin/settings');
      const saved = await admin.post('/admin/settings', { logRetentionDays: '90' });
      assert.equal(saved.status, 303);
      assert.equal(saved.location, '/admin/settings');
      try {
        const form = await admin.get('/admin/settings');
        assert.match(form.html, /Settings saved\./);
        assert.doesNotMatch(form.html, /name="registrationOpen" checked/);
        assert.match(form.html, /id="f-logRetentionDays"[^>]*value="90"/);

        const visitor = new WebClient(app.url);
        const closed = await visitor.get('/register');
        assert.equal(closed.status, 403);
        assert.match(closed.html, /Registration is closed on this site\. Ask an admin for an account\./);
        assert.doesNotMatch(closed.html, /action="\/register"/, 'no form to fill in');
        await visitor.get('/login'); // a page with a CSRF token, so only the closed registration can refuse
        const email = uniqueEmail('latecomer');
        const refused = await visitor.post('/register', { email, password: PASSWORD, passwordConfirm: PASSWORD });
        assert.equal(refused.status, 403);
        assert.match(refused.html, /Registration is closed on this site\./);
        assert.equal((await new WebClient(app.url).login(email)).status, 401, 'no account was made');
      } finally {
        await admin.get('/admin/settings');
        assert.equal((await admin.post('/admin/settings', { registrationOpen: 'on', logRetentionDays: '365' })).status, 303);
      }
      assert.equal((await new WebClient(app.url).get('/register')).status, 200);
    });

    it('refuses the admin pages to a regular user', async () => {
      const user = await userWithToken(app.url, uniqueEmail('nosy'), PASSWORD);
      const browser = new WebClient(app.url);
      await browser.login(user.email);
      await browser.get('/account');
      for (const path of ['/admin', '/admin/users', '/admin/settings', `/admin/users/${user.id}/delete`]) {
        const page = await browser.get(path);
        assert.equal(page.status, 403, path);
        assert.match(page.html, /You are not allowed to do that\./);
      }
      assert.equal((await browser.post(`/admin/users/${user.id}`, { action: 'make-admin' })).status, 403);
      assert.equal((await browser.post('/admin/settings', { logRetentionDays: '1' })).status, 403);
      assert.equal((await api(app.url, 'GET', '/me', { token: user.token })).body.role, 'user');
      assert.deepEqual((await api(app.url, 'GET', '/admin/settings', { token: adminToken })).body, { registrationOpen: true, logRetentionDays: 365, mustVerifyEmail: false });
      assert.equal((await new WebClient(app.url).get('/admin/users')).location, '/login?next=%2Fadmin%2Fusers');
    });
  });
}
