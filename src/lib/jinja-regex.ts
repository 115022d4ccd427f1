// QD's regex globals (regex_replace, regex_search, regex_findall, regex_escape) and the translation
// of Python `re` syntax to JavaScript: named groups `(?P<n>…)`/`(?P=n)`, Unicode `\w \d \b`, `.` and
// `$` as Python reads them, `\A \Z`, inline flags, `(?#…)`, verbose mode, escapes Python allows and a
// JavaScript /u pattern rejects (`\-`, `\"`, a lone `{`).
import { bind, flag, integer, text, type Builtin } from './jinja-call.js';
import { LIMITS, RenderFault, none, pyRepr, str, type AnyValue } from './jinja-values.js';

export type PythonRegexFlags = { ignorecase?: boolean; multiline?: boolean; dotall?: boolean; verbose?: boolean };

const WORD = '[\\p{L}\\p{N}_]';
const NOT_WORD = '[^\\p{L}\\p{N}_]';
const START = '(?<![\\s\\S])';
const END = '(?![\\s\\S])';
const SYNTAX = '^$\\.*+?()[]{}|/';
const CHAR_ESCAPES: Record<string, string> = { n: '\\n', t: '\\t', r: '\\r', f: '\\f', v: '\\v', a: '\\x07' };
const cache = new Map<string, RegExp>();

/** Compiles a Python pattern; the result has the `g` flag so callers can walk all matches. */
export function compilePythonRegex(pattern: string, flags: PythonRegexFlags = {}): RegExp {
  const key = `${pattern}\u0000${JSON.stringify(flags)}`;
  const cached = cache.get(key);
  if (cached) {
    cached.lastIndex = 0;
    return cached;
  }
  const f = { ...flags, ascii: false };
  let source = pattern;
  for (let m = /\(\?([aiLmsux]+)\)/.exec(source); m; m = /\(\?([aiLmsux]+)\)/.exec(source)) {
    for (const letter of m[1]!) {
      if (letter === 'L') throw new RenderFault(`regular expression '${pattern}': the L flag is not supported`);
      if (letter === 'i') f.ignorecase = true;
      if (letter === 'm') f.multiline = true;
      if (letter === 's') f.dotall = true;
      if (letter === 'x') f.verbose = true;
      if (letter === 'a') f.ascii = true;
    }
    source = source.slice(0, m.index) + source.slice(m.index + m[0].length);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(translate(source, f), f.ignorecase ? 'giu' : 'gu');
  } catch (err) {
    const reason = err instanceof RenderFault ? err.message : err instanceof Error ? err.message.replace(/^Invalid regular expression: \/.*\/\w*: /, '') : String(err);
    throw new RenderFault(`invalid regular expression '${pattern}': ${reason}`);
  }
  if (cache.size >= 500) cache.delete(cache.keys().next().value!);
  cache.set(key, regex);
  return regex;
}

function translate(p: string, f: PythonRegexFlags & { ascii: boolean }): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      const [js, used] = translateEscape(p, i, inClass, f.ascii);
      out += js;
      i += used - 1;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
    } else if (f.verbose && /\s/.test(c)) {
      continue;
    } else if (f.verbose && c === '#') {
      while (i < p.length && p[i] !== '\n') i++;
    } else if (c === '[') {
      inClass = true;
      out += '[';
      if (p[i + 1] === '^') out += p[++i];
      if (p[i + 1] === ']') out += '\\' + p[++i];
    } else if (c === '(') {
      const group = translateGroup(p, i);
      out += group.js;
      i += group.used - 1;
    } else if (c === '.') {
      out += f.dotall ? '[\\s\\S]' : '[^\\n]';
    } else if (c === '^') {
      out += f.multiline ? `(?:${START}|(?<=\\n))` : START;
    } else if (c === '$') {
      out += f.multiline ? `(?=\\n|${END})` : `(?=\\n?${END})`;
    } else if (c === '{') {
      const quantifier = /^\{(\d*)(?:(,)(\d*))?\}/.exec(p.slice(i));
      const valid = quantifier && (quantifier[1] || quantifier[2]);
      out += valid ? `{${quantifier[1] || '0'}${quantifier[2] ?? ''}${quantifier[3] ?? ''}}` : '\\{';
      if (valid) i += quantifier[0].length - 1;
    } else if (c === '}' || c === ']') {
      out += '\\' + c;
    } else {
      out += c;
    }
  }
  if (inClass) throw new RenderFault('a [ character set ] is not closed');
  return out;
}

