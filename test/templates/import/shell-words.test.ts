// The command-line splitter: bash as devtools and people write it, and cmd.exe's carets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { looksLikeCmd, splitBash, splitCmd } from '../../../src/templates/import/shell-words.js';
import { assertImportError } from './helpers.js';

const texts = (words: { text: string }[]) => words.map((w) => w.text);

describe('splitBash', () => {
  it('joins quoted and unquoted parts of one word and splits on any blank', () => {
    assert.deepEqual(texts(splitBash("curl\t'a b'\"c d\"e\\ f  \n g")), ['curl', 'a bc de f', 'g']);
    assert.deepEqual(texts(splitBash("curl '' \"\"")), ['curl', '', '']);
  });

  it('treats backslash-newline as a continuation, also with Windows line ends', () => {
    assert.deepEqual(texts(splitBash("curl 'x' \\\n  -H 'a: b' \\\r\n  -k")), ['curl', 'x', '-H', 'a: b', '-k']);
    assert.deepEqual(texts(splitBash('curl ab\\\ncd')), ['curl', 'abcd']);
  });

  it("keeps everything inside single quotes, and joins '\\'' into a quote", () => {
    assert.deepEqual(texts(splitBash(String.raw`curl 'it'\''s $HOME \n "x"'`)), ['curl', String.raw`it's $HOME \n "x"`]);
  });

  it('unescapes only $ ` " \\ and newline inside double quotes, and expands nothing', () => {
    assert.deepEqual(texts(splitBash(String.raw`curl "\$5 \"q\" \\ \n \a $TOKEN ${'`'}date${'`'}"`)), ['curl', String.raw`$5 "q" \ \n \a $TOKEN ` + '`date`']);
    assert.deepEqual(texts(splitBash('curl "a\\\nb" $"c"')), ['curl', 'ab', 'c']);
  });

  it("decodes $'…' the way bash does", () => {
    const [, word] = texts(splitBash(String.raw`curl $'\a\b\e\f\n\r\t\v\\\'\"\?|\u0021\u5f00\U0001F600|\101\x41\x4|\cA|\q'`));
    assert.equal(word, "\x07\b\x1b\f\n\r\t\v\\'\"?|!开😀|AA\x04|\x01|\\q");
  });

  it("reads a run of \\x bytes as UTF-8 when it is, else as one character per byte (Firefox's \\xe9)", () => {
    assert.deepEqual(texts(splitBash(String.raw`curl $'\xe5\xbc\x80' $'Caf\xe9 \u00e9'`)), ['curl', '开', 'Café é']);
  });

  it('marks words that were quoted, so a quoted | is not a pipe', () => {
    assert.deepEqual(splitBash("curl x | '|' \\|"), [
      { text: 'curl', quoted: false },
      { text: 'x', quoted: false },
      { text: '|', quoted: false },
      { text: '|', quoted: true },
      { text: '|', quoted: true },
    ]);
  });

  it('skips comments that start a word', () => {
    assert.deepEqual(texts(splitBash("curl https://x/#top # fetch it\n -k")), ['curl', 'https://x/#top', '-k']);
  });

  it('refuses quotes left open', () => {
    for (const line of ["curl 'abc", 'curl "abc', "curl $'abc", String.raw`curl $'abc\'`, 'curl "abc\\"']) {
      assertImportError(() => splitBash(line), 'import.curl_unterminated_quote');
    }
  });
});

describe('splitCmd', () => {
  it("reads Chrome's ^\"…^\" quoting: carets, \\\" quotes, line continuations, ^ + blank line for a newline", () => {
    const line = 'curl ^"https://x/?a=1^&b=^%^41^" ^\n  -H ^"sec-ch-ua: ^\\^"Chromium^\\^";v=^\\^"131^\\^"^" ^\n  --data-raw ^"^{^\\^"a^\\^":1^}^\n\nnext^"';
    assert.deepEqual(texts(splitCmd(line)), ['curl', 'https://x/?a=1&b=%41', '-H', 'sec-ch-ua: "Chromium";v="131"', '--data-raw', '{"a":1}\nnext']);
  });

  it('follows the C runtime for backslashes and doubled quotes', () => {
    assert.deepEqual(texts(splitCmd(String.raw`curl "a\\b" "c\\\"d" "e\\" f "g""h" "100"%"25"`)), ['curl', String.raw`a\\b`, String.raw`c\"d`, 'e\\', 'f', 'g"h', '100%25']);
  });

  it('keeps carets literal inside plain "…", as cmd.exe does', () => {
    assert.deepEqual(texts(splitCmd('curl "a^b" c^d')), ['curl', 'a^b', 'cd']);
  });

  it('refuses quotes left open', () => {
    assertImportError(() => splitCmd('curl "abc'), 'import.curl_unterminated_quote');
    assertImportError(() => splitCmd('curl ^"abc'), 'import.curl_unterminated_quote');
  });
});

describe('looksLikeCmd', () => {
  it("recognises devtools' cmd copies and curl.exe, and nothing written for bash", () => {
    assert.equal(looksLikeCmd('curl ^"https://x/^" ^\n  -k'), true);
    assert.equal(looksLikeCmd('curl ^"https://x/^" -k'), true);
    assert.equal(looksLikeCmd('curl.exe "https://x/"'), true);
    assert.equal(looksLikeCmd("curl 'https://x/' \\\n  -d '^\"'"), false);
    assert.equal(looksLikeCmd('curl "https://x/"'), false);
  });
});
