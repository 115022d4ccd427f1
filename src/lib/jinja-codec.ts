// QD's text/bytes globals: urlencode, quote_chinese, unicode, base64 and binascii helpers.
// Python returns bytes from some of them (a2b_hex, utf8); here those are text values that keep their
// raw bytes, so `md5(a2b_hex(x))` and `b2a_hex(a2b_base64(x))` work on the bytes as in QD.
import zlib from 'node:zlib';
import { decodeHTML } from 'entities';
import { bind, flag, text, type Builtin } from './jinja-call.js';
import {
  RenderFault, bytesValue, int, isDict, isList, isStr, isUndef, list, rawBytesOf, str, toBytes, type AnyValue,
} from './jinja-values.js';

let gbkTable: Map<string, number[]> | undefined;
/** GBK has no encoder in Node; the table is built once by decoding every two-byte code. */
function gbkBytes(ch: string): number[] | undefined {
  if (!gbkTable) {
    gbkTable = new Map([['€', [0x80]]]);
    const decoder = new TextDecoder('gbk');
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        const decoded = decoder.decode(new Uint8Array([lead, trail]));
        if (decoded.length === 1 && decoded !== '\ufffd' && !gbkTable.has(decoded)) gbkTable.set(decoded, [lead, trail]);
      }
    }
  }
  return gbkTable.get(ch);
}

/** Text → bytes in a Python codec name QD templates use: utf-8 (default), gbk/gb2312/gb18030, latin-1, ascii. */
export function encodeText(value: string, encoding = 'utf-8'): Buffer {
  const name = encoding.toLowerCase().replace(/[-_\s]/g, '');
  if (name === 'utf8') return Buffer.from(value, 'utf8');
  const out: number[] = [];
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else if ((name === 'latin1' || name === 'iso88591') && code <= 0xff) out.push(code);
    else if (['gbk', 'gb2312', 'gb18030', 'cp936'].includes(name) && gbkBytes(ch)) out.push(...gbkBytes(ch)!);
    else if (['gbk', 'gb2312', 'gb18030', 'cp936', 'latin1', 'iso88591', 'ascii'].includes(name)) throw new RenderFault(`'${ch}' cannot be encoded as ${encoding}`);
    else throw new RenderFault(`unknown encoding '${encoding}'`);
  }
  return Buffer.from(out);
}

/** urllib.parse.quote over bytes: letters, digits and `_.-~` stay, plus `safe`; the rest is %XX. */
function percentEncode(bytes: Uint8Array, safe: string): string {
  let out = '';
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.\-~]/.test(ch) || (byte < 0x80 && safe.includes(ch)) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Jinja's url_quote: `/` kept unless for a query string, where spaces become `+`. */
function urlQuote(v: AnyValue, encoding: string, forQuery: boolean): string {
  const bytes = rawBytesOf(v) ?? encodeText(text(v), encoding);
  const quoted = percentEncode(bytes, forQuery ? '' : '/');
  return forQuery ? quoted.replace(/%20/g, '+') : quoted;
}

/** Python's unicode_escape decoding, minus its Latin-1 reading of non-ASCII text (QD garbles é; we keep it). */
export function decodeEscapes(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\\'"abfnrtv\n])/g, (_, esc: string) => {
    const kind = esc[0]!;
    if (kind === 'x' || kind === 'u') return String.fromCharCode(parseInt(esc.slice(1), 16));
    if (kind === 'U') return String.fromCodePoint(Math.min(parseInt(esc.slice(1), 16), 0x10ffff));
    if (/[0-7]/.test(kind)) return String.fromCharCode(parseInt(esc, 8));
    return ({ a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' } as Record<string, string>)[kind] ?? kind;
  });
}

function hexOf(v: AnyValue): string {
  return toBytes(v).toString('hex');
}

