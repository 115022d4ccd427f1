// The template engine as the rest of Chime uses it: rendering with Jinja2's meaning, errors that point
// at the template text, evaluateExpression for QD's control steps, the parse cache, QD's own templates.
// Expected outputs were checked against Jinja2 3.1 with QD's globals.
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  TemplateError, clearTemplateCache, evaluateExpression, renderTemplate, templateCacheStats,
} from '../../src/lib/jinja.js';
import { QD_FIXTURES_DIR, qdFixturesSkip } from '../helpers/qd-fixtures.js';

const fixed = { now: () => new Date('2024-03-05T06:07:08.123Z'), random: () => 0.5, timeZone: 'Asia/Shanghai' };
const render = (source: string, variables: Record<string, unknown> = {}) => renderTemplate(source, variables, fixed);

function renderError(source: string, variables: Record<string, unknown> = {}): TemplateError {
  try {
    render(source, variables);
  } catch (err) {
    assert.ok(err instanceof TemplateError, `expected a TemplateError, got ${String(err)}`);
    return err;
  }
  assert.fail(`rendering ${source} did not fail`);
}

describe('renderTemplate', () => {
  it('returns text without tags as it is, without parsing it', () => {
    clearTemplateCache();
    const body = '{"a": {"b": 1}}\r\n% not a tag }';
    assert.equal(renderTemplate(body, {}), body);
    assert.equal(templateCacheStats().misses, 0);
  });

  it('substitutes variables and leaves undefined ones empty', () => {
    assert.equal(render('Hello {{ name }}{{ missing }}!', { name: 'Bob' }), 'Hello Bob!');
    assert.equal(render('{{ user.name }}|{{ user["name"] }}|{{ user.missing }}|{{ items[0] }}|{{ items[-1] }}|{{ items[5] }}', { user: { name: 'Bob' }, items: [1, 2, 3] }), 'Bob|Bob||1|3|');
  });

  it('prints values the way Jinja2 does', () => {
    assert.equal(render('{{ none }}|{{ true }}|{{ false }}|{{ 1.0 }}|{{ 1/3 }}|{{ 1e-5 }}|{{ 1e16 }}|{{ 10/2 }}|{{ 7//2 }}|{{ 2**10 }}|{{ 0.1 + 0.2 }}'), 'None|True|False|1.0|0.3333333333333333|1e-05|1e+16|5.0|3|1024|0.30000000000000004');
    assert.equal(render('{{ [1, "a", none, 1.0] }}|{{ {"a": "b"} }}|{{ x }}', { x: [true, { k: null }] }), "[1, 'a', None, 1.0]|{'a': 'b'}|[True, {'k': None}]");
    assert.equal(render('{{ -5 // 2 }}|{{ -5 % 3 }}|{{ 5.5 // 2 }}|{{ -7 / 2 }}'), '-3|1|2.0|-3.5');
  });

  it('compares and joins values with Python semantics', () => {
    assert.equal(render("{{ 'a' ~ 1 ~ 1.0 ~ none ~ true ~ x }}|{{ 'ab' * 3 }}|{{ [1] * 2 }}"), 'a11.0NoneTrue|ababab|[1, 1]');
    assert.equal(render("{{ 1 == 1.0 }}|{{ '1' == 1 }}|{{ '' == 0 }}|{{ [1, 2] == [1, 2] }}|{{ 'a' < 'b' }}|{{ 'a' in 'abc' }}|{{ 1 in [1, 2] }}|{{ x is defined }}"), 'True|False|False|True|True|True|True|False');
    assert.equal(render("{{ 1 if x else 2 }}|{{ 'y' if true }}|{{ x or 'dflt' }}|{{ 0 and 1 }}"), '2|y|dflt|0');
  });

  it('runs loops, conditions, sets, comments and raw blocks', () => {
    assert.equal(render("{% for c in 'abc' %}{{ loop.index }}{{ c }}{% endfor %}|{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %}|{% for x in nothing %}X{% else %}E{% endfor %}"), '1a2b3c|ab|E');
    assert.equal(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for i in range(3) %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}", { d: { a: 1 } }), 'a=1;0,1,2');
    assert.equal(render("{% if false %}a{% elif true %}b{% else %}c{% endif %}|{# note #}|{% set y = 5 %}{{ y }}|{% raw %}{{ raw }}{% endraw %}"), 'b||5|{{ raw }}');
    assert.equal(render('{% macro greet(n) %}hi {{ n }}{% endmacro %}{{ greet("x") }}'), 'hi x');
  });

  it('follows Jinja2 whitespace rules: {%- -%} trim, one trailing newline dropped', () => {
    assert.equal(render('  {%- if true -%}  x  {%- endif -%}  |'), 'x|');
    assert.equal(render('{% for name in names -%}\n{{ name }}\n{% endfor %}', { names: ['a', 'b'] }), 'a\nb\n');
    assert.equal(render('a\n{{ 1 }}\n'), 'a\n1');
  });

  it('reads string literals as Python does: known escapes decoded, unknown ones kept', () => {
    assert.equal(render("{{ 'a\\tb' }}|{{ \"it's\" }}|{{ 'x\\d' }}|{{ '\\x41\\u4e2d' }}|{{ 'oct\\101' }}|{{ '\\\\' }}"), "a\tb|it's|x\\d|A中|octA|\\");
  });

  it('errors on an attribute of an undefined variable, as Jinja2 does, instead of a JavaScript TypeError', () => {
    const err = renderError('Hi {{ x.y }}');
    assert.equal(err.message, "'x' is undefined");
    assert.deepEqual(err.position, { line: 1, column: 7 });
    assert.equal(renderError('{{ x.y.z }}', { x: {} }).message, "'x.y' is undefined");
    assert.equal(renderError('{{ x | int }}').message, "'x' is undefined");
    assert.equal(renderError('{{ nosuch() }}').message, "'nosuch' is undefined");
    assert.equal(render('{{ none.y }}|{{ x | default("d") }}|{{ x | length }}|{{ x | upper }}'), '|d|0|');
  });
});

