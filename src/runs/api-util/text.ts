// The text utilities of QD's web/handlers/util.py: unicode, urldecode, gb2312, regex, string/replace.
// Each takes the request's arguments and returns the dict QD builds, in QD's key order; a failure
// puts Python's message into "状态" after whatever keys were already set, as QD's `except` does.
import { decodeHTML } from 'entities';
import { compilePythonRegex, expandReplacement } from '../../lib/jinja-regex.js';
import { PyError, htmlEscape, percentDecode, strtobool, type PyJson, type RequestArguments } from './python.js';

export type Answer = { json: { [key: string]: PyJson } } | { text: string };

/** Runs `build` on a fresh dict; any error becomes "状态" (QD: `rtv["状态"] = str(e)`). */
export function pythonDict(build: (rtv: { [key: string]: PyJson }) => void): Answer {
  const rtv: { [key: string]: PyJson } = {};
  try {
    build(rtv);
  } catch (err) {
    rtv['状态'] = err instanceof Error ? err.message : String(err);
  }
  return { json: rtv };
}

export function unicode(args: RequestArguments): Answer {
  return pythonDict((rtv) => {
    const content = args.get('content', '');
    const unescape = strtobool(args.get('html_unescape', 'false'));
    const decoded = unicodeEscapeDecode(content);
    rtv['转换后'] = unescape ? decodeHTML(decoded) : decoded;
    rtv['状态'] = '200';
  });
}

// QD re-encodes the text before its last unicode_escape pass: a character above U+00FF has become
// a six-byte \uXXXX, U+00A0 one byte, other Latin-1 characters two, astral ones four. Error positions
// count those bytes, so they match QD's messages.
const byteWidth = (code: number) => (code < 0x80 || code === 0xa0 ? 1 : code <= 0xff ? 2 : code <= 0xffff ? 6 : 4);
const SIMPLE: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };

/**
 * Python's unicode_escape decoding as QD's /util/unicode ends up applying it: \xNN, \uXXXX,
 * \UXXXXXXXX, octal and the one-letter escapes are decoded, unknown escapes kept. Unlike QD, text
 * outside ASCII is kept as it is (QD garbles Latin-1 letters and emoji by reading UTF-8 as Latin-1).
 * `\N{name}` is kept as written: Chime has no Unicode name table.
 */
export function unicodeEscapeDecode(s: string): string {
  const chars = Array.from(s);
  const positions: number[] = [];
  let pos = 0;
  for (const ch of chars) {
    positions.push(pos);
    pos += byteWidth(ch.codePointAt(0)!);
  }
  positions.push(pos);
  const fail = (from: number, to: number, why: string): never => {
    const [start, end] = [positions[from]!, positions[to]!];
    throw new PyError(end - start === 1
      ? `'unicodeescape' codec can't decode byte 0x5c in position ${start}: ${why}`
      : `'unicodeescape' codec can't decode bytes in position ${start}-${end - 1}: ${why}`);
  };
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] !== '\\') {
      out += chars[i];
      continue;
    }
    const next = chars[i + 1];
    if (next === undefined) fail(i, i + 1, '\\ at end of string');
    if (SIMPLE[next!] !== undefined) {
      out += SIMPLE[next!];
      i += 1;
    } else if (/^[0-7]$/.test(next!)) {
      let digits = '';
      while (digits.length < 3 && /^[0-7]$/.test(chars[i + 1 + digits.length] ?? '')) digits += chars[i + 1 + digits.length];
      out += String.fromCharCode(parseInt(digits, 8));
      i += digits.length;
    } else if (next === 'x' || next === 'u' || next === 'U') {
      const width = { x: 2, u: 4, U: 8 }[next];
      let digits = '';
      while (digits.length < width && /^[0-9a-fA-F]$/.test(chars[i + 2 + digits.length] ?? '')) digits += chars[i + 2 + digits.length];
      if (digits.length < width) fail(i, i + 2 + digits.length, `truncated \\${next}${'X'.repeat(width)} escape`);
      const code = parseInt(digits, 16);
      if (code > 0x10ffff) fail(i, i + 2 + width, 'illegal Unicode character');
      out += String.fromCodePoint(code);
      i += 1 + width;
    } else if (next === 'N') {
      const close = chars.indexOf('}', i + 2);
      if (chars[i + 2] !== '{' || close < 0) fail(i, chars[i + 2] === '{' ? chars.length : i + 2, 'malformed \\N character escape');
      out += chars.slice(i, close + 1).join('');
      i = close;
    } else {
      out += '\\';
    }
  }
  return out;
}

export function urldecode(args: RequestArguments): Answer {
  return pythonDict((rtv) => {
    const content = args.get('content', '');
    const encoding = args.get('encoding', 'utf-8');
    const plus = strtobool(args.get('unquote_plus', 'false'));
    rtv['转换后'] = unquote(plus ? content.replace(/\+/g, ' ') : content, encoding);
    rtv['状态'] = '200';
  });
}

/** urllib.parse.unquote(s, encoding, errors='replace'): runs of ASCII are percent-decoded, the rest kept. */
export function unquote(s: string, encoding: string): string {
  if (!s.includes('%')) return s;
  const decode = decoderFor(encoding);
  return s.replace(/[\x00-\x7f]+/g, (run) => decode(percentDecode(Buffer.from(run, 'latin1'), false)));
}

