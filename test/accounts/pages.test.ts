// Register, log in, log out and the account page, through the HTML pages with their CSRF tokens.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient } from '../helpers/client.js';

for (const dialect of DIALECTS) {
  describe(`account pages (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(dialect);
    });
    after(() => app.close());

    it('registers the first user as admin, logs out and logs back in', async () => {
      const browser = new WebClient(app.url);
      const reg = await browser.register('first@example.com');
      assert.equal(reg.status, 303);
      assert.equal(reg.location, '/tasks');
      const account = await browser.get('/account');
      assert.equal(account.status, 200);
      assert.match(account.html, /first@example\.com/);
      assert.match(account.html, /Admin/);
      assert.match(account.html, /As the first user you are this site’s admin/);

      const out = await browser.post('/logout');
      assert.equal(out.status, 303);
      assert.equal(out.location, '/login');
      assert.equal((await browser.get('/account')).location, '/login?next=%2Faccount');

      const login = await browser.login('FIRST@example.com ');
      assert.equal(login.status, 303);
      assert.equal(login.location, '/tasks');
      assert.equal((await browser.get('/account')).status, 200);
    });

    it('makes later users regular users', async () => {
      const browser = new WebClient(app.url);
      await browser.register('second@example.com');
      const account = await browser.get('/account');
      assert.match(account.html, /second@example\.com · User/);
      assert.doesNotMatch(account.html, /href="\/admin\/users"/);
      assert.equal((await browser.get('/admin/users')).status, 403);
    });

    it('does not tell that an email is taken: no login, a neutral note on the login page', async () => {
      const browser = new WebClient(app.url);
      await browser.register('dup@example.com');
      const other = new WebClient(app.url);
      const again = await other.register('Dup@Example.com');
      assert.equal(again.status, 303);
      assert.equal(again.location, '/login');
      const login = await other.get('/login');
      assert.match(login.html, /If you already have an account with this address, log in instead/);
      assert.doesNotMatch(login.html, /already registered/);
      assert.equal((await other.get('/account')).status, 303, 'not logged in as the owner');
    });

    it('shows each bad register field with its message and keeps the email', async () => {
      const browser = new WebClient(app.url);
      await browser.get('/register');
      const page = await browser.post('/register', { email: 'not-an-email', password: 'short', passwordConfirm: 'other' });
      assert.equal(page.status, 400);
      assert.match(page.html, /id="f-email-error"[^>]*>Must be an email address/);
      assert.match(page.html, /id="f-password-error"[^>]*>Must be at least 8 characters/);
      assert.match(page.html, /value="not-an-email"/);
      assert.doesNotMatch(page.html, /value="short"/, 'passwords are never sent back');

      const mismatch = await browser.post('/register', { email: 'ok@example.com', password: 'long enough 1', passwordConfirm: 'long enough 2' });
      assert.equal(mismatch.status, 400);
      assert.match(mismatch.html, /id="f-passwordConfirm-error"[^>]*>The two passwords differ/);

      const empty = await browser.post('/register', {});
      assert.equal(empty.status, 400);
      assert.match(empty.html, /id="f-email-error"[^>]*>Required/);
      assert.match(empty.html, /id="f-password-error"[^>]*>Required/);
    });

    it('answers a wrong password with one message and keeps the email', async () => {
      const browser = new WebClient(app.url);
      await browser.register('wrongpw@example.com');
      await browser.post('/logout');
      await browser.get('/login');
      const page = await browser.post('/login', { email: 'wrongpw@example.com', password: 'not the password' });
      assert.equal(page.status, 401);
      assert.match(page.html, /Wrong email or password/);
      assert.match(page.html, /value="wrongpw@example.com"/);
      const unknown = await browser.post('/login', { email: 'nobody@example.com', password: 'whatever1' });
      assert.equal(unknown.status, 401);
      assert.match(unknown.html, /Wrong email or password/);
      const blank = await browser.post('/login', { email: '', password: '' });
      assert.equal(blank.status, 400);
      assert.match(blank.html, /id="f-email-error"[^>]*>Required/);
    });

    it('answers a form posted without its CSRF token with a 403 page', async () => {
      const browser = new WebClient(app.url);
      await browser.get('/register');
      const page = await browser.post('/register', { email: 'csrf@example.com', password: 'long enough', passwordConfirm: 'long enough' }, { csrf: false });
      assert.equal(page.status, 403);
      assert.match(page.html, /This form has expired/);
      const forged = await browser.post('/register', { _csrf: 'forged', email: 'csrf@example.com', password: 'long enough', passwordConfirm: 'long enough' });
      assert.equal(forged.status, 403);
      // Nothing was created: the same email can register properly.
      assert.equal((await browser.register('csrf@example.com')).status, 303);
    });

    it('follows ?next= after login but never to another site', async () => {
      const browser = new WebClient(app.url);
      await browser.register('next@example.com');
      await browser.post('/logout');
      await browser.get('/login?next=%2Faccount%23tokens');
      assert.equal((await browser.post('/login', { email: 'next@example.com', password: 'correct horse battery', next: '/account#tokens' })).location, '/account#tokens');
      await browser.post('/logout');
      await browser.get('/login');
      assert.equal((await browser.post('/login', { email: 'next@example.com', password: 'correct horse battery', next: '//evil.example' })).location, '/tasks');
    });

    it('sets a session cookie that is httpOnly and SameSite=Lax', async () => {
      const res = await fetch(app.url + '/login');
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('chime.sid='));
      assert.ok(cookie);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
      assert.doesNotMatch(cookie, /Secure/, 'not Secure without an https BASE_URL');
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    });

    it('marks the cookie Secure when BASE_URL is https (behind a trusted proxy)', async () => {
      const secure = await startTestApp(dialect, { env: { BASE_URL: 'https://chime.example.com', TRUST_PROXY: 'loopback' } });
      try {
        const res = await fetch(secure.url + '/login', { headers: { 'x-forwarded-proto': 'https' } });
        const cookie = res.headers.getSetCookie().find((c) => c.startsWith('chime.sid='));
        assert.ok(cookie);
        assert.match(cookie, /; Secure/);
        assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=/);
      } finally {
        await secure.close();
      }
    });

    it('changes preferences and the password, with errors per field', async () => {
      const browser = new WebClient(app.url);
      await browser.register('prefs@example.com');
      await browser.get('/account');
      const bad = await browser.post('/account/preferences', { locale: 'fr', timezone: 'Mars/Olympus' });
      assert.equal(bad.status, 400);
      assert.match(bad.html, /id="f-locale-error"/);
      assert.match(bad.html, /id="f-timezone-error"[^>]*>Must be a time zone/);
      assert.match(bad.html, /value="Mars\/Olympus"/);
      const ok = await browser.post('/account/preferences', { locale: '', timezone: 'Asia/Shanghai' });
      assert.equal(ok.status, 303);
      assert.match((await browser.get('/account')).html, /value="Asia\/Shanghai"/);

      const wrong = await browser.post('/account/password', { currentPassword: 'nope', newPassword: 'new password 1', newPasswordConfirm: 'new password 1' });
      assert.equal(wrong.status, 400);
      assert.match(wrong.html, /id="f-currentPassword-error"[^>]*>This is not your current password/);
      const short = await browser.post('/account/password', { currentPassword: 'correct horse battery', newPassword: 'short', newPasswordConfirm: 'short' });
      assert.equal(short.status, 400);
      assert.match(short.html, /id="f-newPassword-error"/);

      const other = new WebClient(app.url);
      await other.login('prefs@example.com');
      assert.equal((await browser.post('/account/password', { currentPassword: 'correct horse battery', newPassword: 'new password 1', newPasswordConfirm: 'new password 1' })).status, 303);
      assert.equal((await browser.get('/account')).status, 200, 'this session stays');
      assert.equal((await other.get('/account')).status, 303, 'other sessions end');
      assert.equal((await new WebClient(app.url).login('prefs@example.com', 'new password 1')).status, 303);
    });

    it('creates an API token shown once, lists it and revokes it', async () => {
      const browser = new WebClient(app.url);
      await browser.register('tokens@example.com');
      await browser.get('/account');
      const blank = await browser.post('/account/tokens', { name: '  ' });
      assert.equal(blank.status, 400);
      assert.match(blank.html, /id="f-name-error"[^>]*>Required/);
      assert.equal((await browser.post('/account/tokens', { name: 'backup script' })).status, 303);
      const shown = await browser.get('/account');
      const token = /id="new-token-value">(chm_[\w-]+)</.exec(shown.html)?.[1];
      assert.ok(token, 'the new token is shown');
      const me = await fetch(app.url + '/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(me.status, 200);
      const again = await browser.get('/account');
      assert.doesNotMatch(again.html, new RegExp(token), 'shown once only');
      assert.match(again.html, /backup script/);
      const id = /action="\/account\/tokens\/(\d+)\/revoke"/.exec(again.html)?.[1];
      assert.equal((await browser.post(`/account/tokens/${id}/revoke`)).status, 303);
      const after = await fetch(app.url + '/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(after.status, 401);
    });

    it('answers an unknown page with the 404 page', async () => {
      const page = await new WebClient(app.url).get('/no/such/page');
      assert.equal(page.status, 404);
      assert.match(page.html, /Page not found/);
    });
  });
}
