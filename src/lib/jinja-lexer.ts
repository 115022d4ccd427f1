// Turns template text into the token list @huggingface/jinja's parser reads. The library's own
// tokenize() cannot be extended: it keeps no positions (so errors could not point at the text) and
// rejects Python string escapes such as '\d' that QD templates pass to regex_replace. This lexer
// follows Jinja2's defaults instead: no trim_blocks/lstrip_blocks, one trailing newline dropped,
// `{%- -%}` whitespace control, `{% raw %}` blocks, Python string literals.

export type TokenType =
  | 'Text' | 'NumericLiteral' | 'StringLiteral' | 'Identifier' | 'Equals' | 'OpenParen' | 'CloseParen'
  | 'OpenStatement' | 'CloseStatement' | 'OpenExpression' | 'CloseExpression' | 'OpenSquareBracket'
  | 'CloseSquareBracket' | 'OpenCurlyBracket' | 'CloseCurlyBracket' | 'Comma' | 'Dot' | 'Colon' | 'Pipe'
  | 'AdditiveBinaryOperator' | 'MultiplicativeBinaryOperator' | 'ExponentiationBinaryOperator'
  | 'ComparisonBinaryOperator' | 'Comment';

export type Token = { type: TokenType; value: string; start: number; end: number };

/** One piece of the template: a run of text, a comment, `{{ … }}` or `{% name … %}`. */
export type Tag = { kind: 'text' | 'comment' | 'expr' | 'stmt'; name: string; start: number; end: number; firstToken: number };

export class LexError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const OPERATORS: [string, TokenType][] = [
  ['**', 'ExponentiationBinaryOperator'], ['//', 'MultiplicativeBinaryOperator'],
  ['==', 'ComparisonBinaryOperator'], ['!=', 'ComparisonBinaryOperator'], ['<=', 'ComparisonBinaryOperator'],
  ['>=', 'ComparisonBinaryOperator'], ['<', 'ComparisonBinaryOperator'], ['>', 'ComparisonBinaryOperator'],
  ['+', 'AdditiveBinaryOperator'], ['-', 'AdditiveBinaryOperator'], ['~', 'AdditiveBinaryOperator'],
  ['*', 'MultiplicativeBinaryOperator'], ['/', 'MultiplicativeBinaryOperator'], ['%', 'MultiplicativeBinaryOperator'],
  ['=', 'Equals'], ['(', 'OpenParen'], [')', 'CloseParen'], ['[', 'OpenSquareBracket'], [']', 'CloseSquareBracket'],
  ['{', 'OpenCurlyBracket'], ['}', 'CloseCurlyBracket'], [',', 'Comma'], ['.', 'Dot'], [':', 'Colon'], ['|', 'Pipe'],
];

const NUMBER = /\d(?:_?\d)*(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?/y;
const NAME = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const RAW_START = /\{%[-+]?\s*raw\s*(-?)%\}/y;
const RAW_END = /\{%(-?)\s*endraw\s*[-+]?%\}/g;
const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '\n': '' };

export function tokenizeTemplate(source: string): { tokens: Token[]; tags: Tag[] } {
  const end = source.endsWith('\r\n') ? source.length - 2 : source.endsWith('\n') ? source.length - 1 : source.length;
  const tokens: Token[] = [];
  const tags: Tag[] = [];
  let pos = 0;
  let skipLeadingSpace = false;

  const pushText = (from: number, to: number) => {
    let text = source.slice(from, to);
    if (skipLeadingSpace) {
      const trimmed = text.trimStart();
      from += text.length - trimmed.length;
      text = trimmed;
    }
    skipLeadingSpace = false;
    if (!text) return;
    tags.push({ kind: 'text', name: '', start: from, end: to, firstToken: tokens.length });
    tokens.push({ type: 'Text', value: text, start: from, end: to });
  };
  // `{%-` removes the whitespace (newlines included) before the tag.
  const stripPreviousText = () => {
    const last = tokens.at(-1);
    if (last?.type !== 'Text') return;
    last.value = last.value.trimEnd();
    if (!last.value) {
      tokens.pop();
      tags.pop();
    }
  };

  while (pos < end) {
    const open = findTagStart(source, pos, end);
    pushText(pos, open);
    if (open >= end) break;
    const kind = source[open + 1];
    if (source[open + 2] === '-') stripPreviousText();

    if (kind === '#') {
      const close = source.indexOf('#}', open + 2);
      if (close < 0 || close + 2 > end) throw new LexError("a comment '{#' is never closed (missing '#}')", open);
      tags.push({ kind: 'comment', name: '', start: open, end: close + 2, firstToken: tokens.length });
      tokens.push({ type: 'Comment', value: source.slice(open + 2, close), start: open, end: close + 2 });
      skipLeadingSpace = source[close - 1] === '-';
      pos = close + 2;
      continue;
    }

    RAW_START.lastIndex = open;
    const raw = RAW_START.exec(source);
    if (raw) {
      RAW_END.lastIndex = RAW_START.lastIndex;
      const rawEnd = RAW_END.exec(source);
      if (!rawEnd || RAW_END.lastIndex > end) throw new LexError("'{% raw %}' is never closed (missing '{% endraw %}')", open);
      skipLeadingSpace = raw[1] === '-';
      pushText(RAW_START.lastIndex, rawEnd.index);
      if (rawEnd[1] === '-') stripPreviousText();
      skipLeadingSpace = source[RAW_END.lastIndex - 3] === '-';
      pos = RAW_END.lastIndex;
      continue;
    }

    const tag: Tag = { kind: kind === '{' ? 'expr' : 'stmt', name: '', start: open, end: open, firstToken: tokens.length };
    tags.push(tag);
    tokens.push({ type: kind === '{' ? 'OpenExpression' : 'OpenStatement', value: kind === '{' ? '{{' : '{%', start: open, end: open + 2 });
    pos = lexInsideTag(source, open, open + (source[open + 2] === '-' || source[open + 2] === '+' ? 3 : 2), end, tokens);
    tag.end = pos;
    const nameToken = tokens[tag.firstToken + 1];
    if (tag.kind === 'stmt' && nameToken?.type === 'Identifier') tag.name = nameToken.value;
    skipLeadingSpace = source[pos - 3] === '-';
  }
  return { tokens, tags };
}

