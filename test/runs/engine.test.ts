// The run engine against a local HTTP server: cookies, extraction, every rule, redirects, timeouts,
// the stored-body cut, the address guard, Jinja in steps, template errors, the log.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpClient } from '../../src/lib/http.js';
import { systemClock } from '../../src/lib/clock.js';
import { runSteps } from '../../src/runs/engine.js';
import { STORED_BODY_BYTES } from '../../src/runs/request-step.js';
import type { Step } from '../../src/templates/schema.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';

let server: TestServer;
const http = createHttpClient({ allowPrivateNetwork: true });
const guarded = createHttpClient({ allowPrivateNetwork: false });

before(async () => {
  server = await startServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(value));
    };
    switch (url.pathname) {
      case '/login':
        res.writeHead(200, { 'set-cookie': 'sid=s3cr3t-session; Path=/; HttpOnly', 'content-type': 'text/html' });
        return res.end('<p>Welcome back, <b>ada</b>! Token: <i>tok-123</i> <i>tok-456</i></p>');
      case '/me':
        return json(req.headers.cookie?.includes('sid=s3cr3t-session') ? 200 : 401, { data: { name: 'ada', days: 7, tags: ['a', 'b'] }, code: 0 }, { 'x-quota': '42' });
      case '/status':
        res.writeHead(Number(url.searchParams.get('code') ?? 200), { 'content-type': 'text/plain' });
        return res.end(`status ${url.searchParams.get('code')}`);
      case '/redirect':
        res.writeHead(302, { location: '/me' });
        return res.end();
      case '/slow':
        return; // never answers
      case '/big':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('x'.repeat(200 * 1024));
      case '/echo':
        return json(200, { method: req.method, query: url.search, body: body.toString(), auth: req.headers.authorization ?? null });
      case '/gbk':
        res.writeHead(200, { 'content-type': 'text/html; charset=gbk' });
        return res.end(Buffer.from([0xc7, 0xa9, 0xb5, 0xbd, 0xb3, 0xc9, 0xb9, 0xa6])); // 签到成功
      default:
        res.writeHead(404);
        return res.end('not found');
    }
  });
});
after(async () => {
  await server.close();
  await http.close();
  await guarded.close();
});

const get = (path: string, extra: Partial<Step> = {}): Step => ({ method: 'GET', url: server.url + path, ...extra });
const run = (steps: Step[], variables: Record<string, unknown> = {}, log?: string, client = http) =>
  runSteps({ steps, variables, log }, { http: client, clock: systemClock });

