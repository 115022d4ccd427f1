// QD's control steps against a local HTTP server: if/else, for (variables, list(…), range(…), text),
// while (a counter, QD's loop_index), nesting, the 1,500-request and 900 s limits, broken structures
// (no request sent), and templates with control steps and api:// URLs saved through the API.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpClient } from '../../src/lib/http.js';
import { systemClock, type Clock } from '../../src/lib/clock.js';
import { runSteps, type EngineDeps } from '../../src/runs/engine.js';
import { controlTagOf } from '../../src/runs/control-flow.js';
import type { Step } from '../../src/templates/schema.js';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient, api, userWithToken } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';

let server: TestServer;
const http = createHttpClient({ allowPrivateNetwork: true });
const counters = new Map<string, number>();
let onRequest = () => {};

before(async () => {
  server = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    onRequest();
    switch (url.pathname) {
      case '/count': {
        const key = url.searchParams.get('key') ?? '';
        const n = (counters.get(key) ?? 0) + 1;
        counters.set(key, n);
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ count: n }));
      }
      case '/fail':
        res.writeHead(500, { 'content-type': 'text/plain' });
        return res.end('broken');
      default:
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(`ok ${url.search}`);
    }
  });
});
after(async () => {
  await server.close();
  await http.close();
});

const get = (path: string, extra: Partial<Step> = {}): Step => ({ method: 'GET', url: server.url + path, ...extra });
const tag = (url: string): Step => ({ method: 'GET', url });
const run = (steps: Step[], variables: Record<string, unknown> = {}, deps: Partial<EngineDeps> = {}) =>
  runSteps({ steps, variables }, { http, clock: systemClock, ...deps });

/** The requests the server saw during `fn`, as path + query. */
async function seenDuring<T>(fn: () => Promise<T>): Promise<{ result: T; paths: string[] }> {
  const before = server.seen.length;
  const result = await fn();
  return { result, paths: server.seen.slice(before).map((s) => s.url) };
}

