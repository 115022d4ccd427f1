// Failed credential checks are limited: about 10 failures per 15 minutes for one email from one
// address (plus a looser cap per address), for the login page and for POST /api/v1/tokens. The
// counters live in the rate_limits table, so every instance counts the same attempts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.js';
import { silentLogger } from '../../src/lib/log.js';
import type { Clock } from '../../src/lib/clock.js';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient, api, assertApiError } from '../helpers/client.js';

const PASSWORD = 'correct horse battery';
const WRONG = 'not the password';
const LIMITED = 'Too many failed attempts. Try again in 15 minutes.';

let seq = 0;
const uniqueEmail = (label: string) => `${label}-${++seq}@example.com`;
// Each test comes from its own address (the app trusts X-Forwarded-For from loopback, like behind a
// proxy), so the per-address cap of one test does not reach into the next.
const uniqueAddress = () => `203.0.113.${++seq}`;

/** A second instance of the app on the same database, as when several run behind a balancer. */
async function startSecondInstance(app: TestApp, clock: Clock) {
  const server = http.createServer(createApp({ config: app.config, db: app.database.db, log: silentLogger, clock }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

for (const dialect of DIALECTS) {
  describe(`failed-login limits (${dialect})`, () => {
    let app: TestApp;
    let offsetMs = 0;
    const clock: Clock = { now: () => Date.now() + offsetMs };

    before(async () => {
      app = await startTestApp(dialect, { clock, env: { TRUST_PROXY: 'loopback' } });
      await register(uniqueEmail('admin')); // the first user is the admin; the tests use later ones
    });
    after(() => app.close());

    async function register(email: string) {
      const res = await api(app.url, 'POST', '/register', { body: { email, password: PASSWORD } });
      assert.equal(res.status, 201);
      return email;
    }

    /** A browser at `address` that has loaded the login page (for its CSRF token). */
    async function browserAt(address: string, baseUrl = app.url) {
      const browser = new WebClient(baseUrl, { 'x-forwarded-for': address });
      await browser.get('/login');
      return browser;
    }

    async function assertWrongPassword(browser: WebClient, email: string) {
      const page = await browser.post('/login', { email, password: WRONG });
      assert.equal(page.status, 401);
      assert.match(page.html, /Wrong email or password/);
    }

    async function assertLimited(browser: WebClient, email: string, password: string) {
      const page = await browser.post('/login', { email, password });
      assert.equal(page.status, 429);
      assert.match(page.html, /Too many failed attempts\. Try again in 15 minutes\./);
      assert.doesNotMatch(page.html, /\bat \S+ \(|Error:/);
    }

    async function lockOut(email: string, address: string) {
      const browser = await browserAt(address);
      for (let i = 0; i < 10; i++) await assertWrongPassword(browser, email);
      await assertLimited(browser, email, WRONG);
      return browser;
    }

    it('answers the 11th wrong password with 429, and then the right one too', async () => {
      const email = await register(uniqueEmail('locked'));
      const browser = await browserAt(uniqueAddress());
      // The email counts however it is written.
      for (let i = 0; i < 10; i++) await assertWrongPassword(browser, i % 2 ? ` ${email.toUpperCase()}` : email);
      await assertLimited(browser, email, WRONG);
      await assertLimited(browser, email, PASSWORD);
      assert.equal((await browser.get('/account')).status, 303, 'not logged in');
    });

    it('limits one email from one address: other emails and other addresses still log in', async () => {
      const locked = await register(uniqueEmail('locked'));
      const other = await register(uniqueEmail('other'));
      const address = uniqueAddress();
      await lockOut(locked, address);

      const sameAddress = await browserAt(address);
      const otherEmail = await sameAddress.post('/login', { email: other, password: PASSWORD });
      assert.equal(otherEmail.status, 303);
      assert.equal(otherEmail.location, '/tasks');

      const elsewhere = await browserAt(uniqueAddress());
      assert.equal((await elsewhere.post('/login', { email: locked, password: PASSWORD })).status, 303);
    });

    it('does not count successful logins', async () => {
      const email = await register(uniqueEmail('often'));
      const address = uniqueAddress();
      for (let i = 0; i < 15; i++) {
        const login = await (await browserAt(address)).post('/login', { email, password: PASSWORD });
        assert.equal(login.status, 303, `login ${i + 1}`);
      }
      // Had they counted, the first of these would already be refused.
      await lockOut(email, address);
    });

    it('cuts an address off after 50 failures, whatever the emails', async () => {
      const real = await register(uniqueEmail('real'));
      const address = uniqueAddress();
      const browser = await browserAt(address);
      for (let i = 0; i < 50; i++) await assertWrongPassword(browser, uniqueEmail('guess'));
      await assertLimited(browser, real, PASSWORD);
      const elsewhere = await browserAt(uniqueAddress());
      assert.equal((await elsewhere.post('/login', { email: real, password: PASSWORD })).status, 303);
    });

    it('keeps the counters in the database, so every instance counts the same attempts', async () => {
      const second = await startSecondInstance(app, clock);
      try {
        const email = await register(uniqueEmail('shared'));
        const address = uniqueAddress();
        const one = await browserAt(address);
        const two = await browserAt(address, second.url);
        for (let i = 0; i < 10; i++) await assertWrongPassword(i % 2 ? two : one, email);
        await assertLimited(one, email, PASSWORD);
        await assertLimited(two, email, PASSWORD);
        const rows = await app.database.db.knex('rate_limits').where('key', 'like', `login:email:%${email}`);
        assert.equal(rows.length, 1);
        assert.equal(Number(rows[0].hits), 12);
      } finally {
        await second.close();
      }
    });

    it('limits POST /api/v1/tokens the same way, with a JSON 429', async () => {
      const email = await register(uniqueEmail('apilocked'));
      const other = await register(uniqueEmail('apiother'));
      const headers = { 'x-forwarded-for': uniqueAddress() };
      const tokenFor = (who: string, password: string) => api(app.url, 'POST', '/tokens', { headers, body: { email: who, password, name: 'script' } });

      for (let i = 0; i < 10; i++) {
        assertApiError(await tokenFor(email, WRONG), 401, { code: 'invalid_credentials', message: 'Wrong email or password.' });
      }
      const limited = await tokenFor(email, WRONG);
      assertApiError(limited, 429, { code: 'rate_limited', message: LIMITED });
      assert.match(limited.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assertApiError(await tokenFor(email, PASSWORD), 429, { code: 'rate_limited', message: LIMITED });
      assert.equal((await tokenFor(other, PASSWORD)).status, 201, 'another email from the same address');
    });

    it('counts attempts made at the same moment exactly', async () => {
      const email = await register(uniqueEmail('burst'));
      const headers = { 'x-forwarded-for': uniqueAddress() };
      const burst = await Promise.all(
        Array.from({ length: 20 }, () => api(app.url, 'POST', '/tokens', { headers, body: { email, password: WRONG, name: 'script' } })),
      );
      const statuses = burst.map((res) => res.status).sort();
      assert.deepEqual(statuses, [...Array(10).fill(401), ...Array(10).fill(429)]);
    });

    it('does not count successful token requests', async () => {
      const email = await register(uniqueEmail('apioften'));
      const headers = { 'x-forwarded-for': uniqueAddress() };
      const tokenFor = (password: string) => api(app.url, 'POST', '/tokens', { headers, body: { email, password, name: 'script' } });
      for (let i = 0; i < 15; i++) assert.equal((await tokenFor(PASSWORD)).status, 201, `token ${i + 1}`);
      for (let i = 0; i < 10; i++) assert.equal((await tokenFor(WRONG)).status, 401, `failure ${i + 1}`);
      assertApiError(await tokenFor(WRONG), 429, { code: 'rate_limited', message: LIMITED });
    });

    // Moves the clock forward, so it runs last.
    it('lets the email try again once the 15 minutes are over', async () => {
      const email = await register(uniqueEmail('later'));
      const address = uniqueAddress();
      const browser = await lockOut(email, address);
      offsetMs += 14 * 60 * 1000;
      await assertLimited(browser, email, PASSWORD);
      offsetMs += 60 * 1000 + 1;
      await assertWrongPassword(browser, email);
      const login = await browser.post('/login', { email, password: PASSWORD });
      assert.equal(login.status, 303);
      assert.equal(login.location, '/tasks');
    });
  });
}