describe('template errors', () => {
  it('names an unknown filter and puts the caret under it', () => {
    const err = renderError('line one\n{{ name | nosuchfilter }}', { name: 'x' });
    assert.equal(err.message, "unknown filter 'nosuchfilter'");
    assert.deepEqual(err.position, { line: 2, column: 11 });
    assert.equal(err.excerpt, '{{ name | nosuchfilter }}\n          ^');
    assert.equal(err.source, 'line one\n{{ name | nosuchfilter }}');
  });

  it('points at the failing function call inside a tag', () => {
    const err = renderError('{{ a }} {{ "x" | md5 }} {{ regex_replace(a, "(", "") }}', { a: 'v' });
    assert.match(err.message, /^invalid regular expression '\('/);
    assert.deepEqual(err.position, { line: 1, column: 28 });
  });

  it('says which block is not closed, or closed by the wrong tag', () => {
    const unclosed = renderError('x\n  {% if a %}y');
    assert.equal(unclosed.message, "'{% if %}' is never closed (missing '{% endif %}')");
    assert.deepEqual(unclosed.position, { line: 2, column: 3 });
    assert.equal(unclosed.excerpt, '  {% if a %}y\n  ^');
    assert.equal(renderError('{% for x in y %}{% endif %}').message, "'{% endif %}' found where '{% endfor %}' was expected (to close '{% for %}')");
    assert.equal(renderError('{% endfor %}').message, "'{% endfor %}' has no opening '{% for %}'");
    assert.equal(renderError('{% while x %}{% endwhile %}').message, "unsupported tag '{% while %}'");
  });

  it('reports syntax errors at the token where parsing stopped', () => {
    const err = renderError('{{ a + }}');
    assert.equal(err.message, "unexpected '}}'");
    assert.deepEqual(err.position, { line: 1, column: 8 });
    assert.equal(renderError('ab {{ name ').message, "'{{' is never closed (missing '}}')");
    assert.equal(renderError("{{ 'open }}").message, 'a string is never closed (missing its closing quote)');
    assert.equal(renderError('{{ a ! b }}').message, "unexpected character '!'");
    assert.deepEqual(renderError('{{ a ! b }}').position, { line: 1, column: 6 });
  });

  it('cuts long lines around the column in the excerpt', () => {
    const err = renderError(`${'x'.repeat(300)}{{ a | nope }}${'y'.repeat(300)}`);
    const [line, caret] = err.excerpt.split('\n') as [string, string];
    assert.ok(line.length <= 122, `excerpt line is ${line.length} characters`);
    assert.equal(line[caret.length - 1], 'n', 'the caret is under the filter name');
  });
});

