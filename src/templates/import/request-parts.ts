// What the HAR and curl importers share: which recorded headers are worth replaying, one Cookie
// header, readable step names, and the template's name and site.
import type { Message } from '../../lib/errors.js';
import { LIMITS } from '../schema.js';

/** RFC 9110 token characters, as the schema checks them. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** The schema's limit on one header value. */
export const HEADER_VALUE_MAX = 16_384;

/** Left out of every imported step; anything else the browser sent is replayed as recorded. */
export const DROPPED_HEADERS = new Set([
  // Hop-by-hop (RFC 9110 §7.6.1): they describe the browser's connection, not the request.
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings',
  // Credentials for the browser's proxy, not for the site.
  'proxy-authorization',
  // Worked out from the URL and the body each time the step is sent.
  'host', 'content-length',
  // Transport details: 100-continue handshakes and HTTP/2+ stream priorities.
  'expect', 'priority',
  // The browser's cache revalidation: replayed, the server would answer 304 with no page at all.
  'if-none-match', 'if-modified-since',
]);

// Codings Node 20's zlib can decode. Chrome and Firefox also offer zstd, which it cannot: a server
// taking them up on it would hand back a body that no rule can read.
const DECODABLE = new Set(['gzip', 'x-gzip', 'deflate', 'br', 'identity']);

export type HeaderPair = [name: string, value: string];

export function httpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

const splitCookies = (value: string) =>
  value
    .split(';')
    .map((c) => c.trim())
    .filter(Boolean);
const cookieName = (crumb: string) => crumb.split('=', 1)[0]!.trim();

/**
 * One Cookie value from the Cookie headers' crumbs plus `extra` ones (HAR's `cookies` list, curl's
 * -b). The headers are what went over the wire, so an extra cookie is added only when no crumb of
 * that name is there already; two crumbs of one name in a header (different paths) both stay.
 */
function foldCookies(crumbs: string[], extra: string[]): string {
  const names = new Set(crumbs.map(cookieName));
  const all = [...crumbs];
  for (const crumb of extra.flatMap(splitCookies)) {
    if (names.has(cookieName(crumb))) continue;
    names.add(cookieName(crumb));
    all.push(crumb);
  }
  return all.join('; ');
}

function decodableCodings(value: string): string {
  return value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => DECODABLE.has(c.split(';', 1)[0]!.trim().toLowerCase()))
    .join(', ');
}

/**
 * The headers worth replaying, as one record: repeated names joined with ", " under the first
 * spelling, every cookie in one `Cookie` header, the ones a step cannot carry left out with a
 * warning naming request `index` (1-based).
 */
export function replayableHeaders(pairs: HeaderPair[], extraCookies: string[], index: number, warnings: Message[]): Record<string, string> {
  // A Map, not an object literal: a header named __proto__ must stay a header.
  const headers = new Map<string, { name: string; value: string }>();
  const crumbs: string[] = [];
  for (const [rawName, rawValue] of pairs) {
    const name = rawName.trim();
    const lower = name.toLowerCase();
    if (lower.startsWith(':') || DROPPED_HEADERS.has(lower)) continue; // HTTP/2 pseudo-headers included
    if (lower === 'cookie') {
      crumbs.push(...splitCookies(rawValue));
      continue;
    }
    let value = rawValue.trim();
    if (lower === 'accept-encoding' && !(value = decodableCodings(value))) continue;
    const seen = headers.get(lower);
    if (seen) seen.value = `${seen.value}, ${value}`;
    else headers.set(lower, { name, value });
  }
  const cookie = foldCookies(crumbs, extraCookies);
  if (cookie) headers.set('cookie', { name: 'Cookie', value: cookie });

  const kept: HeaderPair[] = [];
  for (const { name, value } of headers.values()) {
    if (!HEADER_NAME.test(name) || /[\r\n\0]/.test(value)) {
      warnings.push({ key: 'import.header_invalid', params: { index, name: name.slice(0, 100) } });
    } else if (value.length > HEADER_VALUE_MAX) {
      warnings.push({ key: 'import.header_too_large', params: { index, name, max: HEADER_VALUE_MAX } });
    } else if (kept.length === LIMITS.headersPerStep) {
      warnings.push({ key: 'import.too_many_headers', params: { index, max: LIMITS.headersPerStep } });
      break;
    } else {
      kept.push([name, value]);
    }
  }
  return Object.fromEntries(kept);
}

/** Case-insensitive: does the record already have this header? */
export const hasHeader = (headers: Record<string, string>, name: string) =>
  Object.keys(headers).some((n) => n.toLowerCase() === name.toLowerCase());

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** "GET /api/checkin": the method and the path, decoded so non-ASCII paths read as text. */
export function stepName(method: string, url: URL): string {
  let path = url.pathname;
  try {
    path = decodeURI(path);
  } catch {
    // A malformed escape: the path as written is still readable enough.
  }
  return clip(`${method} ${path}`, LIMITS.nameLength);
}

/** The name asked for, else the site's host without "www.". */
export function templateName(asked: string | undefined, url: URL): string {
  return clip(asked?.trim() || url.hostname.replace(/^www\./, ''), LIMITS.nameLength);
}

/**
 * URLs, headers and bodies are rendered with Jinja when the step runs, so recorded text holding
 * `{{`, `{%` or `{#` would be read as a template and most likely break the step.
 */
export function warnTemplateSyntax(index: number, texts: (string | undefined)[], warnings: Message[]): void {
  if (texts.some((t) => t !== undefined && /\{\{|\{%|\{#/.test(t))) warnings.push({ key: 'import.template_syntax', params: { index } });
}