describe('control steps', () => {
  it('knows a block tag from a request URL, whatever the whitespace', () => {
    assert.deepEqual(controlTagOf('{% if cookie %}'), { keyword: 'if', argument: 'cookie' });
    assert.deepEqual(controlTagOf('{%- if a and b -%}'), { keyword: 'if', argument: 'a and b' });
    assert.deepEqual(controlTagOf('{%endif%}'), { keyword: 'endif', argument: '' });
    assert.deepEqual(controlTagOf('{% for value in range(0, 3, 1) %}     '), { keyword: 'for', argument: 'value in range(0, 3, 1)' });
    assert.deepEqual(controlTagOf('{%\twhile i < 3\n%}'), { keyword: 'while', argument: 'i < 3' });
    assert.equal(controlTagOf('{% if a %}https://a.example{% else %}https://b.example{% endif %}'), null);
    assert.equal(controlTagOf('https://example.com/{% if a %}'), null);
    assert.equal(controlTagOf('{% iffy %}'), null);
    assert.equal(controlTagOf('api://util/delay/1'), null);
  });

  it('runs a for loop nested in an if, and says which branch ran and how many passes', async () => {
    const steps = [
      tag('{% if cookie %}'),
      tag('{% for x in list(items) %}'),
      get('/hit?x={{ x }}&i={{ loop_index }}'),
      tag('{% endfor %}'),
      tag('{% else %}'),
      get('/else'),
      tag('{% endif %}'),
      get('/after?x={{ x | default("unset") }}'),
    ];
    const { result: out, paths } = await seenDuring(() => run(steps, { cookie: 'sid=1', items: ['a', 'b', 'c'] }));
    assert.equal(out.status, 'success', out.error ?? '');
    assert.deepEqual(paths, ['/hit?x=a&i=1', '/hit?x=b&i=2', '/hit?x=c&i=3', '/after?x=unset']);
    const [ifRecord, forRecord, ...rest] = out.steps;
    assert.deepEqual(ifRecord!.control, { tag: 'if', condition: 'cookie', result: true, branch: 'then', ran: [2, 4], elseIndex: 5, endIndex: 7 });
    assert.deepEqual(ifRecord!.notes, ['if `cookie` → true: steps 2–4']);
    assert.equal(ifRecord!.depth, undefined);
    assert.deepEqual(forRecord!.control, { tag: 'for', target: 'x', source: 'list(items)', iterations: 3, endIndex: 4 });
    assert.deepEqual(forRecord!.notes, ['for x in list(items): 3 iterations']);
    assert.equal(forRecord!.depth, 1);
    assert.deepEqual(rest.map((r) => [r.index, r.depth, r.pass]), [[3, 2, 1], [3, 2, 2], [3, 2, 3], [8, undefined, undefined]]);
  });

  it('takes the else branch, and skips the body of an if without else', async () => {
    const steps = [
      tag('{% if cookie %}'), get('/then'), tag('{% else %}'), get('/else'), tag('{% endif %}'),
      tag('{%- if missing -%}'), get('/never'), tag('{%- endif -%}'),
    ];
    const { result: out, paths } = await seenDuring(() => run(steps, { cookie: '' }));
    assert.equal(out.status, 'success', out.error ?? '');
    assert.deepEqual(paths, ['/else']);
    assert.deepEqual(out.steps.map((r) => r.notes[0] ?? r.url), [
      'if `cookie` → false: else, step 4',
      server.url + '/else',
      'if `missing` → false: step 7 skipped',
    ]);
    assert.equal(out.steps[2]!.control?.tag === 'if' && out.steps[2]!.control.branch, 'none');
  });

  it('repeats a while loop until a value extracted each pass stops it; the value is seen after the loop', async () => {
    const key = `w${Date.now()}`;
    const steps = [
      tag('{% while int(count) < 3 %}'),
      get(`/count?key=${key}`, { extract: [{ name: 'count', from: 'json', path: '$.count' }] }),
      tag('{% endwhile %}'),
      get('/final?count={{ count }}'),
    ];
    const { result: out, paths } = await seenDuring(() => run(steps, { count: '0' }));
    assert.equal(out.status, 'success', out.error ?? '');
    assert.deepEqual(paths, [`/count?key=${key}`, `/count?key=${key}`, `/count?key=${key}`, '/final?count=3']);
    assert.deepEqual(out.steps[0]!.control, { tag: 'while', condition: 'int(count) < 3', iterations: 3, endIndex: 3 });
    assert.deepEqual(out.steps[0]!.notes, ['while int(count) < 3: 3 iterations']);
    assert.deepEqual(out.steps.slice(1, 4).map((r) => r.pass), [1, 2, 3]);
  });

  it("counts QD's way: loop_index is set before the condition, so `while loop_index < 3` runs twice", async () => {
    const { result: out, paths } = await seenDuring(() => run([tag('{% while loop_index < 3 %}'), get('/w?i={{ loop_index }}&i0={{ loop_index0 }}&d={{ loop_depth }}'), tag('{% endwhile %}')]));
    assert.equal(out.status, 'success', out.error ?? '');
    assert.deepEqual(paths, ['/w?i=1&i0=0&d=1', '/w?i=2&i0=1&d=1']);
  });

  it('sets every loop variable of QD, nests loops, and puts the variables back after the loop', async () => {
    const vars = 'v={{ v }}&i={{ loop_index }}&i0={{ loop_index0 }}&f={{ loop_first }}&l={{ loop_last }}&n={{ loop_length }}&r={{ loop_revindex }}&r0={{ loop_revindex0 }}&d={{ loop_depth }}&d0={{ loop_depth0 }}';
    const steps = [
      tag('{% for v in range(1, 4) %}'),
      get(`/outer?${vars}`),
      tag('{% for w in range(0, 2) %}'),
      get('/inner?v={{ v }}&w={{ w }}&i={{ loop_index }}&n={{ loop_length }}&d={{ loop_depth }}&d0={{ loop_depth0 }}'),
      tag('{% endfor %}'),
      get('/outer-again?i={{ loop_index }}&n={{ loop_length }}&d={{ loop_depth }}'),
      tag('{% endfor %}'),
      get('/after?v={{ v }}&i={{ loop_index | default("unset") }}'),
    ];
    const { result: out, paths } = await seenDuring(() => run(steps, { v: 'before' }));
    assert.equal(out.status, 'success', out.error ?? '');
    assert.deepEqual(paths.filter((p) => p.startsWith('/outer?')), [
      '/outer?v=1&i=1&i0=0&f=True&l=False&n=3&r=3&r0=2&d=1&d0=0',
      '/outer?v=2&i=2&i0=1&f=False&l=False&n=3&r=2&r0=1&d=1&d0=0',
      '/outer?v=3&i=3&i0=2&f=False&l=True&n=3&r=1&r0=0&d=1&d0=0',
    ]);
    assert.deepEqual(paths.filter((p) => p.startsWith('/inner?')).slice(0, 2), ['/inner?v=1&w=0&i=1&n=2&d=2&d0=1', '/inner?v=1&w=1&i=2&n=2&d=2&d0=1']);
    assert.deepEqual(paths.filter((p) => p.startsWith('/outer-again?')), ['/outer-again?i=1&n=3&d=1', '/outer-again?i=2&n=3&d=1', '/outer-again?i=3&n=3&d=1']);
    assert.equal(paths.at(-1), '/after?v=before&i=unset');
    assert.equal(paths.length, 3 + 6 + 3 + 1);
  });

  it('walks a variable holding a list, a text character by character (as Python), and nothing when undefined', async () => {
    const steps = [
      tag('{% for t in tokens %}'), get('/t?{{ t }}'), tag('{% endfor %}'),
      tag('{% for c in word %}'), get('/c?{{ c }}'), tag('{% endfor %}'),
      tag('{% for u in nothing %}'), get('/u'), tag('{% endfor %}'),
    ];
    const { result: out, paths } = await seenDuring(() => run(steps, { tokens: ['x', 'y'], word: 'ab' }));
    assert.equal(out.status, 'success', out.error ?? '');
    assert.deepEqual(paths, ['/t?x', '/t?y', '/c?a', '/c?b']);
    const controls = out.steps.filter((r) => r.control);
    assert.deepEqual(controls.map((r) => r.notes), [
      ['for t in tokens: 2 iterations'],
      ['`word` is text, not a list: one pass per character, as in QD', 'for c in word: 2 iterations'],
      ['`nothing` is not defined: no passes', 'for u in nothing: 0 iterations'],
    ]);
  });

  it('fails a for over a number, as QD does, before the loop body', async () => {
    const { result: out, paths } = await seenDuring(() => run([tag('{% for n in count %}'), get('/n'), tag('{% endfor %}')], { count: 5 }));
    assert.equal(out.error, 'Failed at 1/3 for: `count` is a number, not a list');
    assert.equal(out.failedStep, 1);
    assert.deepEqual(paths, []);
  });

  it('counts a condition naming an undefined variable as false, and fails on a condition it cannot read', async () => {
    const quiet = await run([tag('{% if retries > 2 %}'), get('/never'), tag('{% endif %}')]);
    assert.equal(quiet.status, 'success', quiet.error ?? '');
    assert.deepEqual(quiet.steps[0]!.notes, ["'retries' is undefined: the condition counts as false (as in QD)", 'if `retries > 2` → false: step 2 skipped']);
    const { result: broken, paths } = await seenDuring(() => run([get('/first'), tag('{% if 1 + %}'), get('/never'), tag('{% endif %}')]));
    assert.equal(broken.status, 'failure');
    assert.match(broken.error ?? '', /^Failed at 2\/4 if condition `1 \+`: /);
    assert.equal(broken.failedStep, 2);
    assert.deepEqual(paths, ['/first']);
  });

  it("takes the run's default log from the last request, not from a control step after it", async () => {
    const out = await run([get('/a'), tag('{% if false %}'), get('/never'), tag('{% endif %}')]);
    assert.equal(out.status, 'success', out.error ?? '');
    assert.equal(out.log, '200 OK');
  });

  it('names the step and the pass when a step inside a loop fails', async () => {
    const out = await run([tag('{% for p in ["ok", "fail"] %}'), get('/{{ p }}', { name: 'probe' }), tag('{% endfor %}'), get('/never')]);
    assert.equal(out.error, 'step 2/4 (probe) failed on pass 2: HTTP status 500');
    assert.equal(out.failedStep, 2);
    assert.deepEqual(out.steps[0]!.notes, ['for p in ["ok", "fail"]: stopped on pass 2 of 2']);
  });

  it('stops a run after 1,500 requests', async () => {
    const { result: out, paths } = await seenDuring(() => run([tag('{% while true %}'), get('/spin'), tag('{% endwhile %}')]));
    assert.equal(out.status, 'failure');
    assert.equal(out.error, 'the run stopped after 1,500 requests, the most one run may send (step 2/3 was next)');
    assert.equal(out.failedStep, 2);
    assert.equal(paths.length, 1500);
    assert.deepEqual(out.steps[0]!.notes, ['while true: stopped on pass 1501']);
  });

  it('takes the request limit as a parameter, counting the requests of every loop', async () => {
    const steps = [get('/a'), tag('{% for i in range(0, 10) %}'), get('/b'), tag('{% endfor %}')];
    const { result: out, paths } = await seenDuring(() => run(steps, {}, { limits: { maxRequests: 4 } }));
    assert.equal(out.error, 'the run stopped after 4 requests, the most one run may send (step 3/4 was next)');
    assert.equal(paths.length, 4);
  });

  it('stops a while loop after 900 s by the run clock and fails the run', async () => {
    let now = 1_000_000;
    const clock: Clock = { now: () => now };
    onRequest = () => (now += 100_000); // every request takes 100 s of the run's clock
    try {
      const { result: out, paths } = await seenDuring(() => run([tag('{% while true %}'), get('/slow'), tag('{% endwhile %}'), get('/never')], {}, { clock }));
      assert.equal(out.error, 'Failed at 1/4 while `true`: stopped after 900 s and 10 iterations, the longest a while loop may run');
      assert.equal(out.failedStep, 1);
      assert.equal(paths.length, 10);
      assert.deepEqual(out.steps[0]!.control, { tag: 'while', condition: 'true', iterations: 10, timedOut: true, endIndex: 3 });
      assert.deepEqual(out.steps[0]!.notes, ['while true: stopped after 900 s (10 iterations)']);
    } finally {
      onRequest = () => {};
    }
  });

  describe('a broken structure fails the run before any request', () => {
    // Steps are made when the test runs: the server's address is known only then.
    const cases: [string, () => Step[], string, number][] = [
      ['a mismatched end tag', () => [get('/x'), tag('{% if x %}'), tag('{% for y in z %}'), get('/y'), tag('{% endif %}'), tag('{% endfor %}')],
        'Failed at 5/6 end tag `{% endif %}` does not close `{% for y in z %}` of step 3 (that needs `{% endfor %}`)', 5],
      ['a missing end tag', () => [get('/x'), tag('{% while i < 3 %}'), get('/y')], 'Failed at 2/3 `{% while i < 3 %}` is never closed: `{% endwhile %}` is missing', 2],
      ['an end tag with nothing open', () => [get('/x'), tag('{% endfor %}')], 'Failed at 2/2 end tag `{% endfor %}` closes nothing: no `{% for %}` is open', 2],
      ['an else outside an if', () => [tag('{% for a in b %}'), tag('{% else %}'), tag('{% endfor %}')], 'Failed at 2/3 `{% else %}` is not inside an `{% if %}` (it is inside `{% for a in b %}` of step 1)', 2],
      ['a second else', () => [tag('{% if a %}'), tag('{% else %}'), tag('{% else %}'), tag('{% endif %}')], 'Failed at 3/4 `{% else %}` is the second else of `{% if a %}` (step 1); the first is step 2', 3],
      ['an elif', () => [tag('{% if a %}'), tag('{% elif b %}'), tag('{% endif %}')], 'Failed at 2/3 `{% elif %}` is not supported (QD has none): put an `{% if %}` step inside the `{% else %}`', 2],
      ['a for without "in"', () => [tag('{% for items %}'), tag('{% endfor %}')], 'Failed at 1/2 `{% for items %}` is not of the form `{% for name in … %}`', 1],
      ['an if without a condition', () => [tag('{% if %}'), tag('{% endif %}')], 'Failed at 1/2 `{% if %}` has no condition', 1],
    ];
    for (const [what, steps, error, failedStep] of cases) {
      it(what, async () => {
        const { result: out, paths } = await seenDuring(() => run(steps()));
        assert.equal(out.status, 'failure');
        assert.equal(out.error, error);
        assert.equal(out.failedStep, failedStep);
        assert.deepEqual(out.steps, []);
        assert.deepEqual(paths, [], 'no request was sent');
      });
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`templates with control steps through the API (${dialect})`, () => {
    let app: TestApp;
    let ada: Awaited<ReturnType<typeof userWithToken>>;
    before(async () => {
      app = await startTestApp(dialect, { env: { ALLOW_PRIVATE_NETWORK: 'true' } });
      ada = await userWithToken(app.url, `ada-control-${dialect}@example.com`);
    });
    after(async () => {
      await app.close();
    });

    it('saves control steps and api:// steps as they are, and still refuses other schemes', async () => {
      const steps = [
        { method: 'GET', url: '{% for x in range(1, 3) %}' },
        { method: 'GET', url: 'api://util/delay/0' },
        { method: 'POST', url: 'api://util/unicode', body: 'content={{ x }}' },
        { method: 'GET', url: '{% if x %}' },
        { method: 'GET', url: 'https://example.com/{{ x }}' },
        { method: 'GET', url: '{%- endif -%}' },
        { method: 'GET', url: '{% endfor %}' },
      ];
      const created = await api(app.url, 'POST', '/templates', { token: ada.token, body: { name: 'Loops', steps } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.steps.map((s: Step) => s.url), steps.map((s) => s.url));
      const refused = await api(app.url, 'POST', '/templates', { token: ada.token, body: { name: 'FTP', steps: [{ method: 'GET', url: 'ftp://example.com/' }] } });
      assert.equal(refused.status, 400);
    });

    it('shows control steps as compact rows with the enclosed steps indented, in the editor and in a test run', async () => {
      const browser = new WebClient(app.url);
      await browser.register(`pages-control-${dialect}@example.com`);
      await browser.get('/templates/new');
      const form = {
        name: 'Loops',
        'steps[0][method]': 'GET', 'steps[0][url]': '{% if go %}',
        'steps[1][method]': 'GET', 'steps[1][url]': '{% for x in range(0, 2) %}',
        'steps[2][method]': 'GET', 'steps[2][url]': `${server.url}/page?x={{ x }}`,
        'steps[3][method]': 'GET', 'steps[3][url]': '{% endfor %}',
        'steps[4][method]': 'GET', 'steps[4][url]': '{% endif %}',
        'variables[0][name]': 'go', 'variables[0][default]': 'yes',
      };
      const edited = await browser.post('/templates/new', { ...form, op: 'add-variable' });
      assert.equal(edited.status, 200);
      const rows = [...edited.html.matchAll(/<article class="step ([^"]*)" id="step-(\d)"[\s\S]*?<h3 id="step-\d-title">([\s\S]*?)<\/h3>/g)].map((m) => [m[1], m[3]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()]);
      assert.deepEqual(rows, [
        ['step-control depth-0', '1 if go'],
        ['step-control depth-1', '2 for x in range(0, 2)'],
        ['depth-2', 'Step 3'],
        ['step-control depth-1', '4 end for'],
        ['step-control depth-0', '5 end if'],
      ]);
      assert.doesNotMatch(edited.html, /name="steps\[0\]\[assert\]/, 'a control step has no rule editor');

      const tested = await browser.post('/templates/new', { ...form, op: 'test' });
      assert.equal(tested.status, 200);
      const text = tested.html.replace(/<[^>]+>/g, ' ').replace(/&#39;|&#34;/g, "'").replace(/\s+/g, ' ');
      assert.match(text, /Step 1: \{% if go %\} → Condition true: ran steps 2–4/);
      assert.match(text, /Step 2: \{% for x in range\(0, 2\) %\} → 2 iterations/);
      assert.match(tested.html, /class="run-control depth-1 run-step-ok"/);
      assert.equal([...tested.html.matchAll(/<details class="run-step depth-2 run-step-ok"/g)].length, 2);
      assert.match(text, /pass 2/);
    });
  });
}