describe('the run engine', () => {
  it('keeps cookies across the steps of one run, not across runs', async () => {
    const together = await run([get('/login'), get('/me')]);
    assert.equal(together.status, 'success', together.error ?? '');
    assert.equal(together.steps[1]!.status, 200);
    assert.match(together.steps[1]!.requestHeaders.cookie ?? '', /sid=s3cr3t-session/);
    const alone = await run([get('/me')]);
    assert.equal(alone.status, 'failure');
    assert.equal(alone.error, 'step 1/1 failed: HTTP status 401');
  });

  it('extracts from the body (group, whole match, all), JSON, a header and the status', async () => {
    const out = await run([
      get('/login', {
        extract: [
          { name: 'who', from: 'body', pattern: '<b>(\\w+)</b>' },
          { name: 'whole', from: 'body', pattern: 'tok-\\d+' },
          { name: 'tokens', from: 'body', pattern: 'tok-(\\d+)', all: true },
          { name: 'qdstyle', from: 'body', pattern: '/TOK-(\\d+)/gi' },
          { name: 'missing', from: 'body', pattern: 'nothing(here)' },
        ],
      }),
      get('/me', {
        extract: [
          { name: 'days', from: 'json', path: '$.data.days' },
          { name: 'tags', from: 'json', path: 'data.tags' },
          { name: 'quota', from: 'header', header: 'X-Quota' },
          { name: 'code', from: 'status' },
          { name: 'family', from: 'status', pattern: '^(\\d)' },
          { name: 'quotaDigit', from: 'header', header: 'X-Quota', pattern: '(\\d)$' },
        ],
      }),
      get('/echo?days={{ days }}&who={{ who }}&first={{ tokens[0] }}&n={{ qdstyle | length }}'),
    ]);
    assert.equal(out.status, 'success', out.error ?? '');
    assert.deepEqual(out.steps[0]!.extracted, { who: 'ada', whole: 'tok-123', tokens: '["123","456"]', qdstyle: '["123","456"]' });
    assert.ok(out.steps[0]!.notes.includes('extract missing: no match, the variable keeps its value'));
    assert.deepEqual(out.steps[1]!.extracted, { days: '7', tags: '["a","b"]', quota: '42', code: '200', family: '2', quotaDigit: '2' });
    assert.equal(server.seen.at(-1)!.url, '/echo?days=7&who=ada&first=123&n=2');
  });

  it('decodes a body in the charset the server declares', async () => {
    const out = await run([get('/gbk', { assert: [{ from: 'body', op: 'contains', value: '签到成功' }] })]);
    assert.equal(out.status, 'success', out.error ?? '');
  });

  const ops: [Step['assert'], boolean][] = [
    [[{ from: 'status', op: 'equals', value: 200 }], true],
    [[{ from: 'status', op: 'equals', value: 201 }], false],
    [[{ from: 'json', path: '$.data.name', op: 'not_equals', value: 'bob' }], true],
    [[{ from: 'json', path: '$.data.name', op: 'not_equals', value: 'ada' }], false],
    [[{ from: 'body', op: 'contains', value: '"days":7' }], true],
    [[{ from: 'body', op: 'contains', value: 'nope' }], false],
    [[{ from: 'body', op: 'not_contains', value: 'error' }], true],
    [[{ from: 'body', op: 'not_contains', value: 'ada' }], false],
    [[{ from: 'json', path: '$.data.name', op: 'matches', value: '^a(?P<rest>da)$' }], true],
    [[{ from: 'json', path: '$.data.name', op: 'matches', value: '^b' }], false],
    [[{ from: 'header', header: 'x-quota', op: 'not_matches', value: '^\\D+$' }], true],
    [[{ from: 'header', header: 'x-quota', op: 'not_matches', value: '^\\d+$' }], false],
    [[{ from: 'json', path: '$.data.days', op: 'lt', value: 10 }], true],
    [[{ from: 'json', path: '$.data.days', op: 'lt', value: 7 }], false],
    [[{ from: 'json', path: '$.data.days', op: 'gt', value: '6' }], true],
    [[{ from: 'json', path: '$.data.days', op: 'gt', value: 7 }], false],
    [[{ from: 'json', path: '$.nothing', op: 'equals', value: '' }], false],
    [[{ from: 'json', path: '$.nothing', op: 'not_equals', value: 'x' }], true],
  ];
  for (const [conditions, holds] of ops) {
    const c = conditions![0]!;
    it(`${c.from} ${c.op} ${JSON.stringify(c.value)} ${holds ? 'holds' : 'fails the step'}`, async () => {
      const out = await run([get('/login'), get('/me', { assert: conditions })]);
      assert.equal(out.status, holds ? 'success' : 'failure', out.error ?? '');
      if (!holds) assert.match(out.error!, /^step 2\/2 failed: assertion failed: /);
    });
  }

  it('with assertMode any, one holding assertion is enough; with all, every one must hold', async () => {
    const conditions: Step['assert'] = [
      { from: 'status', op: 'equals', value: 500 },
      { from: 'body', op: 'contains', value: 'status 200' },
    ];
    assert.equal((await run([get('/status?code=200', { assert: conditions, assertMode: 'any' })])).status, 'success');
    const all = await run([get('/status?code=200', { assert: conditions })]);
    assert.equal(all.status, 'failure');
    assert.match(all.error!, /status equals "500" \(it is "200"\)/);
    const none = await run([get('/status?code=200', { assert: [{ from: 'status', op: 'equals', value: 500 }, { from: 'body', op: 'contains', value: 'zzz' }], assertMode: 'any' })]);
    assert.match(none.error!, /none of the 2 assertions held/);
  });

  it('fails a step when a failIf rule matches', async () => {
    const out = await run([get('/status?code=200', { failIf: [{ from: 'body', op: 'matches', value: 'status \\d+' }] })]);
    assert.equal(out.status, 'failure');
    assert.match(out.error!, /fail-if rule matched: body matches "status \\\\d\+"/);
  });

  it('fails on HTTP errors without assertions unless allowErrorStatus; assertions decide otherwise', async () => {
    assert.equal((await run([get('/status?code=503')])).error, 'step 1/1 failed: HTTP status 503');
    assert.equal((await run([get('/status?code=503', { allowErrorStatus: true })])).status, 'success');
    assert.equal((await run([get('/status?code=404', { assert: [{ from: 'status', op: 'equals', value: 404 }] })])).status, 'success');
  });

  it('does not follow redirects unless the step asks', async () => {
    const off = await run([get('/login'), get('/redirect', { extract: [{ name: 'to', from: 'header', header: 'location' }] })]);
    assert.equal(off.steps[1]!.status, 302);
    assert.equal(off.steps[1]!.extracted.to, '/me');
    assert.ok(off.steps[1]!.notes.some((n) => /redirect not followed/.test(n)));
    const on = await run([get('/login'), get('/redirect', { followRedirects: true })]);
    assert.equal(on.steps[1]!.status, 200);
    assert.ok(on.steps[1]!.notes.some((n) => /followed 1 redirect/.test(n)));
  });

  it('stops a step at its timeout with a clear message', async () => {
    const started = Date.now();
    const out = await run([get('/slow', { timeoutMs: 1000 })]);
    assert.ok(Date.now() - started < 5000);
    assert.match(out.error!, /step 1\/1 failed: no response from 127\.0\.0\.1:\d+ within 1 s/);
  });

  it('stores at most 64 KiB of a body, and says so', async () => {
    const out = await run([get('/big', { assert: [{ from: 'body', op: 'matches', value: 'x{150000}' }] })]);
    assert.equal(out.status, 'success', 'rules see the whole body');
    assert.equal(Buffer.byteLength(out.steps[0]!.responseBody!), STORED_BODY_BYTES);
    assert.equal(out.steps[0]!.responseTruncated, true);
  });

  it('refuses loopback addresses, literal or by name, unless private networks are allowed', async () => {
    const literal = await run([get('/me')], {}, undefined, guarded);
    assert.match(literal.error!, /refused to connect to 127\.0\.0\.1.*set ALLOW_PRIVATE_NETWORK=true/);
    const named = await run([{ method: 'GET', url: `http://localhost:${server.port}/me` }], {}, undefined, guarded);
    assert.match(named.error!, /refused to connect to localhost \((127\.0\.0\.1|::1)\)/);
  });

  it('renders Jinja with QD filters in the URL, headers and body', async () => {
    const out = await run(
      [{ method: 'POST', url: server.url + '/echo?q={{ q | urlencode }}', headers: { Authorization: 'Bearer {{ token | upper }}' }, body: 'sig={{ "abc" | md5 }}&n={{ n + 1 }}' }],
      { q: 'a b&c', token: 'tk', n: 41 },
    );
    assert.equal(out.status, 'success', out.error ?? '');
    const echoed = JSON.parse(out.steps[0]!.responseBody!);
    assert.equal(echoed.query, '?q=a%20b%26c');
    assert.equal(echoed.auth, 'Bearer TK');
    assert.equal(echoed.body, 'sig=900150983cd24fb0d6963f7d28e17f72&n=42');
  });

  it('turns a template error into a step error that points at the text', async () => {
    const out = await run([get('/me?x={{ name | nosuchfilter }}')]);
    assert.equal(out.status, 'failure');
    assert.match(out.error!, /step 1\/1 failed: template error in URL: .*nosuchfilter/s);
    assert.equal(server.seen.filter((s) => s.url.includes('nosuchfilter')).length, 0, 'nothing was sent');
  });

  it('keeps JavaScript out of reach of templates', async () => {
    const before = server.seen.length;
    const out = await run([get("/echo?a={{ x.constructor }}&b={{ ''.constructor.constructor('return process')() }}&c={{ x.__proto__ }}")], { x: 'v' });
    const sent = server.seen.slice(before).map((s) => s.url).join(' ');
    assert.doesNotMatch(sent + (out.error ?? ''), /function|native code|process\.|\[object/i);
  });

  it('reports a URL that renders to something other than http(s)', async () => {
    const out = await run([{ method: 'GET', url: '{{ target }}' }], { target: 'file:///etc/passwd' });
    // The wording names api:// too since api:// steps exist; the rendered value is shown either way.
    assert.match(out.error!, /^step 1\/1 failed: the URL must start with http:\/\/.* once rendered, but is "file:\/\/\/etc\/passwd"$/);
  });

  it('takes the log from the template, else __log__, else the last status line', async () => {
    assert.equal((await run([get('/me', { extract: [{ name: 'days', from: 'json', path: '$.data.days' }] })], {}, 'signed in {{ days }} days')).log, 'signed in  days', 'no cookie: 401 leaves days unset');
    const withLog = await run([get('/login'), get('/me', { extract: [{ name: 'days', from: 'json', path: '$.data.days' }] })], {}, 'signed in {{ days }} days');
    assert.equal(withLog.log, 'signed in 7 days');
    assert.equal((await run([get('/login', { extract: [{ name: '__log__', from: 'body', pattern: '<b>(\\w+)</b>' }] })])).log, 'ada');
    assert.equal((await run([get('/status?code=204')])).log, '204 No Content');
  });

  it('marks values for keeping with persist', async () => {
    const out = await run([get('/login', { extract: [{ name: 'tok', from: 'body', pattern: 'tok-(\\d+)', persist: true }, { name: 'who', from: 'body', pattern: '<b>(\\w+)</b>' }] })]);
    assert.deepEqual(out.persist, { tok: '123' });
  });
});