describe('evaluateExpression', () => {
  it('evaluates conditions to booleans', () => {
    assert.equal(evaluateExpression('i < 3', { i: 2 }), true);
    assert.equal(evaluateExpression('i < 3 and name == "x"', { i: 5, name: 'x' }), false);
    assert.equal(evaluateExpression('int(loop_index) <= 2', { loop_index: '2' }), true);
    assert.equal(evaluateExpression('"ok" in body', { body: 'all ok' }), true);
  });

  it('evaluates sequences to plain arrays and values to plain data', () => {
    assert.deepEqual(evaluateExpression('list(items)', { items: 'ab' }), ['a', 'b']);
    assert.deepEqual(evaluateExpression('range(1, 4)', {}), [1, 2, 3]);
    assert.deepEqual(evaluateExpression('range(5, 0, -2)', {}), [5, 3, 1]);
    assert.deepEqual(evaluateExpression('items', { items: [{ a: 1 }] }), [{ a: 1 }]);
    assert.deepEqual(evaluateExpression('dict(a=1, b=none)', {}), { a: 1, b: null });
    assert.equal(evaluateExpression('missing', {}), undefined);
  });

  it('refuses text that is not exactly one expression', () => {
    assert.throws(() => evaluateExpression('a }}{{ b', {}), { name: 'TemplateError', message: 'expected one expression (without {{ }} or {% %})' });
    const err = (() => {
      try {
        evaluateExpression('i <', { i: 1 });
      } catch (e) {
        return e as TemplateError;
      }
      return undefined;
    })();
    assert.equal(err?.message, 'the expression is incomplete');
    assert.deepEqual(err?.position, { line: 1, column: 4 });
    assert.equal(err?.source, 'i <');
  });

  it('reports undefined names in conditions with the expression as source', () => {
    assert.throws(() => evaluateExpression('x.y > 1', {}), (err: unknown) => err instanceof TemplateError && err.message === "'x' is undefined" && err.position?.column === 1);
  });
});

describe('parse cache', () => {
  beforeEach(() => clearTemplateCache());

  it('parses the same source once, whatever the variables', () => {
    render('{{ a }}-{{ b | upper }}', { a: 1, b: 'x' });
    render('{{ a }}-{{ b | upper }}', { a: 2, b: 'y' });
    assert.equal(render('{{ a }}-{{ b | upper }}', { a: 3, b: 'z' }), '3-Z');
    assert.deepEqual(templateCacheStats(), { size: 1, hits: 2, misses: 1 });
  });

  it('keeps a bounded number of templates, dropping the least recently used', () => {
    render('{{ first }}');
    for (let i = 0; i < 600; i++) render(`{{ v${i} }}`);
    assert.equal(templateCacheStats().size, 500);
    const before = templateCacheStats().misses;
    render('{{ first }}');
    assert.equal(templateCacheStats().misses, before + 1, 'the oldest entry was evicted');
  });
});

describe("QD's public templates", { skip: qdFixturesSkip }, () => {
  const dir = QD_FIXTURES_DIR ?? '';
  const entries = (dir ? fs.readdirSync(dir) : [])
    .filter((f) => f.endsWith('.har'))
    .flatMap((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { request: Record<string, unknown> }[]);

  it('renders every templated url, header, cookie and body of the fixtures', () => {
    let rendered = 0;
    for (const { request } of entries) {
      const pairs = [...((request.headers ?? []) as { name: string; value: string }[]), ...((request.cookies ?? []) as { name: string; value: string }[])];
      for (const text of [request.url, request.data, ...pairs.flatMap((p) => [p.name, p.value])]) {
        if (typeof text !== 'string' || !text.includes('{{') || /^\{%/.test(text)) continue;
        assert.doesNotThrow(() => render(text, { hash: 'abc', password: 'pw', username: 'u 1' }), text);
        rendered++;
      }
    }
    assert.ok(rendered > 30, `rendered ${rendered} fields`);
  });

  it('renders the Tencent Cloud Studio log body exactly as QD does', () => {
    const entry = entries.find(({ request }) => String(request.data ?? '').includes('p_names'))!;
    const out = render(String(entry.request.data), {
      nickName: '小明', reward: '150000000', p_names: ['基础版', '高级版'], p_useds: ['50000000', '0'],
      p_totals: ['1000000000', '2000000000'], p_exps: ['2025-01-02T03:04:05.000+00:00', '2025-02-03T00:00:00.000+00:00'],
    });
    assert.equal(out, 'content=用户 小明 签到成功！\n获得奖励：1.5 机时\n最新可用资源为：\n已用 | 一共 | 到期时间 | 资源名称\n0.5 | 10 机时 | 2025-01-02 03:04:05 | 基础版\n0.0 | 20 机时 | 2025-02-03 00:00:00 | 高级版');
  });

  it("signs SMZDM's request with timestamp, md5 and upper", () => {
    const source = '{{("basic_v=0&f=android&time=" ~ (timestamp()|int * 1000)|string ~ "&v=10.4.26&weixin=1&key=apr1$AwP!wRRT$gJ/q.X24poeBInlUJC")|md5|upper}}';
    assert.equal(render(source), '293DC00703E5DD1742BD026D0BB46966');
    assert.equal(render('time={{timestamp()|int * 1000}}'), 'time=1709618828000');
  });
});
