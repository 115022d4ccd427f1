// Jinja's own filters, with Jinja2's meaning (the library's versions of these differ: `'12abc'|int`
// is 12 there and 0 in Jinja2, `join` ignores Python's str(), `none` prints nothing, …), plus the
// Python str methods templates call on text.
import { decodeHTML } from 'entities';
import { bind, flag, integer, number, text, typeName, type Builtin, type Call, type RenderContext } from './jinja-call.js';
import {
  FunctionValue, LIMITS, RenderFault, bool, bytesValue, float, int, isDict, isFloat, isInt, isList, isNone, isStr, isUndef,
  list, pyStr, rawBytesOf, str, truthy, undef, undefinedError, type AnyValue, type StrV,
} from './jinja-values.js';

/** Python's f"{x:.{digits}f}": correctly rounded, ties to even (toFixed rounds ties up). */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const abs = Math.abs(x);
  if (abs >= 1e21) return `${sign}${BigInt(abs).toString()}${digits > 0 ? `.${'0'.repeat(digits)}` : ''}`;
  let out = abs.toFixed(digits);
  const next = abs.toFixed(digits + 1);
  const exact = Math.min(100, digits + 25);
  if (next.endsWith('5') && abs.toFixed(exact) === next + '0'.repeat(exact - digits - 1)) {
    const down = next.slice(0, -1).replace(/\.$/, '');
    if (Number(down.at(-1)) % 2 === 0) out = down;
  }
  return sign + out;
}

/** str.replace that refuses to build text over the size limit ('a'.replace('', 'b' * 10**6) …). */
export function replaceText(s: string, old: string, replacement: string, count = -1): string {
  if (count === 0) return s;
  const parts = s.split(old);
  if (old === '') parts.splice(0, parts.length, '', ...Array.from(s), '');
  const limit = count < 0 ? parts.length - 1 : Math.min(count, parts.length - 1);
  if (s.length + limit * (replacement.length - old.length) > LIMITS.textChars) throw new RenderFault('replace() would make the text too large');
  return parts.slice(0, limit + 1).join(replacement) + (limit + 1 < parts.length ? old + parts.slice(limit + 1).join(old) : '');
}

/** The items of a value the way Python's iter() gives them: characters, list items, dict keys. */
export function itemsOf(v: AnyValue, what: string): AnyValue[] {
  if (isUndef(v)) return [];
  if (isStr(v)) return Array.from(v.value, (ch) => str(ch));
  if (isList(v)) return v.value;
  if (isDict(v)) return [...v.value.keys()].map((k) => str(k));
  throw new RenderFault(`${what} needs text, a list or a mapping, not ${typeName(v)}`);
}

const filters: [string, Builtin][] = [
  ['default', (call) => {
    const { value, default_value, boolean } = bind(call, ['value', 'default_value', 'boolean']);
    const missing = value === undefined || isUndef(value) || (flag(boolean) && !truthy(value));
    return missing ? (default_value ?? str('')) : value;
  }],
  ['replace', (call) => {
    const { s, old, new: replacement, count } = bind(call, ['s', 'old', 'new', 'count']);
    return str(replaceText(text(s), text(old), text(replacement), count && !isNone(count) ? integer(count, 'count') : -1));
  }],
  ['lower', (call) => str(text(bind(call, ['s']).s).toLowerCase())],
  ['upper', (call) => str(text(bind(call, ['s']).s).toUpperCase())],
  ['trim', (call) => {
    const { value, chars } = bind(call, ['value', 'chars']);
    const s = text(value);
    if (chars === undefined || isNone(chars)) return str(s.trim());
    const set = new Set(Array.from(text(chars)));
    const cps = Array.from(s);
    let a = 0;
    let b = cps.length;
    while (a < b && set.has(cps[a]!)) a++;
    while (b > a && set.has(cps[b - 1]!)) b--;
    return str(cps.slice(a, b).join(''));
  }],
  ['truncate', (call) => {
    const a = bind(call, ['s', 'length', 'killwords', 'end', 'leeway']);
    const s = text(a.s);
    const length = integer(a.length, 'length', 255);
    const end = a.end === undefined ? '...' : text(a.end);
    const leeway = integer(a.leeway, 'leeway', 5);
    if (length < end.length) throw new RenderFault(`truncate() expects length >= ${end.length}, got ${length}`);
    if (s.length <= length + leeway) return str(s);
    const head = s.slice(0, length - end.length);
    return str((flag(a.killwords) ? head : head.includes(' ') ? head.slice(0, head.lastIndexOf(' ')) : head) + end);
  }],
  ['round', (call) => {
    const a = bind(call, ['value', 'precision', 'method']);
    if (a.value !== undefined && isUndef(a.value)) throw undefinedError(a.value);
    const x = number(a.value, 'round() value');
    const precision = integer(a.precision, 'precision', 0);
    const method = a.method === undefined ? 'common' : text(a.method);
    const scale = 10 ** precision;
    if (method === 'ceil' || method === 'floor') return float(Math[method](x * scale) / scale);
    if (method !== 'common') throw new RenderFault("round() method must be 'common', 'ceil' or 'floor'");
    if (a.value && isInt(a.value) && precision >= 0) return int(x);
    return float(precision >= 0 ? Number(formatFixed(x, precision)) : Number(formatFixed(x * scale, 0)) / scale);
  }],
  ['join', (call) => {
    const { value, d, attribute } = bind(call, ['value', 'd', 'attribute']);
    const items = itemsOf(value ?? str(''), 'join()');
    const picked = attribute === undefined ? items : items.map((item) => (isDict(item) ? item.value.get(text(attribute)) ?? str('') : str('')));
    return str(picked.map(pyStr).join(text(d)));
  }],
  ['length', (call) => {
    const { obj } = bind(call, ['obj']);
    if (obj && isStr(obj)) return int(Array.from(obj.value).length);
    return int(itemsOf(obj ?? str(''), 'length').length);
  }],
  ['striptags', (call) => str(stripTags(text(bind(call, ['value']).value)))],
  ['string', (call) => str(text(bind(call, ['value']).value))],
  ['list', (call) => list([...itemsOf(bind(call, ['value']).value ?? str(''), 'list()')])],
  ['first', (call) => itemsOf(bind(call, ['seq']).seq ?? str(''), 'first').at(0) ?? undef()],
  ['last', (call) => itemsOf(bind(call, ['seq']).seq ?? str(''), 'last').at(-1) ?? undef()],
  ['reverse', (call) => {
    const { value } = bind(call, ['value']);
    if (value && isStr(value)) return str(Array.from(value.value).reverse().join(''));
    return list([...itemsOf(value ?? str(''), 'reverse')].reverse());
  }],
  ['escape', (call) => str(htmlEscape(text(bind(call, ['value']).value)))],
  ['sum', (call) => {
    const { iterable, start } = bind(call, ['iterable', 'attribute', 'start']);
    const values = itemsOf(iterable ?? list([]), 'sum()').map((v) => number(v, 'sum() item'));
    const total = values.reduce((acc, v) => acc + v, number(start, 'start', 0));
    return (iterable && isList(iterable) && iterable.value.some(isFloat)) || (start && isFloat(start)) ? float(total) : int(total);
  }],
  ['wordcount', (call) => int(text(bind(call, ['s']).s).match(/[\p{L}\p{N}_]+/gu)?.length ?? 0)],
];
filters.push(['d', filters[0]![1]], ['count', filters.find(([n]) => n === 'length')![1]], ['e', filters.find(([n]) => n === 'escape')![1]]);