/** Python codec names QD's templates use, as decoders that replace what they cannot read. */
function decoderFor(encoding: string): (bytes: Buffer) => string {
  const name = encoding.trim().toLowerCase().replace(/[-\s]/g, '_');
  const whatwg: Record<string, string> = {
    utf_8: 'utf-8', utf8: 'utf-8', u8: 'utf-8', utf: 'utf-8',
    gbk: 'gbk', cp936: 'gbk', ms936: 'gbk', '936': 'gbk', gb2312: 'gbk', euc_cn: 'gbk', euccn: 'gbk', gb18030: 'gb18030',
    big5: 'big5', cp950: 'big5', shift_jis: 'shift_jis', sjis: 'shift_jis', euc_jp: 'euc-jp', euc_kr: 'euc-kr',
    cp1252: 'windows-1252', windows_1252: 'windows-1252', utf_16: 'utf-16le', utf_16_le: 'utf-16le', utf_16_be: 'utf-16be',
  };
  if (['latin_1', 'latin1', 'latin', 'iso_8859_1', 'iso8859_1', 'l1'].includes(name)) return (b) => b.toString('latin1');
  if (['ascii', 'us_ascii'].includes(name)) return (b) => Array.from(b, (x) => (x < 0x80 ? String.fromCharCode(x) : '\ufffd')).join('');
  const label = whatwg[name];
  if (!label) throw new PyError(`unknown encoding: ${encoding}`);
  const decoder = new TextDecoder(label);
  return (bytes) => decoder.decode(bytes);
}

export function gb2312(args: RequestArguments): Answer {
  return pythonDict((rtv) => {
    rtv['转换后'] = quoteGb2312(args.get('content', ''));
    rtv['状态'] = '200';
  });
}

let gb2312Table: Map<string, [number, number]> | undefined;
/**
 * Python's gb2312 codec, built from the GBK decoder: GB2312 is GBK's A1–F7 × A1–FE block without
 * the private-use codes and the few symbols GBK added there; two codes map to other characters.
 */
function gb2312Bytes(ch: string): [number, number] | undefined {
  if (!gb2312Table) {
    gb2312Table = new Map();
    const decoder = new TextDecoder('gbk');
    const addedByGbk = (code: number) => (code >= 0xa2a1 && code <= 0xa2aa) || (code >= 0xa6e0 && code <= 0xa6f5) || (code >= 0xa8bb && code <= 0xa8c0);
    const differs: Record<number, string> = { 0xa1a4: '\u30fb', 0xa1aa: '\u2015' };
    for (let lead = 0xa1; lead <= 0xf7; lead++) {
      for (let trail = 0xa1; trail <= 0xfe; trail++) {
        const code = lead * 256 + trail;
        const decoded = differs[code] ?? decoder.decode(new Uint8Array([lead, trail]));
        const cp = decoded.codePointAt(0)!;
        if (decoded.length !== 1 || decoded === '\ufffd' || (cp >= 0xe000 && cp <= 0xf8ff) || addedByGbk(code)) continue;
        gb2312Table.set(decoded, [lead, trail]);
      }
    }
  }
  return gb2312Table.get(ch);
}

/** urllib.parse.quote(content, encoding="gb2312"): letters, digits, "_.-~" and "/" stay. */
export function quoteGb2312(content: string): string {
  let out = '';
  let index = 0;
  for (const ch of content) {
    const code = ch.codePointAt(0)!;
    const bytes = code < 0x80 ? [code] : gb2312Bytes(ch);
    if (!bytes) {
      const escaped = code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\U${code.toString(16).padStart(8, '0')}`;
      throw new PyError(`'gb2312' codec can't encode character '${escaped}' in position ${index}: illegal multibyte sequence`);
    }
    for (const b of bytes) out += /[A-Za-z0-9_.\-~/]/.test(String.fromCharCode(b)) && b < 0x80 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    index += 1;
  }
  return out;
}

/** Every match of `regex` in `value`, stepping over empty matches as Python's re does. */
function* matchesOf(regex: RegExp, value: string): Generator<RegExpExecArray> {
  regex.lastIndex = 0;
  for (let m = regex.exec(value); m; m = regex.exec(value)) {
    yield m;
    if (m[0] === '') regex.lastIndex += (value.codePointAt(regex.lastIndex) ?? 0) > 0xffff ? 2 : 1;
    if (regex.lastIndex > value.length) return;
  }
}

/**
 * re.findall(p, data, re.IGNORECASE) numbered from 1: the whole match when the pattern has no group,
 * the group when it has one, the list of groups when it has several (an unmatched group is "").
 */
export function regex(args: RequestArguments): Answer {
  return pythonDict((rtv) => {
    const data = args.get('data', '');
    const pattern = compilePythonRegex(args.get('p', ''), { ignorecase: true });
    const found: { [key: string]: PyJson } = {};
    let n = 0;
    for (const m of matchesOf(pattern, data)) {
      const groups = m.slice(1).map((g) => g ?? '');
      found[String(++n)] = groups.length === 0 ? m[0] : groups.length === 1 ? groups[0]! : groups;
    }
    rtv['数据'] = found;
    rtv['状态'] = 'OK';
  });
}

/** re.sub(p, t, s); with r=text the HTML-escaped result alone, as text/html. */
export function stringReplace(args: RequestArguments): Answer {
  let asText = false;
  const answer = pythonDict((rtv) => {
    const s = args.get('s', '');
    const template = args.get('t', '');
    rtv['原始字符串'] = s;
    const pattern = compilePythonRegex(args.get('p', ''));
    let out = '';
    let last = 0;
    for (const m of matchesOf(pattern, s)) {
      out += s.slice(last, m.index) + expandReplacement(template, m);
      last = m.index + m[0].length;
    }
    rtv['处理后字符串'] = out + s.slice(last);
    rtv['状态'] = 'OK';
    asText = args.get('r', '') === 'text';
  });
  return asText && 'json' in answer ? { text: htmlEscape(answer.json['处理后字符串'] as string) } : answer;
}
