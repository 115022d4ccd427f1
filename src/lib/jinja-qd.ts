// QD's Jinja globals (libs/utils.py `jinja_globals`, each also a filter) with QD's semantics, and
// Chime's additions: uuid(), sha256, hmac_sha256(key), json. Globals that are not filters (range,
// dict, …) are at the end.
import crypto from 'node:crypto';
import { bind, integer, number, text, typeName, type Builtin, type Call, type RenderContext } from './jinja-call.js';
import { formatFixed, itemsOf } from './jinja-filters.js';
import {
  LIMITS, RenderFault, bool, dict, float, int, isBool, isDict, isFloat, isInt, isList, isNone, isNum, isStr, isUndef, list,
  none, str, toBytes, toJs, undefinedError, undefinedName, type AnyValue,
} from './jinja-values.js';

/** range() makes at most this many numbers (the list limit). */
export const MAX_RANGE = LIMITS.listItems;

/** Python's int(text, base): optional sign, digits with single underscores, 0x/0o/0b prefixes. */
function parsePyInt(s: string, base: number): number | undefined {
  if (base !== 0 && (base < 2 || base > 36)) return undefined;
  const m = /^([+-]?)(?:0([xob]))?([0-9a-z]+(?:_[0-9a-z]+)*)$/i.exec(s.trim());
  if (!m) return undefined;
  const prefixBase = m[2] ? { x: 16, o: 8, b: 2 }[m[2].toLowerCase() as 'x' | 'o' | 'b'] : undefined;
  if (prefixBase !== undefined && base !== 0 && base !== prefixBase) return undefined;
  const radix = prefixBase ?? (base === 0 ? 10 : base);
  const digits = m[3]!.replace(/_/g, '').toLowerCase();
  if (base === 0 && !prefixBase && /^0+[1-9]/.test(digits)) return undefined;
  if ([...digits].some((d) => parseInt(d, 36) >= radix)) return undefined;
  return (m[1] === '-' ? -1 : 1) * parseInt(digits, radix);
}