/** Jinja's built-in filters that QD leaves filter-only (no `lower(x)` global, as in QD). */
export const JINJA_FILTERS: ReadonlyMap<string, Builtin> = new Map(filters);


/** markupsafe's striptags: drop comments and tags, collapse whitespace, then decode entities. */
export function stripTags(html: string): string {
  let out = '';
  let pos = 0;
  while (pos < html.length) {
    const comment = html.indexOf('<!--', pos);
    const end = comment < 0 ? -1 : html.indexOf('-->', comment);
    if (end < 0) break;
    out += html.slice(pos, comment);
    pos = end + 3;
  }
  let rest = out + html.slice(pos);
  out = '';
  pos = 0;
  while (pos < rest.length) {
    const open = rest.indexOf('<', pos);
    const close = open < 0 ? -1 : rest.indexOf('>', open);
    if (close < 0) break;
    out += rest.slice(pos, open);
    pos = close + 1;
  }
  rest = out + rest.slice(pos);
  return decodeHTML(rest.split(/\s+/u).filter(Boolean).join(' '));
}

export function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[ch]!);
}

// Python str methods reachable as `text.method(…)`; the library supplies upper, lower, strip, split,
// startswith, … itself. Only these names resolve: nothing reaches JavaScript's String.prototype.
// String methods use neither the clock nor randomness.
const METHOD_CONTEXT: RenderContext = { now: () => new Date(0), random: () => 0 };
const method = (impl: (call: Call) => AnyValue, name: string) =>
  new FunctionValue((args) => {
    const [positional, kwargs] = splitKeywords(args);
    return impl({ name, args: positional, kwargs, ctx: METHOD_CONTEXT });
  });

/** The library passes keyword arguments to functions as one trailing KeywordArgumentsValue. */
export function splitKeywords(args: AnyValue[]): [AnyValue[], Map<string, AnyValue>] {
  const last = args.at(-1);
  if (last?.type !== 'KeywordArgumentsValue') return [args, new Map()];
  return [args.slice(0, -1), last.value as Map<string, AnyValue>];
}

const STRING_METHODS: Record<string, (s: StrV) => (call: Call) => AnyValue> = {
  replace: (s) => (call) => {
    const { old, new: replacement, count } = bind(call, ['old', 'new', 'count']);
    return str(replaceText(s.value, text(old), text(replacement), count ? integer(count, 'count') : -1));
  },
  join: (s) => (call) => str(itemsOf(bind(call, ['iterable']).iterable ?? list([]), 'join()').map(pyStr).join(s.value)),
  find: (s) => (call) => int(s.value.indexOf(text(bind(call, ['sub']).sub))),
  count: (s) => (call) => int(s.value.split(text(bind(call, ['sub']).sub)).length - 1),
  isdigit: (s) => () => bool(/^\p{Nd}+$/u.test(s.value)),
  zfill: (s) => (call) => {
    const width = Math.min(integer(bind(call, ['width']).width, 'width'), 10_000);
    const sign = /^[-+]/.test(s.value) ? s.value[0]! : '';
    return str(sign + s.value.slice(sign.length).padStart(width - sign.length, '0'));
  },
  encode: (s) => () => bytesValue(Buffer.from(s.value, 'utf8')),
  decode: (s) => (call) => {
    const encoding = text(bind(call, ['encoding', 'errors']).encoding, 'utf-8');
    return str(new TextDecoder(encoding).decode(rawBytesOf(s) ?? Buffer.from(s.value, 'utf8')));
  },
};

export function stringMethod(s: StrV, name: string): AnyValue | undefined {
  if (!Object.hasOwn(STRING_METHODS, name)) return undefined;
  if (name === 'decode' && !rawBytesOf(s)) return undefined;
  return method(STRING_METHODS[name]!(s), name);
}
