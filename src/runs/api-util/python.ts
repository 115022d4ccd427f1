// What QD's util handlers get from Python and Tornado, so that Chime's answers are the same bytes:
// json.dumps(obj, indent=4, ensure_ascii=False), float() and repr(float), strtobool, html.escape,
// and Tornado's get_argument (query and form body, the last value wins, control characters blanked,
// surrounding whitespace stripped).
import { pyFloat, pyRepr, str } from '../../lib/jinja-values.js';

/** A Python float in an answer (json.dumps writes 1700000000.0, not 1700000000). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A value json.dumps can write; numbers and bigints are Python ints, objects keep insertion order. */
export type PyJson = string | number | bigint | PyFloat | PyJson[] | { [key: string]: PyJson };

/** json.dumps(value, indent=4, ensure_ascii=False): item separator ",", key separator ": ". */
export function pyJsonDumps(value: PyJson, level = 0): string {
  // JSON.stringify escapes a string exactly as Python does with ensure_ascii=False ("\n", "\u001f", non-ASCII kept).
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return BigInt(Math.trunc(value)).toString();
  if (value instanceof PyFloat) {
    const n = value.value;
    if (Number.isNaN(n)) return 'NaN';
    if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
    return pyFloat(n);
  }
  const inner = ' '.repeat(4 * (level + 1));
  const outer = ' '.repeat(4 * level);
  if (Array.isArray(value)) {
    return value.length === 0 ? '[]' : `[\n${value.map((v) => inner + pyJsonDumps(v, level + 1)).join(',\n')}\n${outer}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pyJsonDumps(v, level + 1)}`).join(',\n')}\n${outer}}`;
}

/** A Python exception's str(), raised by the helpers below and put into "状态" by the handlers. */
export class PyError extends Error {}

export const pyReprText = (s: string) => pyRepr(str(s));

/** float(text): decimal or exponent notation, "_" between digits, inf/nan, surrounding whitespace. */
export function pyParseFloat(text: string): number {
  const t = stripPy(text);
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  const digits = '\\d(?:_?\\d)*';
  if (new RegExp(`^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?$`).test(t)) return Number(t.replace(/_/g, ''));
  throw new PyError(`could not convert string to float: ${pyReprText(text)}`);
}

/** int(float): Python's message for the values it refuses. */
export function pyIntOfFloat(n: number): bigint {
  if (Number.isNaN(n)) throw new PyError('cannot convert float NaN to integer');
  if (!Number.isFinite(n)) throw new PyError('cannot convert float infinity to integer');
  return BigInt(Math.trunc(n));
}

/** QD's strtobool (config.py). */
export function strtobool(text: string): boolean {
  const v = text.toLowerCase();
  if (['y', 'yes', 't', 'true', 'on', '1'].includes(v)) return true;
  if (['n', 'no', 'f', 'false', 'off', '0'].includes(v)) return false;
  throw new PyError(`invalid truth value ${pyReprText(v)}`);
}

/** html.escape(s, quote=True). */
export function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
}

// str.strip() strips what str.isspace() calls whitespace; unlike JavaScript's trim(), not U+FEFF.
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');
export const stripPy = (s: string) => s.replace(PY_STRIP, '');

/** Tornado answers this as "400: Bad Request" before QD's handler runs. */
export class BadArgument extends Error {}

/**
 * Tornado's request arguments: the query string, then the body when it is a form (Tornado parses
 * application/x-www-form-urlencoded; QD's curl client sends that type when a POST names none, which
 * is how QD's own templates post to api://). Values are percent-decoded bytes read as UTF-8.
 */
export class RequestArguments {
  private readonly values = new Map<string, string[]>();

  constructor(query: string, body: string | undefined, contentType: string | undefined) {
    this.add(Buffer.from(query, 'utf8'));
    const type = (contentType ?? '').trim().toLowerCase();
    if (body !== undefined && (type === '' || type.startsWith('application/x-www-form-urlencoded'))) this.add(Buffer.from(body, 'utf8'));
  }

  /** get_argument(name, default): the last value, control characters as spaces, stripped. */
  get(name: string, fallback: string): string {
    const last = this.values.get(name)?.at(-1);
    if (last === undefined) return fallback;
    return stripPy(last.replace(/[\x00-\x08\x0e-\x1f]/g, ' '));
  }

  // urllib.parse.parse_qsl(keep_blank_values=True) over bytes: "&" separates, "+" is a space.
  private add(bytes: Buffer): void {
    for (const part of split(bytes, 0x26)) {
      if (part.length === 0) continue;
      const eq = part.indexOf(0x3d);
      const [rawName, rawValue] = eq < 0 ? [part, Buffer.alloc(0)] : [part.subarray(0, eq), part.subarray(eq + 1)];
      const name = utf8(percentDecode(rawName));
      const list = this.values.get(name) ?? [];
      list.push(utf8(percentDecode(rawValue)));
      this.values.set(name, list);
    }
  }
}

function split(bytes: Buffer, separator: number): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(separator); i >= 0; i = bytes.indexOf(separator, start)) {
    parts.push(bytes.subarray(start, i));
    start = i + 1;
  }
  parts.push(bytes.subarray(start));
  return parts;
}

const isHex = (b: number | undefined) => b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));

/** "+" → space and %XX → the byte; a "%" not followed by two hex digits stays as it is. */
export function percentDecode(bytes: Uint8Array, plusIsSpace = true): Buffer {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25 && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out.push(parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16));
      i += 2;
    } else {
      out.push(plusIsSpace && b === 0x2b ? 0x20 : b);
    }
  }
  return Buffer.from(out);
}

function utf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new BadArgument('an argument is not valid UTF-8 once percent-decoded');
  }
}
