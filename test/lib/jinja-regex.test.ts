// Python regular expressions in templates: syntax translated to JavaScript, and QD's regex_replace,
// regex_search, regex_findall and regex_escape. Expected matches are Python 3.11's `re`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TemplateError, compilePythonRegex, renderTemplate } from '../../src/lib/jinja.js';

function matches(pattern: string, text: string): [string, number][] {
  const regex = compilePythonRegex(pattern);
  return [...text.matchAll(regex)].map((m) => [m[0], m.index]);
}

describe('Python regex syntax', () => {
  it('translates named groups and named backreferences', () => {
    assert.deepEqual(matches('(?P<year>\\d{4})-(?P<m>\\d\\d)', 'on 2024-03 and 1999-12'), [['2024-03', 3], ['1999-12', 15]]);
    assert.deepEqual(matches('(?P<c>\\w)(?P=c)', 'aabbcd'), [['aa', 0], ['bb', 2]]);
    assert.equal(compilePythonRegex('(?P<year>\\d+)').exec('x 42')?.groups?.year, '42');
  });

  it('reads \\w, \\d and \\b as Unicode, as Python does for text', () => {
    assert.deepEqual(matches('\\w+', '中文 abc_1 é'), [['中文', 0], ['abc_1', 3], ['é', 9]]);
    assert.deepEqual(matches('\\bfoo\\b', 'foo food 中foo foo中 _foo'), [['foo', 0]]);
    assert.deepEqual(matches('\\d+', '١٢٣ 123'), [['١٢٣', 0], ['123', 4]]);
    assert.deepEqual(matches('\\B\\w', 'ab c'), [['b', 1]]);
  });

  it("reads '.', '$', \\A and \\Z as Python does", () => {
    assert.deepEqual(matches('a.c', 'a\rc a\nc abc'), [['a\rc', 0], ['abc', 8]]);
    assert.deepEqual(matches('<title>(.*)</title>', '<title>Hi\r</title>'), [['<title>Hi\r</title>', 0]]);
    assert.deepEqual(matches('^\\s*(\\w+)$', '  abc\n'), [['  abc', 0]]);
    assert.deepEqual(matches('$', 'ab\n'), [['', 2], ['', 3]]);
    assert.deepEqual(matches('\\Aab|cd\\Z', 'abcd'), [['ab', 0], ['cd', 2]]);
  });

  it('accepts escapes and braces that Python allows and a JavaScript /u pattern rejects', () => {
    assert.deepEqual(matches('\\-\\"\\\'\\/\\:\\<', '-"\'/:<'), [['-"\'/:<', 0]]);
    assert.deepEqual(matches('[\\w.-]+@[\\w-]+\\.\\w+', 'mail me: a.b-c@x-y.com'), [['a.b-c@x-y.com', 9]]);
    assert.deepEqual(matches('d{|x{,2}y', 'd{ xxy'), [['d{', 0], ['xxy', 3]]);
    assert.deepEqual(matches('[]a]+', ']a]b'), [[']a]', 0]]);
    assert.deepEqual(matches('\\$\\{\\}', '${}'), [['${}', 0]]);
    assert.deepEqual(matches('\\x41\\u4e2d\\101', 'A中A'), [['A中A', 0]]);
  });

  it('applies inline flags, comments and verbose mode', () => {
    assert.deepEqual(matches('(?i)hello', 'HeLLo'), [['HeLLo', 0]]);
    assert.deepEqual(matches('(?s)a.b', 'a\nb'), [['a\nb', 0]]);
    assert.deepEqual(matches('(?x) a  b # comment\n c', 'abc'), [['abc', 0]]);
    assert.deepEqual(matches('(?#comment)x', 'x'), [['x', 0]]);
  });

  it('rejects what it cannot translate with a plain message', () => {
    assert.throws(() => compilePythonRegex('(?i:a)b'), /not supported/);
    assert.throws(() => compilePythonRegex('a\\qb'), /bad escape \\q/);
    assert.throws(() => compilePythonRegex('(a'), /invalid regular expression '\(a'/);
    assert.throws(() => compilePythonRegex('[ab'), /not closed/);
  });
});

describe('regex globals', () => {
  const render = (source: string, variables: Record<string, unknown> = {}) => renderTemplate(source, variables);

  it('regex_replace substitutes with Python replacement templates, count and flags', () => {
    assert.equal(render("{{ regex_replace('abc123def45', '\\d+', '#') }}|{{ regex_replace('abc123def45', '\\d+', '#', 1) }}|{{ 'Hello World'|regex_replace('(?P<first>\\w+) (?P<second>\\w+)', '\\g<second> \\g<first>') }}|{{ regex_replace('aaa', 'A', 'b', ignorecase=true) }}|{{ regex_replace('a\\nb', '^b', 'B', multiline=true) }}"), 'abc#def#|abc#def45|World Hello|bbb|a\nB');
    assert.equal(render("{{ regex_replace('x-y', '(\\w)-(\\w)', '\\\\2-\\\\1') }}|{{ regex_replace('abxd', 'x*', '-') }}|{{ regex_replace('中文abc', '\\w', '.') }}|{{ regex_replace('price: 100元', '[^\\d]', '') }}"), 'y-x|-a-b--d-|.....|100');
    assert.equal(render("{{ body | regex_replace('(?P<k>\\w+)=(\\d+)', '\\g<2>:\\g<k>\\n') }}", { body: 'a=1;b=22' }), '1:a\n;22:b\n');
  });

  it('regex_search returns the match, a list of chosen groups, or None', () => {
    assert.equal(render("{{ regex_search('id=42&name=bob', 'name=(\\w+)') }}|{{ regex_search('id=42&name=bob', 'id=(\\d+)&name=(?P<n>\\w+)', '\\\\1', '\\\\g<n>') }}|{{ regex_search('abc', 'z') }}|{{ regex_search('ABC', 'b', ignorecase=True) }}"), "name=bob|['42', 'bob']|None|B");
  });

  it('regex_findall returns the text of the list Python finds: matches, groups or tuples', () => {
    assert.equal(render("{{ regex_findall('a1b22c333', '\\d+') }}|{{ regex_findall('a1b2', '([a-z])\\d') }}|{{ regex_findall('a1b2', '([a-z])(\\d)') }}|{{ regex_findall(\"it's\", \"'\") }}"), "['1', '22', '333']|['a', 'b']|[('a', '1'), ('b', '2')]|[\"'\"]");
  });

  it('regex_escape escapes what Python re.escape escapes', () => {
    assert.equal(render("{{ regex_escape('a.b*c (d) [e] {f} ?+|^$ \\\\ & ~ # -') }}|{{ regex_escape('a.b[c]', 'posix_basic') }}"), 'a\\.b\\*c\\ \\(d\\)\\ \\[e\\]\\ \\{f\\}\\ \\?\\+\\|\\^\\$\\ \\\\\\ \\&\\ \\~\\ \\#\\ \\-|a\\.b\\[c\\]');
  });

  it('a bad pattern is a TemplateError pointing at the call', () => {
    assert.throws(() => render("x {{ regex_replace(s, 'a(', '') }}", { s: 'a' }), (err: unknown) => err instanceof TemplateError && /^invalid regular expression 'a\('/.test(err.message) && err.position?.column === 6);
  });
});
