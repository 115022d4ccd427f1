// QD's globals and filters (QD-COMPAT.md "Jinja globals"), Jinja's built-in filters and Chime's
// additions. Expected outputs are what QD (Jinja2 3.1 + libs/utils.py) renders for the same template,
// except where a test says Chime differs on purpose.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { TemplateError, renderTemplate } from '../../src/lib/jinja.js';

// 2024-03-05 14:07:08.123 in Shanghai.
const fixed = { now: () => new Date('2024-03-05T06:07:08.123Z'), random: () => 0.5, timeZone: 'Asia/Shanghai' };
const render = (source: string, variables: Record<string, unknown> = {}, options = {}) => renderTemplate(source, variables, { ...fixed, ...options });

describe('hashes and ids', () => {
  it('md5, sha1, hash(v, type) and sha256 give hex digests, as globals and as filters', () => {
    assert.equal(render("{{ md5('a') }}|{{ 'a'|md5 }}|{{ md5(123) }}"), '0cc175b9c0f1b6a831c399e269772661|0cc175b9c0f1b6a831c399e269772661|202cb962ac59075b964b07152d234b70');
    assert.equal(render("{{ sha1('a') }}|{{ hash('abc', 'sha256') }}|{{ 'x'|hash('md5') }}|{{ 'abc'|hash }}"), '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8|ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad|9dd4e461268c8034f5c8564e155c67a6|a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(render("{{ 'abc'|sha256 }}|{{ sha256('abc') }}"), `${crypto.createHash('sha256').update('abc').digest('hex')}|${crypto.createHash('sha256').update('abc').digest('hex')}`);
    assert.throws(() => render("{{ hash('a', 'nope') }}"), { name: 'TemplateError', message: "unsupported hash type 'nope'" });
  });

  it('hmac_sha256(key) signs a body with a secret', () => {
    const expected = crypto.createHmac('sha256', 's3cret').update('{"a":1}').digest('hex');
    assert.equal(render('{{ body | hmac_sha256(secret) }}|{{ hmac_sha256(body, secret) }}', { body: '{"a":1}', secret: 's3cret' }), `${expected}|${expected}`);
    assert.throws(() => render('{{ body | hmac_sha256 }}', { body: 'x' }), /needs a key/);
  });

  it('to_uuid is UUID v5 in the URL namespace; uuid() a v4', () => {
    assert.equal(render("{{ to_uuid('example.com') }}|{{ 'www.x.org'|to_uuid }}"), 'a5cf6e8e-4cfa-5f31-a804-6de6d1245e26|eb67f046-5d41-5112-91d0-d9fbc958b0b8');
    assert.equal(render('{{ uuid() }}'), '80808080-8080-4080-8080-808080808080');
    const random = render('{{ uuid() }}', {}, { random: undefined });
    assert.match(random, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(random, render('{{ uuid() }}', {}, { random: undefined }));
  });
});

describe('time', () => {
  it('timestamp() is seconds since the epoch, float on request; now is ISO text', () => {
    assert.equal(render("{{ timestamp() }}|{{ timestamp('float') }}|{{ timestamp()|int * 1000 }}|{{ now }}"), '1709618828|1709618828.123|1709618828000|2024-03-05T06:07:08.123Z');
  });

  it('date_time() gives local date and time, with flags and an hour offset', () => {
    assert.equal(render("{{ date_time() }}|{{ date_time(True, False) }}|{{ date_time(False) }}|{{ date_time(time_difference=-8) }}|{{ date_time('1', '0', '2') }}|{{ date_time(False, False) }}"), '2024-03-05 14:07:08|2024-03-05|14:07:08|2024-03-05 06:07:08|2024-03-05|');
    assert.equal(render('{{ date_time() }}', {}, { timeZone: 'UTC' }), '2024-03-05 06:07:08');
    assert.throws(() => render("{{ date_time('False') }}"), /date must be a number or true\/false/);
  });
});

describe('arithmetic', () => {
  it('add, sub, multiply and divide give six-decimal text', () => {
    assert.equal(render("{{ add(1, 2) }}|{{ add('1.5', '2.25', 3) }}|{{ sub(10, 2.5) }}|{{ multiply(3, '0.5') }}|{{ divide(1, 3) }}|{{ divide(7, 2) }}|{{ multiply(0.0078125, 1) }}"), '3.000000|6.750000|7.500000|1.500000|0.333333|3.500000|0.007812');
    assert.equal(render('{{ 2 | add(3) }}|{{ x | multiply(2) }}', { x: '-1.5' }), '5.000000|-3.000000');
  });

  it('gives empty text for a non-number or a division by zero (QD prints 0 or None there)', () => {
    assert.equal(render("[{{ add('x', 1) }}][{{ sub(1, 'y') }}][{{ divide(1, 0) }}][{{ add() }}][{{ add(1, '1e3') }}]"), '[][][][][]');
  });

  it('is_num accepts digits with one optional dot and a leading minus', () => {
    assert.equal(render("{{ is_num('1.5') }}|{{ is_num('-3') }}|{{ is_num('1e3') }}|{{ is_num('a') }}|{{ is_num(2) }}|{{ is_num('1.') }}"), 'True|True|False|False|True|False');
  });
});

describe('conversions', () => {
  it('int and float follow Jinja2: unreadable text gives the default', () => {
    assert.equal(render("{{ '12abc'|int }}|{{ '1.9'|int }}|{{ ' 42 '|int }}|{{ int('x', 5) }}|{{ 'x'|int(7) }}|{{ '0x1A'|int(base=16) }}|{{ 3.99|int }}|{{ true|int }}|{{ none|int }}|{{ '1e3'|int }}|{{ '1_000'|int }}"), '0|1|42|5|7|26|3|1|0|1000|1000');
    assert.equal(render("{{ '2.5'|float }}|{{ 'x'|float }}|{{ 3|float }}|{{ float('1e-5') }}|{{ '  7 '|float }}|{{ none|float }}"), '2.5|0.0|3.0|1e-05|7.0|0.0');
  });

  it("bool is QD's: yes/on/1/true (any case) and the number 1 are true", () => {
    assert.equal(render("{{ bool('yes') }}|{{ bool('On') }}|{{ bool('0') }}|{{ bool(1) }}|{{ bool(2) }}|{{ bool(none) }}|{{ 'TRUE'|bool }}"), 'True|True|False|True|False|None|True');
  });

  it('string prints like Python str()', () => {
    assert.equal(render("{{ 1|string }}|{{ none|string }}|{{ [1, 'a']|string }}|{{ 1.0|string }}|{{ true|string }}|{{ {'a': 'b'}|string }}"), "1|None|[1, 'a']|1.0|True|{'a': 'b'}");
  });

  it('json gives the JSON text of a value', () => {
    assert.equal(render('{{ data | json }}|{{ json("中") }}|{{ x | json }}', { data: { a: [1, 'x', null, true], b: 1.5 } }), '{"a":[1,"x",null,true],"b":1.5}|"中"|null');
  });
});

describe('url and text encodings', () => {
  it('urlencode quotes text keeping "/", and turns a mapping or pairs into a query string', () => {
    assert.equal(render("{{ urlencode('a b/c?d=e&f') }}|{{ 'ü 中'|urlencode }}|{{ {'a': 'x y/z', 'b': 1, 'c': none}|urlencode }}|{{ [('k','v v'), ('k2', 2)]|urlencode }}|{{ 5|urlencode }}|{{ \"!*'()~_.-\"|urlencode }}"), 'a%20b/c%3Fd%3De%26f|%C3%BC%20%E4%B8%AD|a=x+y%2Fz&b=1&c=None|k=v+v&k2=2|5|%21%2A%27%28%29~_.-');
    assert.equal(render('{{ x | urlencode }}{{ urlencode(x) }}'), '');
    assert.equal(render("{{ '中文 a'|urlencode('gbk') }}"), '%D6%D0%CE%C4%20a');
  });

  it('quote_chinese percent-encodes only non-ASCII characters', () => {
    assert.equal(render("{{ quote_chinese('a 中b') }}|{{ 'x中'|quote_chinese }}"), 'a %E4%B8%ADb|x%E4%B8%AD');
  });

  it('unicode decodes \\u and \\x escapes, optionally HTML entities too', () => {
    assert.equal(render("{{ unicode('\\\\u4e2d\\\\u6587') }}|{{ unicode('a\\\\nb') }}|{{ unicode('\\\\\\\\u4e2d') }}|{{ unicode('&lt;p&gt;', true) }}|{{ unicode('&lt;p&gt;') }}|{{ 'x\\\\x41'|unicode }}"), '中文|a\nb|\\u4e2d|<p>|&lt;p&gt;|xA');
    assert.equal(render('{{ body | unicode(html_unescape=True) }}', { body: '{"msg":"\\u7b7e\\u5230 &amp; ok"}' }), '{"msg":"签到 & ok"}');
  });

  it('base64 and binascii helpers work on the bytes', () => {
    assert.equal(render("{{ 'hi'|b64encode }}|{{ b64encode('中') }}|{{ 'aGk='|b64decode }}|{{ b64decode('5Lit') }}"), 'aGk=|5Lit|hi|中');
    assert.equal(render("{{ b2a_hex(a2b_base64('aGk=')) }}|{{ crc32(a2b_hex('6869')) }}|{{ 'hi'|b2a_hex }}|{{ a2b_hex('e4b8ad') }}|{{ md5(a2b_hex('ff')) }}"), `6869|3633523372|6869|中|${crypto.createHash('md5').update(Buffer.from([0xff])).digest('hex')}`);
    assert.equal(render("{{ 'hi'|b2a_base64 }}|{{ b2a_base64('hi', newline=false) }}"), 'aGk=\n|aGk=');
    assert.throws(() => render("{{ a2b_hex('abc') }}"), /odd-length/);
  });
});

describe('choice and randomness', () => {
  it('random(min, max, decimals) gives a number as text; random(seq) picks an item', () => {
    assert.equal(render("{{ random(1, 10, 2) }}|{{ random(0, 100, 0) }}|{{ [1, 2, 3]|random }}|{{ 'xyz'|random }}|{{ random([5]) }}"), '5.50|50|2|y|5');
    assert.equal(render('{{ random(1, 10, 0) }}', {}, { random: () => 0.999 }), '10');
    assert.throws(() => render('{{ [] | random }}'), /empty sequence/);
  });

  it('shuffle returns the items in a new order drawn from the random source', () => {
    assert.equal(render('{{ shuffle([1, 2, 3]) }}|{{ [1, 2, 3, 4]|shuffle }}'), '[1, 3, 2]|[1, 4, 2, 3]');
    assert.equal(render('{{ [1, 2, 3, 4, 5]|shuffle(seed="s") }}'), render('{{ [1, 2, 3, 4, 5]|shuffle(seed="s") }}', {}, { random: () => 0.1 }));
  });

  it('ternary picks by truthiness, with a separate value for none', () => {
    assert.equal(render("{{ ternary(true, 'y', 'n') }}|{{ ternary(0, 'y', 'n') }}|{{ none|ternary('y', 'n', 'z') }}|{{ undefinedvar|ternary('y', 'n', 'z') }}|{{ none|ternary('y', 'n') }}|{{ ''|ternary('y', 'n') }}"), 'y|n|z|z|n|n');
  });
});

describe("Jinja's own filters", () => {
  it('default, replace, lower, upper, trim', () => {
    assert.equal(render("{{ x|default('v') }}|{{ ''|default('v') }}|{{ ''|default('v', true) }}|{{ none|default('v') }}|{{ 0|d('v', boolean=true) }}"), "v||v|None|v");
    assert.equal(render("{{ 'a-b-c'|replace('-', '+') }}|{{ 'a-b-c'|replace('-', '+', 1) }}|{{ 123|replace('2', 'x') }}|{{ 'abc'|replace('', '.') }}"), 'a+b+c|a+b-c|1x3|.a.b.c.');
    assert.equal(render("{{ 'AbC'|lower }}|{{ 'AbC'|upper }}|{{ 5|upper }}|{{ '  x  '|trim }}|{{ '--x--'|trim('-') }}"), 'abc|ABC|5|x|x');
  });

  it('truncate and round', () => {
    assert.equal(render("{{ 'hello world foo bar baz'|truncate(11) }}|{{ 'hello world foo bar baz'|truncate(11, true) }}|{{ 'hello world again'|truncate(9, end='~') }}|{{ 'short'|truncate(3) }}|{{ 'abcdefghijkl'|truncate(5, leeway=0) }}"), 'hello...|hello wo...|hello~|short|ab...');
    assert.equal(render("{{ 2.675|round(2) }}|{{ 2.5|round }}|{{ 3.5|round }}|{{ 5|round }}|{{ 2.1|round(0, 'ceil') }}|{{ 2.9|round(method='floor') }}|{{ 1234.5|round(-2) }}|{{ (1/3)|round(4) }}"), '2.67|2.0|4.0|5|3.0|2.0|1200.0|0.3333');
  });

  it('join, sort, length, first, last, reverse, list, sum', () => {
    assert.equal(render("{{ [1, 'a', none]|join(',') }}|{{ 'abc'|join('-') }}|{{ [3, 1, 2]|sort }}|{{ ['b', 'A', 'c']|sort }}|{{ [3, 1, 2]|sort(reverse=true) }}"), "1,a,None|a-b-c|[1, 2, 3]|['A', 'b', 'c']|[3, 2, 1]");
    assert.equal(render("{{ 'abc'|length }}|{{ [1,2]|length }}|{{ {'a':1}|length }}|{{ x|length }}|{{ '中文'|length }}|{{ [1]|count }}"), '3|2|1|0|2|1');
    assert.equal(render('{{ items|first }}|{{ items|last }}|{{ "abc"|first }}|{{ items|reverse|list }}|{{ "abc"|reverse }}|{{ "ab"|list }}|{{ items|sum }}', { items: [1, 2, 3] }), "1|3|a|[3, 2, 1]|cba|['a', 'b']|6");
    assert.equal(render("{{ items|join(', ', attribute='n') }}", { items: [{ n: 'a' }, { n: 'b' }] }), 'a, b');
  });

  it('striptags removes tags and comments, collapses spaces and decodes entities', () => {
    assert.equal(render("{{ '<p>Hello <b>World</b></p>\\n\\n  &amp; more &nbsp;x<!-- c --> y'|striptags }}|{{ '  a   b  '|striptags }}"), 'Hello World & more \u00a0x y|a b');
  });

  it('escape, wordcount and the Python string methods templates use', () => {
    assert.equal(render("{{ '<a href=\"x\">'|escape }}|{{ 'a b  c'|wordcount }}"), '&lt;a href=&#34;x&#34;&gt;|3');
    assert.equal(render("{{ 'A,B'.split(',') }}|{{ ' x '.strip() }}|{{ 'a.b'.replace('.', '/') }}|{{ ','.join(['a', 'b']) }}|{{ 'abc'.startswith('a') }}|{{ 'hello'.find('l') }}|{{ '42'.zfill(5) }}"), "['A', 'B']|x|a/b|a,b|True|2|00042");
  });
});

describe('small helpers', () => {
  it('utf8 gives bytes, type_debug the Python type, mandatory fails on undefined', () => {
    assert.equal(render("{{ utf8('中') | b2a_hex }}|{{ type_debug(1) }}|{{ type_debug('a') }}|{{ type_debug([]) }}|{{ type_debug(none) }}|{{ type_debug(utf8('x')) }}"), 'e4b8ad|int|str|list|NoneType|bytes');
    assert.equal(render('{{ x | mandatory }}', { x: 'ok' }), 'ok');
    assert.throws(() => render('{{ token | mandatory }}'), { name: 'TemplateError', message: "Mandatory variable 'token' not defined." });
    assert.throws(() => render("{{ token | mandatory('log in first') }}"), { message: 'log in first' });
  });

  it('dict, list and len are globals for conditions and loops', () => {
    assert.equal(render("{{ dict(a=1, b='x') }}|{{ list('ab') }}|{{ len(items) }}|{{ len('中文') }}", { items: [1, 2, 3] }), "{'a': 1, 'b': 'x'}|['a', 'b']|3|2");
  });
});

describe('what Chime does not support', () => {
  it('Faker, aes_encrypt and lipsum fail with a plain message', () => {
    for (const name of ['Faker', 'aes_encrypt', 'lipsum']) {
      assert.throws(() => render(`{{ ${name}() }}`), (err: unknown) => err instanceof TemplateError && err.message === `'${name}' is not supported in Chime`);
    }
  });
});