function fromHex(v: AnyValue): Buffer {
  const hex = text(v);
  if (hex.length % 2) throw new RenderFault('a2b_hex(): odd-length string');
  if (/[^0-9a-fA-F]/.test(hex)) throw new RenderFault('a2b_hex(): non-hexadecimal digit found');
  return Buffer.from(hex, 'hex');
}

function fromBase64(v: AnyValue): Buffer {
  const clean = text(v).replace(/[^A-Za-z0-9+/=_-]/g, '');
  if (clean.replace(/=+$/, '').length % 4 === 1) throw new RenderFault('base64 text has a wrong length');
  return Buffer.from(clean, 'base64');
}

function decodeBytes(bytes: Buffer, encoding: string): string {
  try {
    return new TextDecoder(encoding).decode(bytes);
  } catch {
    throw new RenderFault(`unknown encoding '${encoding}'`);
  }
}

export const CODEC_FUNCTIONS: [string, Builtin][] = [
  ['urlencode', (call) => {
    const { value, encoding, for_qs } = bind(call, ['value', 'encoding', 'for_qs']);
    const v = value ?? str('');
    if (isUndef(v)) return str('');
    if (!isList(v) && !isDict(v)) return str(urlQuote(v, text(encoding, 'utf-8'), flag(for_qs)));
    const pairs = isDict(v) ? [...v.value].map(([k, item]) => [str(k), item] as const) : v.value.map(pairOf);
    return str(pairs.map(([k, item]) => `${urlQuote(k, 'utf-8', true)}=${urlQuote(item, 'utf-8', true)}`).join('&'));
  }],
  ['quote_chinese', (call) => {
    const { value, sep } = bind(call, ['value', 'sep', 'encoding', 'decoding']);
    const parts = Array.from(text(value), (ch) => (ch.charCodeAt(0) < 128 ? ch : percentEncode(Buffer.from(ch, 'utf8'), '/')));
    return sep && sep.type === 'NullValue' ? list(parts.map((p) => str(p))) : str(parts.join(text(sep)));
  }],
  ['unicode', (call) => {
    const { value, html_unescape } = bind(call, ['value', 'html_unescape']);
    const decoded = decodeEscapes(text(value));
    return str(flag(html_unescape) ? decodeHTML(decoded) : decoded);
  }],
  ['utf8', (call) => {
    const { value } = bind(call, ['value']);
    return value && isStr(value) && !rawBytesOf(value) ? bytesValue(Buffer.from(value.value, 'utf8')) : (value ?? str(''));
  }],
  ['b64encode', (call) => {
    const { value, encoding } = bind(call, ['value', 'encoding']);
    const v = value ?? str('');
    return str((rawBytesOf(v) ?? encodeText(text(v), text(encoding, 'utf-8'))).toString('base64'));
  }],
  ['b64decode', (call) => {
    const { value, encoding } = bind(call, ['value', 'encoding']);
    return str(decodeBytes(fromBase64(value ?? str('')), text(encoding, 'utf-8')));
  }],
  ['b2a_hex', (call) => str(hexOf(bind(call, ['data']).data ?? str('')))],
  ['a2b_hex', (call) => bytesValue(fromHex(bind(call, ['hexstr']).hexstr ?? str('')))],
  ['b2a_base64', (call) => {
    const { data, newline } = bind(call, ['data', 'newline']);
    return str(toBytes(data ?? str('')).toString('base64') + (flag(newline, true) ? '\n' : ''));
  }],
  ['a2b_base64', (call) => bytesValue(fromBase64(bind(call, ['string']).string ?? str('')))],
  ['crc32', (call) => {
    const { data, value } = bind(call, ['data', 'value']);
    return int(zlib.crc32(toBytes(data ?? str('')), value ? Number(value.value) >>> 0 : 0));
  }],
];

function pairOf(item: AnyValue): readonly [AnyValue, AnyValue] {
  if (isList(item) && item.value.length === 2) return [item.value[0]!, item.value[1]!];
  throw new RenderFault('urlencode() needs text, a mapping or a list of (name, value) pairs');
}
