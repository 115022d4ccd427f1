// The Auth part of the JSON API (API.md): register, tokens, me, the error format, and CSRF for calls
// made with a session cookie instead of a token.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient, api, assertApiError, userWithToken, type ApiResponse } from '../helpers/client.js';

const PASSWORD = 'correct horse battery';
// A fixed time, so every timestamp in an answer is known exactly.
const NOW = Math.floor(Date.now() / 1000) * 1000;
const NOW_ISO = new Date(NOW).toISOString();

const UNAUTHORIZED = 'Log in, or send a valid API token (Authorization: Bearer …).';

let seq = 0;
const uniqueEmail = (label: string) => `${label}-${++seq}@example.com`;

/** What a leaked exception looks like: a stack frame, a file of ours, or "Error:". */
const INTERNALS = /\bat \S+ \(|\n\s+at |node_modules|\/src\/|\.ts:\d+|Error:/;

function assertNoInternals(res: ApiResponse) {
  const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body ?? '');
  assert.doesNotMatch(text, INTERNALS, `no stack trace or error class in ${text}`);
}

for (const dialect of DIALECTS) {
  describe(`accounts API (${dialect})`, () => {
    let app: TestApp;
    let firstRegistration: ApiResponse;
    let admin: { id: number; token: string };

    /** api() that also checks the answer never shows internals. */
    async function call(method: string, path: string, options: Parameters<typeof api>[3] = {}) {
      const res = await api(app.url, method, path, options);
      assertNoInternals(res);
      return res;
    }

    async function newUser(label: string) {
      return userWithToken(app.url, uniqueEmail(label), PASSWORD);
    }

    before(async () => {
      app = await startTestApp(dialect, { clock: { now: () => NOW } });
      firstRegistration = await call('POST', '/register', { body: { email: '  First@Example.com ', password: PASSWORD } });
      const token = await call('POST', '/tokens', { body: { email: 'first@example.com', password: PASSWORD, name: 'admin' } });
      admin = { id: firstRegistration.body.user.id, token: token.body.token };
    });
    after(() => app.close());

    it('makes the first user to register the admin', () => {
      assert.equal(firstRegistration.status, 201);
      assert.deepEqual(firstRegistration.body, { user: { id: admin.id, email: 'first@example.com', role: 'admin' } });
      assert.equal(typeof admin.id, 'number');
    });

    it('registers later users as regular users', async () => {
      const email = uniqueEmail('later');
      const res = await call('POST', '/register', { body: { email, password: PASSWORD } });
      assert.equal(res.status, 201);
      assert.equal(typeof res.body.user.id, 'number');
      assert.notEqual(res.body.user.id, admin.id);
      assert.deepEqual(res.body, { user: { id: res.body.user.id, email, role: 'user' } });
    });

    it('names each bad register field', async () => {
      const bad = await call('POST', '/register', { body: { email: 'not-an-email', password: 'short' } });
      assertApiError(bad, 400, {
        code: 'invalid_input',
        message: 'Some fields are not valid.',
        fields: { email: 'Must be an email address such as you@example.com.', password: 'Must be at least 8 characters.' },
      });
      const empty = await call('POST', '/register', { body: {} });
      assertApiError(empty, 400, { code: 'invalid_input', fields: { email: 'Required.', password: 'Required.' } });
      const tooLong = await call('POST', '/register', { body: { email: `${'a'.repeat(250)}@example.com`, password: 'x'.repeat(201) } });
      assertApiError(tooLong, 400, {
        code: 'invalid_input',
        fields: { email: 'Must be at most 254 characters.', password: 'Must be at most 200 characters.' },
      });
      const wrongTypes = await call('POST', '/register', { body: { email: 42, password: ['a', 'b'] } });
      assert.equal(wrongTypes.status, 400);
      assert.deepEqual(Object.keys(wrongTypes.body.error.fields), ['email', 'password']);
    });

    it('does not tell that an email is taken, whatever its case', async () => {
      const email = uniqueEmail('taken');
      assert.equal((await call('POST', '/register', { body: { email, password: PASSWORD } })).status, 201);
      const again = await call('POST', '/register', { body: { email: ` ${email.toUpperCase()}`, password: 'another password' } });
      assert.equal(again.status, 202);
      assert.deepEqual(again.body, {
        status: 'pending',
        message: 'Thanks. If you already have an account with this address, log in instead (or ask the admin to reset your password).',
      });
      assert.doesNotMatch(JSON.stringify(again.body), /registered|taken/);
    });

    it('refuses registration while it is closed, but existing users still get tokens', async () => {
      const existing = await newUser('existing');
      const closed = await call('PUT', '/admin/settings', { token: admin.token, body: { registrationOpen: false } });
      assert.equal(closed.status, 200);
      try {
        const res = await call('POST', '/register', { body: { email: uniqueEmail('closed'), password: PASSWORD } });
        assertApiError(res, 403, {
          code: 'registration_closed',
          message: 'Registration is closed on this site. Ask an admin for an account.',
        });
        const token = await call('POST', '/tokens', { body: { email: existing.email, password: PASSWORD, name: 'while closed' } });
        assert.equal(token.status, 201);
      } finally {
        assert.equal((await call('PUT', '/admin/settings', { token: admin.token, body: { registrationOpen: true } })).status, 200);
      }
      assert.equal((await call('POST', '/register', { body: { email: uniqueEmail('reopened'), password: PASSWORD } })).status, 201);
    });

    it('creates a token for the right credentials and shows it once', async () => {
      const email = uniqueEmail('token');
      const reg = await call('POST', '/register', { body: { email, password: PASSWORD } });
      const res = await call('POST', '/tokens', { body: { email: email.toUpperCase(), password: PASSWORD, name: '  laptop ' } });
      assert.equal(res.status, 201);
      assert.deepEqual(Object.keys(res.body).sort(), ['id', 'name', 'token']);
      assert.equal(typeof res.body.id, 'number');
      assert.equal(res.body.name, 'laptop');
      assert.match(res.body.token, /^chm_[\w-]{43}$/);
      const me = await call('GET', '/me', { token: res.body.token });
      assert.equal(me.status, 200);
      assert.equal(me.body.id, reg.body.user.id);
    });

    it('refuses a token for a wrong password or an unknown email', async () => {
      const user = await newUser('wrongcreds');
      for (const body of [
        { email: user.email, password: 'not the password', name: 'x' },
        { email: uniqueEmail('nobody'), password: PASSWORD, name: 'x' },
      ]) {
        assertApiError(await call('POST', '/tokens', { body }), 401, { code: 'invalid_credentials', message: 'Wrong email or password.' });
      }
    });

    it('refuses a token without a name', async () => {
      const user = await newUser('noname');
      for (const name of [undefined, '', '   ']) {
        const res = await call('POST', '/tokens', { body: { email: user.email, password: PASSWORD, name } });
        assertApiError(res, 400, { code: 'invalid_input', fields: { name: 'Required.' } });
      }
      const long = await call('POST', '/tokens', { body: { email: user.email, password: PASSWORD, name: 'x'.repeat(101) } });
      assertApiError(long, 400, { code: 'invalid_input', fields: { name: 'Must be at most 100 characters.' } });
    });

    it('tells the token holder who they are', async () => {
      const user = await newUser('me');
      const me = await call('GET', '/me', { token: user.token });
      assert.equal(me.status, 200);
      assert.deepEqual(me.body, { id: user.id, email: user.email, role: 'user', locale: null, timezone: null, emailVerified: false });
      const adminMe = await call('GET', '/me', { token: admin.token });
      assert.deepEqual(adminMe.body, { id: admin.id, email: 'first@example.com', role: 'admin', locale: null, timezone: null, emailVerified: false });
    });

    it('answers a missing, unknown or malformed token with a JSON 401', async () => {
      const user = await newUser('badauth');
      const cases: Record<string, string>[] = [
        {},
        { authorization: 'Bearer chm_not-a-real-token' },
        { authorization: `Bearer ${user.token}x` },
        { authorization: `Bearer ${user.token.slice(4)}` },
        { authorization: 'Bearer' },
        { authorization: `Token ${user.token}` },
        { authorization: `Bearer ${user.token} ${user.token}` },
        { authorization: 'Basic dXNlcjpwYXNz' },
        { authorization: user.token },
      ];
      for (const headers of cases) {
        const res = await call('GET', '/me', { headers });
        assertApiError(res, 401, { code: 'unauthorized', message: UNAUTHORIZED });
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      }
      // A wrong token is refused even where no login is needed.
      const register = await call('POST', '/register', { headers: { authorization: 'Bearer chm_wrong' }, body: { email: uniqueEmail('x'), password: PASSWORD } });
      assertApiError(register, 401, { code: 'unauthorized', message: UNAUTHORIZED });
      assert.equal((await call('GET', '/me', { headers: { authorization: `bearer ${user.token}` } })).status, 200, 'the scheme is case-insensitive');
    });

    it('lists tokens with their hint and times, never the token itself', async () => {
      const user = await newUser('list'); // its token is named "test"
      const ci = await call('POST', '/tokens', { body: { email: user.email, password: PASSWORD, name: 'ci' } });
      const tokens = await call('GET', '/tokens', { token: user.token });
      assert.equal(tokens.status, 200);
      assert.deepEqual(tokens.body, {
        items: [
          { id: ci.body.id, name: 'ci', hint: ci.body.token.slice(0, 8), createdAt: NOW_ISO, lastUsedAt: null },
          { id: tokens.body.items[1].id, name: 'test', hint: user.token.slice(0, 8), createdAt: NOW_ISO, lastUsedAt: NOW_ISO },
        ],
      });
      const text = JSON.stringify(tokens.body);
      assert.ok(!text.includes(user.token) && !text.includes(ci.body.token), 'no token in the list');
      // Only the holder's own tokens.
      assert.deepEqual((await call('GET', '/tokens', { token: admin.token })).body.items.map((t: { name: string }) => t.name), ['admin']);
    });

    it('a revoked token stops working', async () => {
      const user = await newUser('revoke');
      const ci = await call('POST', '/tokens', { body: { email: user.email, password: PASSWORD, name: 'ci' } });
      const res = await call('DELETE', `/tokens/${ci.body.id}`, { token: user.token });
      assert.equal(res.status, 204);
      assert.equal(res.body, undefined);
      assertApiError(await call('GET', '/me', { token: ci.body.token }), 401, { code: 'unauthorized' });
      assertApiError(await call('DELETE', `/tokens/${ci.body.id}`, { token: user.token }), 404, { code: 'not_found' });
      assert.equal((await call('GET', '/me', { token: user.token })).status, 200, 'the other token still works');

      // Revoking the token in use works too, and ends it.
      const own = (await call('GET', '/tokens', { token: user.token })).body.items[0].id;
      assert.equal((await call('DELETE', `/tokens/${own}`, { token: user.token })).status, 204);
      assertApiError(await call('GET', '/me', { token: user.token }), 401, { code: 'unauthorized' });
    });

    it('changes language and time zone, and then answers in that language', async () => {
      const user = await newUser('prefs');
      const res = await call('PATCH', '/me', { token: user.token, body: { locale: 'zh-CN', timezone: 'Asia/Shanghai' } });
      assert.equal(res.status, 200);
      const expected = { id: user.id, email: user.email, role: 'user', locale: 'zh-CN', timezone: 'Asia/Shanghai', emailVerified: false };
      assert.deepEqual(res.body, expected);
      assert.deepEqual((await call('GET', '/me', { token: user.token })).body, expected);

      const bad = await call('PATCH', '/me', { token: user.token, body: { timezone: 'Mars/Olympus' } });
      assertApiError(bad, 400, { code: 'invalid_input', fields: { timezone: '必须是时区名称，例如 Asia/Shanghai 或 Europe/Berlin。' } });

      // Only what is sent changes; null (or "") goes back to "not set".
      const tzOnly = await call('PATCH', '/me', { token: user.token, body: { timezone: 'Europe/Berlin' } });
      assert.deepEqual(tzOnly.body, { ...expected, timezone: 'Europe/Berlin' });
      const cleared = await call('PATCH', '/me', { token: user.token, body: { locale: null, timezone: '' } });
      assert.deepEqual(cleared.body, { ...expected, locale: null, timezone: null });
    });

    it('refuses an unknown time zone, language or field and changes nothing', async () => {
      const user = await newUser('badprefs');
      assertApiError(await call('PATCH', '/me', { token: user.token, body: { timezone: 'Mars/Olympus' } }), 400, {
        code: 'invalid_input',
        message: 'Some fields are not valid.',
        fields: { timezone: 'Must be a time zone such as Asia/Shanghai or Europe/Berlin.' },
      });
      assertApiError(await call('PATCH', '/me', { token: user.token, body: { locale: 'fr', timezone: 'UTC' } }), 400, {
        code: 'invalid_input',
        fields: { locale: 'Choose English or 简体中文.' },
      });
      assertApiError(await call('PATCH', '/me', { token: user.token, body: { timezone: 'UTC', nickname: 'x' } }), 400, {
        code: 'invalid_input',
        fields: { nickname: 'Unknown field.' },
      });
      assertApiError(await call('PATCH', '/me', { token: user.token, body: { email: 'new@example.com' } }), 400, {
        code: 'invalid_input',
        fields: { email: 'Unknown field.' },
      });
      assert.deepEqual((await call('GET', '/me', { token: user.token })).body, { id: user.id, email: user.email, role: 'user', locale: null, timezone: null, emailVerified: false });
    });

    it('changes the password: the old one stops working and page sessions end', async () => {
      const user = await newUser('password');
      const browser = new WebClient(app.url);
      assert.equal((await browser.login(user.email)).status, 303);

      const wrong = await call('PUT', '/me/password', { token: user.token, body: { currentPassword: 'not it', newPassword: 'new password 1' } });
      assertApiError(wrong, 400, { code: 'invalid_input', fields: { currentPassword: 'This is not your current password.' } });
      const short = await call('PUT', '/me/password', { token: user.token, body: { currentPassword: PASSWORD, newPassword: 'short' } });
      assertApiError(short, 400, { code: 'invalid_input', fields: { newPassword: 'Must be at least 8 characters.' } });
      assert.equal((await browser.get('/account')).status, 200, 'nothing changed yet');

      const ok = await call('PUT', '/me/password', { token: user.token, body: { currentPassword: PASSWORD, newPassword: 'new password 1' } });
      assert.equal(ok.status, 204);
      assertApiError(await call('POST', '/tokens', { body: { email: user.email, password: PASSWORD, name: 'old' } }), 401, { code: 'invalid_credentials' });
      assert.equal((await call('POST', '/tokens', { body: { email: user.email, password: 'new password 1', name: 'new' } })).status, 201);
      assert.equal((await new WebClient(app.url).login(user.email)).status, 401);
      assert.equal((await browser.get('/account')).location, '/login?next=%2Faccount');
    });

    it('answers a body that is not JSON with 400 invalid_json', async () => {
      const user = await newUser('badjson');
      const expected = { code: 'invalid_json', message: 'The request body is not valid JSON.' };
      assertApiError(await call('POST', '/register', { rawBody: '{"email": "a@example.com",' }), 400, expected);
      assertApiError(await call('POST', '/tokens', { rawBody: "{email: 'x'}" }), 400, expected);
      assertApiError(await call('PATCH', '/me', { token: user.token, rawBody: '{"locale": "en"}}' }), 400, expected);
      assertApiError(await call('PATCH', '/me', { token: user.token, rawBody: 'null' }), 400, expected);
    });

    it('answers an unknown API path with a JSON 404', async () => {
      const notFound = { code: 'not_found', message: 'There is nothing here. It may have been deleted, or the link is wrong.' };
      for (const [method, path, token] of [
        ['GET', '/whatever', undefined],
        ['GET', '/whatever', admin.token],
        ['POST', '/whatever/deeper?x=1', admin.token],
        ['PUT', '/me', admin.token],
        ['GET', '', admin.token],
        ['GET', '/', undefined],
      ] as const) {
        const res = await call(method, path, { token });
        assertApiError(res, 404, notFound);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${method} ${path} answers JSON`);
      }
    });

    it('needs the CSRF token when a session cookie changes something', async () => {
      const browser = new WebClient(app.url);
      const email = uniqueEmail('session');
      assert.equal((await browser.register(email)).status, 303);
      await browser.get('/account');
      assert.ok(browser.csrf, 'the account page carries a CSRF token');
      const json = (body: unknown, headers: Record<string, string> = {}) => ({
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...headers },
      });

      const me = await browser.request('GET', '/api/v1/me');
      assert.equal(me.status, 200, 'reading needs no CSRF token');
      const userId = JSON.parse(me.html).id as number;
      assert.deepEqual(JSON.parse(me.html), { id: userId, email, role: 'user', locale: null, timezone: null, emailVerified: false });

      const csrfFailed = {
        code: 'csrf_failed',
        message: 'This form has expired or was not sent from Chime. Go back, reload the page and try again.',
      };
      const withoutToken: Record<string, string>[] = [{}, { 'x-csrf-token': 'forged' }];
      for (const headers of withoutToken) {
        const refused = await browser.request('PATCH', '/api/v1/me', json({ timezone: 'Asia/Tokyo' }, headers));
        assertApiError({ status: refused.status, body: JSON.parse(refused.html) }, 403, csrfFailed);
        const noToken = await browser.request('POST', '/api/v1/tokens', json({ name: 'from a script' }, headers));
        assertApiError({ status: noToken.status, body: JSON.parse(noToken.html) }, 403, csrfFailed);
      }
      assert.equal(JSON.parse((await browser.request('GET', '/api/v1/me')).html).timezone, null, 'nothing changed');
      assert.deepEqual(JSON.parse((await browser.request('GET', '/api/v1/tokens')).html), { items: [] }, 'no token was made');

      const patched = await browser.request('PATCH', '/api/v1/me', json({ timezone: 'Asia/Tokyo' }, { 'x-csrf-token': browser.csrf }));
      assert.equal(patched.status, 200);
      assert.equal(JSON.parse(patched.html).timezone, 'Asia/Tokyo');
      const created = await browser.request('POST', '/api/v1/tokens', json({ name: 'from a script' }, { 'x-csrf-token': browser.csrf }));
      assert.equal(created.status, 201);
      const token = JSON.parse(created.html) as { id: number; name: string; token: string };
      assert.equal(token.name, 'from a script');
      assert.equal((await call('GET', '/me', { token: token.token })).body.id, userId);

      // A bearer token, when sent, decides alone: a wrong one is a 401 even with a good session.
      const wrongBearer = await browser.request('GET', '/api/v1/me', { headers: { authorization: 'Bearer chm_wrong' } });
      assertApiError({ status: wrongBearer.status, body: JSON.parse(wrongBearer.html) }, 401, { code: 'unauthorized' });
    });

    it('never shows a stack trace, whatever is sent', async () => {
      const user = await newUser('nostack');
      const auth = { authorization: `Bearer ${user.token}` };
      const requests: { method: string; path: string; headers?: Record<string, string>; body?: string; status: number; code: string }[] = [
        { method: 'POST', path: '/register', headers: { 'content-type': 'application/json' }, body: '{', status: 400, code: 'invalid_json' },
        { method: 'POST', path: '/register', headers: { 'content-type': 'application/json' }, body: '[1, 2]', status: 400, code: 'invalid_input' },
        { method: 'POST', path: '/register', headers: { 'content-type': 'text/plain' }, body: 'email=a', status: 400, code: 'invalid_input' },
        { method: 'POST', path: '/tokens', headers: { 'content-type': 'application/json; charset=klingon' }, body: '{}', status: 400, code: 'bad_request' },
        { method: 'POST', path: '/tokens', headers: { 'content-type': 'application/json', 'content-encoding': 'bogus' }, body: '{}', status: 400, code: 'bad_request' },
        { method: 'POST', path: '/tokens', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'not gzip', status: 400, code: 'bad_request' },
        { method: 'PATCH', path: '/me', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ locale: { $gt: '' } }), status: 400, code: 'invalid_input' },
        { method: 'PATCH', path: '/me', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ timezone: 'x'.repeat(10_000) }), status: 400, code: 'invalid_input' },
        { method: 'PUT', path: '/admin/settings', headers: { ...auth, 'content-type': 'application/json' }, body: '{}', status: 403, code: 'forbidden' },
        { method: 'POST', path: '/register', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(6 * 1024 * 1024) }), status: 413, code: 'too_large' },
      ];
      for (const r of requests) {
        const res = await fetch(`${app.url}/api/v1${r.path}`, { method: r.method, headers: r.headers, body: r.body });
        const text = await res.text();
        assert.doesNotMatch(text, INTERNALS, `${r.method} ${r.path}: ${text}`);
        assertApiError({ status: res.status, body: JSON.parse(text) }, r.status, { code: r.code, fields: JSON.parse(text).error.fields });
      }
    });
  });
}