function translateGroup(p: string, i: number): { js: string; used: number } {
  if (p[i + 1] !== '?') return { js: '(', used: 1 };
  const rest = p.slice(i);
  const named = /^\(\?P<([^>]+)>/.exec(rest);
  if (named) return { js: `(?<${named[1]}>`, used: named[0].length };
  const backref = /^\(\?P=([^)]+)\)/.exec(rest);
  if (backref) return { js: `\\k<${backref[1]}>`, used: backref[0].length };
  const comment = /^\(\?#[^)]*\)/.exec(rest);
  if (comment) return { js: '', used: comment[0].length };
  const plain = /^\(\?(?:[:=!]|<[=!])/.exec(rest);
  if (plain) return { js: plain[0], used: plain[0].length };
  if (/^\(\?</.test(rest)) return { js: '(?<', used: 3 };
  throw new RenderFault(`the group '${rest.slice(0, 6)}…' is not supported (scoped flags, conditionals and atomic groups are not)`);
}

/** One escape at p[i] ('\\'); returns the JavaScript text and how many pattern characters it used. */
function translateEscape(p: string, i: number, inClass: boolean, ascii: boolean): [string, number] {
  const d = p[i + 1];
  if (d === undefined) throw new RenderFault('the pattern ends with a lone backslash');
  const hex = (width: number) => {
    const digits = p.slice(i + 2, i + 2 + width);
    if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits)) throw new RenderFault(`bad escape \\${d}${digits}`);
    return `\\u{${parseInt(digits, 16).toString(16)}}`;
  };
  switch (d) {
    case 'd': return [ascii ? '\\d' : '\\p{Nd}', 2];
    case 'D': return [ascii ? '\\D' : '\\P{Nd}', 2];
    case 'w': return [ascii ? '\\w' : inClass ? '\\p{L}\\p{N}_' : WORD, 2];
    case 'W': return [ascii || inClass ? '\\W' : NOT_WORD, 2];
    case 's': case 'S': return [`\\${d}`, 2];
    case 'b': return [inClass ? '\\x08' : ascii ? '\\b' : `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`, 2];
    case 'B': return [ascii ? '\\B' : `(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`, 2];
    case 'A': return [START, 2];
    case 'Z': return [END, 2];
    case 'x': return [hex(2), 4];
    case 'u': return [hex(4), 6];
    case 'U': return [hex(8), 10];
  }
  if (CHAR_ESCAPES[d]) return [CHAR_ESCAPES[d], 2];
  const digits = /^\d{1,3}/.exec(p.slice(i + 1))?.[0] ?? '';
  if (/^0|^[0-7]{3}/.test(digits) || (inClass && digits)) {
    const octal = /^[0-7]{1,3}/.exec(digits)?.[0];
    if (!octal) throw new RenderFault(`bad escape \\${d}`);
    return [`\\u{${parseInt(octal, 8).toString(16)}}`, 1 + octal.length];
  }
  if (digits) {
    const ref = digits.slice(0, 2);
    return [`\\${ref}`, 1 + ref.length];
  }
  if (/[A-Za-z0-9]/.test(d)) throw new RenderFault(`bad escape \\${d}`);
  if (SYNTAX.includes(d) || (inClass && d === '-')) return [`\\${d}`, 2];
  return [d, 2];
}

/** re.sub's replacement template: \1, \g<name>, \g<2>, \n …; an unmatched group gives ''. */
export function expandReplacement(template: string, match: RegExpExecArray): string {
  return template.replace(/\\(g<([^>]*)>|\d{1,2}|[\\nrtfvab]|x[0-9a-fA-F]{2}|.)/g, (whole, esc: string, name?: string) => {
    if (/^0/.test(esc)) return String.fromCharCode(parseInt(esc, 8));
    if (name !== undefined || /^\d/.test(esc)) {
      const ref = name ?? esc;
      const value = /^\d+$/.test(ref) ? match[Number(ref)] : match.groups?.[ref];
      if (/^\d+$/.test(ref) ? Number(ref) >= match.length : !(match.groups && ref in match.groups)) throw new RenderFault(`invalid group reference ${ref}`);
      return value ?? '';
    }
    if (esc === '\\') return '\\';
    if (esc[0] === 'x' && esc.length === 3) return String.fromCharCode(parseInt(esc.slice(1), 16));
    const simple = ({ n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', a: '\x07', b: '\b' } as Record<string, string>)[esc];
    if (simple) return simple;
    if (/[A-Za-z]/.test(esc)) throw new RenderFault(`bad escape ${whole} in the replacement`);
    return whole;
  });
}

/** Every match in order, stepping over empty matches the way Python does. */
function* matchesOf(regex: RegExp, value: string): Generator<RegExpExecArray> {
  regex.lastIndex = 0;
  for (let m = regex.exec(value); m; m = regex.exec(value)) {
    yield m;
    if (m[0] === '') regex.lastIndex += (value.codePointAt(regex.lastIndex) ?? 0) > 0xffff ? 2 : 1;
    if (regex.lastIndex > value.length) return;
  }
}

const flagsOf = (ignorecase?: AnyValue, multiline?: AnyValue): PythonRegexFlags => ({ ignorecase: flag(ignorecase), multiline: flag(multiline) });

export const REGEX_FUNCTIONS: [string, Builtin][] = [
  ['regex_replace', (call) => {
    const a = bind(call, ['value', 'pattern', 'replacement', 'count', 'ignorecase', 'multiline']);
    const value = text(a.value);
    const regex = compilePythonRegex(text(a.pattern), flagsOf(a.ignorecase, a.multiline));
    const count = integer(a.count, 'count', 0);
    const replacement = text(a.replacement);
    let out = '';
    let last = 0;
    let done = 0;
    for (const m of matchesOf(regex, value)) {
      if (count > 0 && done++ >= count) break;
      out += value.slice(last, m.index) + expandReplacement(replacement, m);
      last = m.index + m[0].length;
      if (out.length > LIMITS.textChars) throw new RenderFault('regex_replace() made the text too large');
    }
    return str(out + value.slice(last));
  }],
  ['regex_search', (call) => {
    const a = bind(call, ['value', 'pattern', '*groups', 'ignorecase', 'multiline']);
    const m = compilePythonRegex(text(a.pattern), flagsOf(a.ignorecase, a.multiline)).exec(text(a.value));
    if (!m) return none();
    if (a.rest.length === 0) return str(m[0]);
    const picked = a.rest.map((arg) => {
      const ref = /^\\g<(\S+)>$/.exec(text(arg))?.[1] ?? /^\\(\d+)/.exec(text(arg))?.[1];
      if (ref === undefined) throw new RenderFault(`regex_search(): unknown argument '${text(arg)}' (use '\\\\1' or '\\\\g<name>')`);
      const value = /^\d+$/.test(ref) ? m[Number(ref)] : m.groups?.[ref];
      return value === undefined ? none() : str(value);
    });
    return str(`[${picked.map(pyRepr).join(', ')}]`);
  }],
  ['regex_findall', (call) => {
    const a = bind(call, ['value', 'pattern', 'ignorecase', 'multiline']);
    const found: string[] = [];
    for (const m of matchesOf(compilePythonRegex(text(a.pattern), flagsOf(a.ignorecase, a.multiline)), text(a.value))) {
      const groups = m.slice(1).map((g) => pyRepr(str(g ?? '')));
      found.push(groups.length === 0 ? pyRepr(str(m[0])) : groups.length === 1 ? groups[0]! : `(${groups.join(', ')})`);
      if (found.length > 100_000) throw new RenderFault('regex_findall() found too many matches');
    }
    return str(`[${found.join(', ')}]`);
  }],
  ['regex_escape', (call) => {
    const { value, re_type } = bind(call, ['value', 're_type']);
    const kind = text(re_type, 'python');
    if (kind === 'python') return str(text(value).replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, '\\$&'));
    if (kind === 'posix_basic') return str(text(value).replace(/[\].[^$*\\]/g, '\\$&'));
    throw new RenderFault(kind === 'posix_extended' ? 'regex_escape(): posix_extended is not implemented (as in QD)' : `regex_escape(): invalid regex type '${kind}'`);
  }],
];