/** Python's float(text): "1.5", " 2e3 ", "1_000.5", ".5", "inf", "nan". */
function parsePyFloat(s: string): number | undefined {
  const t = s.trim().replace(/(?<=\d)_(?=\d)/g, '');
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

/** Jinja's do_int: text as an int, else as a float truncated; anything unreadable gives the default. */
function toInt(v: AnyValue, fallback: AnyValue, base = 10): AnyValue {
  if (isUndef(v)) throw undefinedError(v);
  if (isBool(v)) return int(v.value ? 1 : 0);
  if (isNum(v)) return Number.isFinite(v.value) ? int(Math.trunc(v.value)) : fallback;
  if (!isStr(v)) return fallback;
  const parsed = parsePyInt(v.value, base);
  if (parsed !== undefined) return int(parsed);
  const asFloat = base === 10 ? parsePyFloat(v.value) : undefined;
  return asFloat !== undefined && Number.isFinite(asFloat) ? int(Math.trunc(asFloat)) : fallback;
}

function toFloat(v: AnyValue, fallback: AnyValue): AnyValue {
  if (isUndef(v)) throw undefinedError(v);
  if (isNum(v) || isBool(v)) return float(Number(v.value));
  const parsed = isStr(v) ? parsePyFloat(v.value) : undefined;
  return parsed === undefined ? fallback : float(parsed);
}

/** QD's is_num: digits, optionally one '.', optionally a leading '-' (on str() of the value). */
function numericText(v: AnyValue): number | undefined {
  const s = text(v);
  const parts = s.split('.');
  const digits = (x: string | undefined) => x !== undefined && /^\p{Nd}+$/u.test(x);
  const ok = parts.length === 2 ? digits(parts[0]!.replace(/^-+/, '')) && digits(parts[1]) : digits(s.replace(/^-+/, ''));
  const n = ok && !s.startsWith('--') ? Number(s) : NaN;
  return Number.isNaN(n) ? undefined : n;
}

/** add/sub/multiply/divide: six-decimal text; empty when an argument is not a number or a divisor is 0. */
function arithmetic(apply: (a: number, b: number) => number | undefined): Builtin {
  return (call) => {
    const values = call.args.map(numericText);
    if (values.length === 0 || values.some((v) => v === undefined)) return str('');
    let result: number | undefined = values[0]!;
    for (const v of values.slice(1)) result = result === undefined ? undefined : apply(result, v!);
    return str(result === undefined ? '' : formatFixed(result, 6));
  };
}

function digest(algorithm: string, v: AnyValue | undefined): AnyValue {
  return str(crypto.createHash(algorithm).update(toBytes(v ?? str(''))).digest('hex'));
}

/** Python hashlib names → Node's. */
function nodeHashName(name: string): string {
  const lower = name.toLowerCase();
  const mapped = ({ sha3_224: 'sha3-224', sha3_256: 'sha3-256', sha3_384: 'sha3-384', sha3_512: 'sha3-512', blake2b: 'blake2b512', blake2s: 'blake2s256' } as Record<string, string>)[lower] ?? lower;
  if (!crypto.getHashes().includes(mapped)) throw new RenderFault(`unsupported hash type '${name}'`);
  return mapped;
}

function uuidV5(name: Buffer, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const bytes = crypto.createHash('sha1').update(Buffer.concat([ns, name])).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return formatUuid(bytes);
}

function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Wall-clock "YYYY-MM-DD HH:MM:SS" in the render's time zone. */
function localDateTime(at: Date, timeZone: string | undefined): [string, string] {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  return [`${parts.year!.padStart(4, '0')}-${parts.month}-${parts.day}`, `${parts.hour}:${parts.minute}:${parts.second}`];
}

/** date_time's flags: QD turns text into int() first, so '0' is false and 'False' an error. */
function intFlag(v: AnyValue | undefined, what: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (isStr(v)) {
    const n = parsePyInt(v.value, 10);
    if (n === undefined) throw new RenderFault(`date_time(): ${what} must be a number or true/false, not '${v.value}'`);
    return n;
  }
  return number(v, `date_time() ${what}`);
}

function randomIndex(ctx: RenderContext, length: number): number {
  return Math.min(length - 1, Math.floor(ctx.random() * length));
}

/** A small seeded generator (mulberry32), for shuffle(seq, seed): repeatable, not Python's sequence. */
function seeded(seed: string): () => number {
  let a = crypto.createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const unsupported = (name: string): [string, Builtin] => [name, () => {
  throw new RenderFault(`'${name}' is not supported in Chime`);
}];

/** QD's globals; each is also a filter (`{{ x | md5 }}` is `md5(x)`). */
export const QD_FUNCTIONS: [string, Builtin][] = [
  ['int', (call) => {
    const a = bind(call, ['value', 'default', 'base']);
    return toInt(a.value ?? int(0), a.default ?? int(0), integer(a.base, 'base', 10));
  }],
  ['float', (call) => {
    const a = bind(call, ['value', 'default']);
    return toFloat(a.value ?? float(0), a.default ?? float(0));
  }],
  ['bool', (call) => {
    const { value } = bind(call, ['value']);
    if (value === undefined || isNone(value) || isBool(value)) return value ?? none();
    if (isNum(value)) return bool(value.value === 1);
    return bool(isStr(value) && ['yes', 'on', '1', 'true'].includes(value.value.toLowerCase()));
  }],
  ['md5', (call) => digest('md5', bind(call, ['value']).value)],
  ['sha1', (call) => digest('sha1', bind(call, ['value']).value)],
  ['sha256', (call) => digest('sha256', bind(call, ['value']).value)],
  ['hash', (call) => {
    const { value, hashtype } = bind(call, ['value', 'hashtype']);
    return digest(nodeHashName(text(hashtype, 'sha1')), value);
  }],
  ['hmac_sha256', (call) => {
    const { value, key } = bind(call, ['value', 'key']);
    if (key === undefined) throw new RenderFault('hmac_sha256() needs a key: value | hmac_sha256(key)');
    return str(crypto.createHmac('sha256', toBytes(key)).update(toBytes(value ?? str(''))).digest('hex'));
  }],
  ['to_uuid', (call) => {
    const { value, namespace } = bind(call, ['value', 'namespace']);
    const ns = text(namespace, '6ba7b811-9dad-11d1-80b4-00c04fd430c8');
    if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(ns)) throw new RenderFault(`invalid value '${ns}' for 'namespace'`);
    return str(uuidV5(toBytes(value ?? str('')), ns));
  }],
  ['uuid', (call) => {
    bind(call, []);
    const bytes = call.ctx.randomBytes?.(16) ?? Buffer.from(Array.from({ length: 16 }, () => Math.floor(call.ctx.random() * 256)));
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    return str(formatUuid(bytes));
  }],
  ['json', (call) => str(JSON.stringify(toJs(bind(call, ['value']).value ?? none())) ?? 'null')],
  ['timestamp', (call) => {
    const { type } = bind(call, ['type']);
    const ms = call.ctx.now().getTime();
    return text(type, 'int') === 'float' ? float(ms / 1000) : int(Math.floor(ms / 1000));
  }],
  ['date_time', (call) => {
    const a = bind(call, ['date', 'time', 'time_difference']);
    const [date, time] = localDateTime(new Date(call.ctx.now().getTime() + intFlag(a.time_difference, 'time_difference', 0) * 3_600_000), call.ctx.timeZone);
    const withDate = intFlag(a.date, 'date', 1) !== 0;
    const withTime = intFlag(a.time, 'time', 1) !== 0;
    return str(withDate && withTime ? `${date} ${time}` : withDate ? date : withTime ? time : '');
  }],
  ['is_num', (call) => bool(numericText(bind(call, ['value']).value ?? str('')) !== undefined)],
  ['add', arithmetic((a, b) => a + b)],
  ['sub', arithmetic((a, b) => a - b)],
  ['multiply', arithmetic((a, b) => a * b)],
  ['divide', arithmetic((a, b) => (b === 0 ? undefined : a / b))],
  ['random', (call) => randomOf(call)],
  ['shuffle', (call) => {
    const { seq, seed } = bind(call, ['seq', 'seed']);
    const items = [...itemsOf(seq ?? list([]), 'shuffle()')];
    const random = seed && !isNone(seed) && text(seed) ? seeded(text(seed)) : call.ctx.random;
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(random() * (i + 1)));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return list(items);
  }],
  ['ternary', (call) => {
    const a = bind(call, ['value', 'true_val', 'false_val', 'none_val']);
    const value = a.value ?? none();
    if ((isNone(value) || isUndef(value)) && a.none_val && !isNone(a.none_val)) return a.none_val;
    return (value.__bool__().value ? a.true_val : a.false_val) ?? none();
  }],
  ['mandatory', (call) => {
    const { value, msg } = bind(call, ['value', 'msg']);
    if (value && !isUndef(value)) return value;
    const name = value && undefinedName(value);
    throw new RenderFault(msg && !isNone(msg) ? text(msg) : `Mandatory variable ${name ? `'${name}' ` : ''}not defined.`);
  }],
  ['type_debug', (call) => str(typeName(bind(call, ['value']).value ?? none()))],
  ...['Faker', 'password_hash', 'aes_encrypt', 'aes_decrypt', 'b2a_uu', 'a2b_uu', 'b2a_qp', 'a2b_qp', 'crc_hqx', 'format'].map(unsupported),
];

