// Password reset by mail: the link works once and for an hour, ends every session and API token, and
// "forgot password" answers the same (status, body, time) for a registered and an unknown address.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { WebClient, api, assertApiError, userWithToken } from '../helpers/client.js';
import { PASSWORD, linkIn, mailsTo, median, startMailApp, timed, uniqueEmail, type MailApp } from './lifecycle-helpers.js';

/** The page without its per-session CSRF token, to compare two answers. */
const withoutCsrf = (html: string) => html.replace(/name="_csrf" value="[^"]+"/g, '');

for (const dialect of DIALECTS) {
  describe(`password reset by mail (${dialect})`, () => {
    let m: MailApp;
    let admin: { token: string };

    before(async () => {
      m = await startMailApp(dialect);
      admin = await userWithToken(m.app.url, uniqueEmail('root'), PASSWORD);
    });
    after(() => m.close());

    async function audit(action: string) {
      const res = await api(m.app.url, 'GET', `/admin/audit?action=${action}`, { token: admin.token });
      assert.equal(res.status, 200);
      return res.body.items as { action: string; targetId: number; actorUserId: number | null; detail: unknown }[];
    }

    it('mails a link that sets a new password once, and ends every session and API token', async () => {
      const user = await userWithToken(m.app.url, uniqueEmail('forgetful'), PASSWORD);
      const browser = new WebClient(m.app.url);
      await browser.login(user.email);
      assert.equal((await browser.get('/account')).status, 200);

      const visitor = new WebClient(m.app.url);
      const form = await visitor.get('/forgot-password');
      assert.match(form.html, /action="\/forgot-password"/);
      assert.match((await visitor.get('/login')).html, /href="\/forgot-password"/, 'linked from the login page');
      const sent = await visitor.post('/forgot-password', { email: user.email.toUpperCase() });
      assert.equal(sent.status, 200);
      assert.match(sent.html, /If an account exists for that address, a link to set a new password is on its way/);

      const [mail] = await mailsTo(m.sink, user.email);
      assert.equal(mail!.subject, 'Set a new Chime password');
      const link = linkIn(mail!);
      assert.match(link, /^\/reset-password\?token=[A-Za-z0-9_-]{43}$/);
      assert.match(mail!.html ?? '', /href="http:\/\/chime\.test\/reset-password\?token=/);

      const page = await visitor.get(link);
      assert.equal(page.status, 200);
      const token = new URL(link, 'http://x').searchParams.get('token')!;
      const mismatch = await visitor.post('/reset-password', { token, newPassword: 'brand new password', newPasswordConfirm: 'other' });
      assert.equal(mismatch.status, 400, 'a bad form does not use the link');
      const done = await visitor.post('/reset-password', { token, newPassword: 'brand new password', newPasswordConfirm: 'brand new password' });
      assert.equal(done.status, 303);
      assert.equal(done.location, '/login');

      assert.equal((await browser.get('/account')).status, 303, 'the old session is over');
      assert.equal((await api(m.app.url, 'GET', '/me', { token: user.token })).status, 401, 'the API token is revoked');
      assert.equal((await new WebClient(m.app.url).login(user.email, PASSWORD)).status, 401, 'the old password is gone');
      assert.equal((await new WebClient(m.app.url).login(user.email, 'brand new password')).status, 303);
      const fresh = await api(m.app.url, 'POST', '/tokens', { body: { email: user.email, password: 'brand new password', name: 'after reset' } });
      assert.equal((await api(m.app.url, 'GET', '/me', { token: fresh.body.token })).body.emailVerified, true, 'the mailed link proved the address');

      const again = await visitor.get(link);
      assert.equal(again.status, 400);
      assert.match(again.html, /This link does not work \(any more\)/);
      await visitor.get('/forgot-password');
      const reuse = await visitor.post('/reset-password', { token, newPassword: 'third password!', newPasswordConfirm: 'third password!' });
      assert.equal(reuse.status, 400, 'used once only');
      assert.match(reuse.html, /This link does not work \(any more\)/);
      const tokenless = await visitor.post('/reset-password', { newPassword: 'third password!', newPasswordConfirm: 'third password!' });
      assert.equal(tokenless.status, 400);
      assert.match(tokenless.html, /This link does not work \(any more\)/, 'a form without its link says so instead of showing the form again');
      assert.equal((await new WebClient(m.app.url).login(user.email, 'brand new password')).status, 303);

      const resets = (await audit('password.reset')).filter((e) => e.targetId === user.id);
      assert.equal(resets.length, 1);
      assert.deepEqual(resets[0]!.detail, { via: 'mail' });
      assert.equal((await audit('password.reset_requested')).filter((e) => e.targetId === user.id).length, 1);
      assert.doesNotMatch(JSON.stringify(await audit('password.reset')), new RegExp(token), 'no token in the log');
    });

    it('refuses a link after an hour', async () => {
      const user = await userWithToken(m.app.url, uniqueEmail('slow'), PASSWORD);
      const res = await api(m.app.url, 'POST', '/password/forgot', { body: { email: user.email } });
      assert.equal(res.status, 202);
      const token = new URL(linkIn((await mailsTo(m.sink, user.email))[0]!), 'http://x').searchParams.get('token')!;
      m.clock.advance(60 * 60 * 1000 + 1);
      assert.equal((await new WebClient(m.app.url).get(`/reset-password?token=${token}`)).status, 400);
      const late = await api(m.app.url, 'POST', '/password/reset', { body: { token, newPassword: 'too late password' } });
      assertApiError(late, 400, { code: 'invalid_link', fields: { token: 'This link does not work (any more): it was used already, it expired, or it was mistyped.' } });
      assert.equal((await api(m.app.url, 'GET', '/me', { token: user.token })).status, 200, 'nothing changed');
    });

    it('answers a registered and an unknown address alike, page and API, and mails only the registered one', async () => {
      const known = await userWithToken(m.app.url, uniqueEmail('known'), PASSWORD);
      const unknown = uniqueEmail('nobody');
      const a = new WebClient(m.app.url);
      await a.get('/forgot-password');
      const pageKnown = await a.post('/forgot-password', { email: known.email });
      const b = new WebClient(m.app.url);
      await b.get('/forgot-password');
      const pageUnknown = await b.post('/forgot-password', { email: unknown });
      assert.equal(pageKnown.status, pageUnknown.status);
      assert.equal(withoutCsrf(pageKnown.html), withoutCsrf(pageUnknown.html));

      const apiKnown = await api(m.app.url, 'POST', '/password/forgot', { body: { email: known.email } });
      const apiUnknown = await api(m.app.url, 'POST', '/password/forgot', { body: { email: unknown } });
      assert.equal(apiKnown.status, 202);
      assert.deepEqual(apiKnown.body, apiUnknown.body);

      await mailsTo(m.sink, known.email, 2);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(m.sink.messages.filter((x) => x.to.includes(unknown)).length, 0);
    });

    it('takes the same time for a registered and an unknown address', async () => {
      const known = await userWithToken(m.app.url, uniqueEmail('timed'), PASSWORD);
      const ask = (email: string) => timed(() => api(m.app.url, 'POST', '/password/forgot', { body: { email } }));
      const knownTimes: number[] = [];
      const unknownTimes: number[] = [];
      // Interleaved, so a slow moment of the machine hits both; 4 each stays under the per-email limit.
      for (let i = 0; i < 4; i++) {
        knownTimes.push(await ask(known.email));
        unknownTimes.push(await ask(uniqueEmail('ghost')));
      }
      const [k, u] = [median(knownTimes), median(unknownTimes)];
      // The answer comes before any lookup or mail, so both take the same time give or take the
      // machine's noise (generous, since other tests load the machine while this one measures).
      assert.ok(Math.abs(k - u) < 60 || Math.max(k, u) / Math.min(k, u) < 2.5, `known ${k.toFixed(1)} ms vs unknown ${u.toFixed(1)} ms`);
      await mailsTo(m.sink, known.email, 4);
    });
  });

  describe(`forgot password rate limits (${dialect})`, () => {
    let m: MailApp;
    before(async () => {
      m = await startMailApp(dialect);
    });
    after(() => m.close());

    it('limits requests per email (5 an hour) and per address (20 an hour), known or not', async () => {
      const email = uniqueEmail('flooded');
      for (let i = 0; i < 5; i++) assert.equal((await api(m.app.url, 'POST', '/password/forgot', { body: { email } })).status, 202);
      const limited = await api(m.app.url, 'POST', '/password/forgot', { body: { email } });
      assertApiError(limited, 429, { code: 'rate_limited' });
      for (let i = 0; i < 15; i++) assert.equal((await api(m.app.url, 'POST', '/password/forgot', { body: { email: uniqueEmail('other') } })).status, 202);
      assertApiError(await api(m.app.url, 'POST', '/password/forgot', { body: { email: uniqueEmail('more') } }), 429, { code: 'rate_limited' });
      m.clock.advance(60 * 60 * 1000 + 1);
      assert.equal((await api(m.app.url, 'POST', '/password/forgot', { body: { email } })).status, 202, 'open again after the hour');
    });
  });
}