function findTagStart(source: string, from: number, end: number): number {
  for (let i = source.indexOf('{', from); i >= 0 && i < end - 1; i = source.indexOf('{', i + 1)) {
    const next = source[i + 1];
    if (next === '{' || next === '%' || next === '#') return i;
  }
  return end;
}

/** Lexes from just after `{{`/`{%` to just after the closing `}}`/`%}`; returns that offset. */
function lexInsideTag(source: string, open: number, start: number, end: number, tokens: Token[]): number {
  const isExpr = source[open + 1] === '{';
  const closer = isExpr ? '}}' : '%}';
  let braces = 0;
  let pos = start;
  while (pos < end) {
    const ch = source[pos]!;
    if (/\s/.test(ch)) {
      pos++;
      continue;
    }
    // `-}}`/`-%}` strip the whitespace after the tag; `+%}` is Jinja's explicit "do not trim".
    const marker = ch === '-' || (ch === '+' && !isExpr);
    const closeAt = marker && source.startsWith(closer, pos + 1) ? pos + 1 : source.startsWith(closer, pos) ? pos : -1;
    if (closeAt >= 0 && (braces === 0 || !isExpr)) {
      tokens.push({ type: isExpr ? 'CloseExpression' : 'CloseStatement', value: closer, start: closeAt, end: closeAt + 2 });
      return closeAt + 2;
    }
    if (ch === "'" || ch === '"') {
      const [value, next] = readString(source, pos, end);
      tokens.push({ type: 'StringLiteral', value, start: pos, end: next });
      pos = next;
      continue;
    }
    NUMBER.lastIndex = pos;
    const num = /\d/.test(ch) ? NUMBER.exec(source) : null;
    if (num) {
      // After a dot (`items.0`) a number is an index, never a fraction.
      const text = tokens.at(-1)?.type === 'Dot' ? /^\d+/.exec(num[0])![0] : num[0];
      tokens.push({ type: 'NumericLiteral', value: numericText(text), start: pos, end: pos + text.length });
      pos += text.length;
      continue;
    }
    NAME.lastIndex = pos;
    const name = NAME.exec(source);
    if (name) {
      tokens.push({ type: 'Identifier', value: name[0], start: pos, end: pos + name[0].length });
      pos += name[0].length;
      continue;
    }
    const op = OPERATORS.find(([text]) => source.startsWith(text, pos));
    if (!op) throw new LexError(`unexpected character '${ch}'`, pos);
    if (op[0] === '{') braces++;
    if (op[0] === '}') braces--;
    tokens.push({ type: op[1], value: op[0], start: pos, end: pos + op[0].length });
    pos += op[0].length;
  }
  throw new LexError(`'${source.slice(open, open + 2)}' is never closed (missing '${closer}')`, open);
}

/** The parser tells floats from integers by a '.', so `1e3` is written as `1000.0`. */
function numericText(text: string): string {
  const plain = text.replace(/_/g, '');
  if (!/[eE]/.test(plain)) return plain;
  const value = String(Number(plain));
  return value.includes('.') ? value : value.includes('e') ? value.replace('e', '.0e') : `${value}.0`;
}

/** A Python string literal: known escapes are decoded, unknown ones (`\d`, `\.`) kept as written. */
function readString(source: string, open: number, end: number): [string, number] {
  const quote = source[open]!;
  let out = '';
  let pos = open + 1;
  while (pos < end) {
    const ch = source[pos]!;
    if (ch === quote) return [out, pos + 1];
    if (ch !== '\\') {
      out += ch;
      pos++;
      continue;
    }
    const next = source[pos + 1] ?? '';
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      pos += 2;
    } else if (next === 'x' || next === 'u' || next === 'U') {
      const width = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = source.slice(pos + 2, pos + 2 + width);
      const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === width ? parseInt(hex, 16) : NaN;
      if (!(code <= 0x10ffff)) throw new LexError(`invalid escape '\\${next}${hex}' in a string`, pos);
      out += String.fromCodePoint(code);
      pos += 2 + width;
    } else if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(source.slice(pos + 1, pos + 4))![0];
      out += String.fromCodePoint(parseInt(octal, 8));
      pos += 1 + octal.length;
    } else {
      out += `\\${next}`;
      pos += 2;
    }
  }
  throw new LexError('a string is never closed (missing its closing quote)', open);
}