/** QD's random: (min, max, decimals) → a number as text; (sequence) → one of its items. */
function randomOf(call: Call): AnyValue {
  const { args, ctx } = call;
  if (args.length === 3 && args.slice(0, 2).every((v) => isNum(v) || isBool(v))) {
    const [lo, hi] = [Number(args[0]!.value), Number(args[1]!.value)];
    const decimals = isStr(args[2]!) ? Number.parseInt(args[2].value, 10) : integer(args[2], 'random() decimals');
    if (!Number.isInteger(decimals) || decimals < 0 || decimals > 20) throw new RenderFault('random(): decimals must be a whole number from 0 to 20');
    return str(formatFixed(lo + (hi - lo) * ctx.random(), decimals));
  }
  if (args.length === 1 && isInt(args[0]!) && args[0].value > 0) return int(randomIndex(ctx, args[0].value));
  if (args.length === 1 && (isStr(args[0]!) || isList(args[0]!))) {
    const items = itemsOf(args[0], 'random()');
    if (items.length === 0) throw new RenderFault('random(): cannot choose from an empty sequence');
    return items[randomIndex(ctx, items.length)]!;
  }
  throw new RenderFault('random() takes (min, max, decimals) or one sequence to choose from');
}

/** Globals that are not filters: Jinja's range and dict, Python's list and len for QD's control steps. */
export const GLOBAL_FUNCTIONS: [string, Builtin][] = [
  ['range', (call) => {
    const { args } = call;
    if (args.length === 0 || args.length > 3 || call.kwargs.size) throw new RenderFault('range() takes 1 to 3 whole numbers');
    const [start, stop, step] = (args.length === 1 ? [int(0), args[0]!, int(1)] : [args[0]!, args[1]!, args[2] ?? int(1)]).map((v) => {
      if (isFloat(v)) throw new RenderFault('range() takes whole numbers, not decimals');
      return integer(v, 'range() argument');
    }) as [number, number, number];
    if (step === 0) throw new RenderFault('range() step must not be zero');
    const count = Math.max(0, Math.ceil((stop - start) / step));
    if (count > MAX_RANGE) throw new RenderFault(`range() is limited to ${MAX_RANGE.toLocaleString('en')} numbers (asked for ${count.toLocaleString('en')})`);
    return list(Array.from({ length: count }, (_, i) => int(start + i * step)));
  }],
  ['dict', (call) => {
    const [source] = call.args;
    const entries = source === undefined ? [] : isDict(source) ? [...source.value] : itemsOf(source, 'dict()').map((pair) => {
      if (!isList(pair) || pair.value.length !== 2) throw new RenderFault('dict() needs a mapping or (key, value) pairs');
      return [text(pair.value[0]), pair.value[1]!] as [string, AnyValue];
    });
    return dict([...entries, ...call.kwargs]);
  }],
  ['list', (call) => list([...itemsOf(bind(call, ['value']).value ?? list([]), 'list()')])],
  ['len', (call) => {
    const { value } = bind(call, ['value']);
    return int(value && isStr(value) ? Array.from(value.value).length : itemsOf(value ?? list([]), 'len()').length);
  }],
  unsupported('lipsum'),
];

