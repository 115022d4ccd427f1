// Templates are written by untrusted users: nothing of JavaScript (constructors, prototypes, methods,
// process, require) may be reached, and a template cannot hang the server or exhaust its memory.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS, MAX_RANGE, TemplateError, evaluateExpression, renderTemplate } from '../../src/lib/jinja.js';

const render = (source: string, variables: Record<string, unknown> = {}) => renderTemplate(source, variables);

/** The text carries no trace of the JavaScript world: no function source, native code, objects or process. */
function assertInert(output: string): void {
  for (const leak of [/function\s*\w*\s*\(/, /\[native code\]/, /=>/, /process/, /\[object/, /prototype/, /Object/, /return /]) {
    assert.ok(!leak.test(output), `output leaks ${String(leak)}: ${output.slice(0, 200)}`);
  }
}

/** Either renders something inert, or fails with a TemplateError (never a JS error or a side effect). */
function assertContained(source: string, variables: Record<string, unknown> = {}): void {
  let output: string | undefined;
  try {
    output = render(source, variables);
  } catch (err) {
    assert.ok(err instanceof TemplateError, `${source} threw ${String(err)}`);
    assertInert(err.message);
    return;
  }
  assertInert(output);
}

describe('sandbox', () => {
  const variables = { x: { a: 1 }, s: 'text', l: [1, 2] };

  it('JavaScript properties of values read as undefined', () => {
    const source = '{{ x.constructor }}|{{ s.constructor }}|{{ "".constructor }}|{{ x.__proto__ }}|{{ x["__proto__"] }}|{{ l.map }}|{{ [].map }}|{{ x.toString }}|{{ s.length2 }}|{{ l.constructor }}|{{ md5.call }}|{{ range.constructor }}|{{ x.hasOwnProperty }}';
    assert.equal(render(source, variables), '||||||||||||');
  });

  it('the Function-constructor escape fails with a TemplateError and runs nothing', () => {
    const marker = globalThis as { chimePwned?: unknown };
    for (const source of [
      "{{ ''.constructor.constructor('globalThis.chimePwned = 1')() }}",
      "{{ x.constructor.constructor('globalThis.chimePwned = 1')() }}",
      "{{ md5.constructor('globalThis.chimePwned = 1')() }}",
      "{{ (l.map.constructor)('globalThis.chimePwned = 1')() }}",
    ]) {
      assert.throws(() => render(source, variables), TemplateError, source);
    }
    assert.equal(marker.chimePwned, undefined);
    assert.equal(render('{{ process }}{{ require }}{{ globalThis }}{{ module }}{{ this }}'), '');
    assert.throws(() => render("{{ require('fs') }}"), { name: 'TemplateError', message: "'require' is undefined" });
  });

  it('JavaScript methods of text and lists are not callable; only Jinja/Python ones are', () => {
    for (const source of ["{{ s.toUpperCase() }}", "{{ s.charAt(0) }}", "{{ l.join(',') }}", '{{ l.push(3) }}', '{{ s.valueOf() }}', '{{ x.hasOwnProperty("a") }}', '{{ s.__class__.__mro__ }}']) {
      assert.throws(() => render(source, variables), TemplateError, source);
    }
    assert.equal(render("{{ s.upper() }}|{{ ','.join(l) }}", variables), 'TEXT|1,2');
  });

  it('loops over an object see its own keys only, never the prototype chain', () => {
    assert.equal(render('{% for k in x %}{{ k }};{% endfor %}|{% for k in x.__proto__ %}{{ k }}{% endfor %}|{% for k in s.constructor %}{{ k }}{% endfor %}', variables), 'a;||');
  });

  it('functions never print their JavaScript source', () => {
    for (const source of ['{{ md5 }}', '{{ s.upper }}', '{{ x.items }}', '{{ namespace }}', '{{ [md5] }}', '{{ md5 ~ "" }}', '{{ md5 | string }}']) {
      assertContained(source, variables);
    }
    assert.throws(() => render('{{ s.upper }}', variables), { name: 'TemplateError', message: 'a function cannot be printed; call it with ( )' });
  });

  it('functions and class instances passed as variables do not reach the template', () => {
    const calls: string[] = [];
    const vars = { f: () => calls.push('called'), when: new Map([['a', 1]]), nested: { g: () => calls.push('nested') } };
    assert.equal(render('{{ f }}|{{ when }}|{{ nested.g }}', vars), '||');
    assert.throws(() => render('{{ f() }}', vars), TemplateError);
    assert.throws(() => render('{{ nested.g() }}', vars), TemplateError);
    assert.deepEqual(calls, []);
  });

  it('a "__proto__" key in data is data, and pollutes nothing', () => {
    const data = JSON.parse('{"__proto__": {"polluted": "yes"}, "a": 1}') as Record<string, unknown>;
    assert.equal(render('{{ d.__proto__.polluted }}|{{ d.a }}', { d: data }), 'yes|1');
    const back = evaluateExpression('d', { d: data }) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('unknown filters and tests are errors, not lookups on JavaScript objects', () => {
    for (const source of ['{{ x | constructor }}', '{{ x | __proto__ }}', '{{ x | toString }}', '{{ x is constructor }}', '{{ x | attr("constructor") }}']) {
      assert.throws(() => render(source, variables), TemplateError, source);
    }
  });
});

describe('resource limits', () => {
  const fails = (source: string, message: RegExp) => {
    const started = Date.now();
    assert.throws(() => render(source), (err: unknown) => err instanceof TemplateError && message.test(err.message), source);
    assert.ok(Date.now() - started < LIMITS.millis + 3000, `${source} took ${Date.now() - started} ms`);
  };

  it(`caps range() at ${MAX_RANGE.toLocaleString('en')} numbers`, () => {
    fails('{% for i in range(100000000) %}{% endfor %}', /range\(\) is limited to 100,000 numbers/);
    fails('{{ range(0, 10**12, 2)|length }}', /range\(\) is limited/);
    assert.equal(render(`{{ range(${MAX_RANGE})|length }}`), String(MAX_RANGE));
  });

  it('caps the size of text values and of the output', () => {
    fails("{{ 'a' * 100000000 }}", /too large \(over 10 MiB\)/);
    fails('{% set s = "ab" %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}{{ s|length }}', /too large/);
    // On a loaded machine the 2 s wall-time cap may stop this loop first; either way it stops.
    fails('{% for i in range(100000) %}{{ "x" * 1000 }}{% endfor %}', /too large|does too much work/);
    fails("{{ ('a' * 100000) | replace('', 'b' * 1000) }}", /too large/);
    fails("{{ ('a' * 100000).replace('', 'b' * 1000) }}", /too large/);
    assert.equal(render("{{ ('ab' * 3) }}|{{ '7'.zfill(100000000)|length }}"), 'ababab|10000');
  });

  it('caps list growth', () => {
    fails('{% set l = [1] %}{% for i in range(20) %}{% set l = l + l %}{% endfor %}', /a list grew over 100,000 items/);
    fails('{{ [1] * 1000000 }}', /a list grew over/);
  });

  it('stops nested loops and runaway recursion', () => {
    fails('{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}', /does too much work/);
    fails('{% for i in range(100000) %}{% for j in range(100) %}{{ j }}{% endfor %}{% endfor %}', /does too much work|too large/);
    fails('{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}', /nests too deeply/);
  });

  it('lets ordinary loops through', () => {
    assert.equal(render('{% for i in range(1000) %}{{ i % 10 }}{% endfor %}').length, 1000);
  });
});
