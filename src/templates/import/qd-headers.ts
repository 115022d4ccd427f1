// A QD entry's headers and cookies → the step's headers, as QD sends them: in the file's order, one
// value per name (the last, as QD's dict does), the `cookies` list folded into the Cookie header.
import type { Message } from '../../lib/errors.js';
import { hasJinja, LIMITS } from '../schema.js';
import { HEADER_VALUE_MAX } from './request-parts.js';

export type QdPair = [name: string, value: string];

/** RFC 9110 token characters, as the schema checks them; a name with Jinja is checked once rendered. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const crumbName = (crumb: string) => crumb.split('=', 1)[0]!.trim();

/**
 * QD puts the Cookie header's crumbs in the run's cookie session, then the `cookies` list over them
 * (a listed cookie replaces a crumb of its name), and sends the result. A header built by Jinja
 * cannot be split before it is rendered, so the listed cookies simply follow it.
 */
function mergeCookies(header: string | undefined, cookies: QdPair[]): string {
  const listed = cookies.filter(([name]) => name.trim() !== '').map(([name, value]) => `${name.trim()}=${value}`);
  const value = header?.trim().replace(/;\s*$/, '') ?? '';
  if (!value) return listed.join('; ');
  if (hasJinja(value) || listed.length === 0) return [value, ...listed].join('; ');
  const names = new Set(cookies.map(([name]) => name.trim()));
  const crumbs = value.split(';').map((c) => c.trim()).filter((c) => c && !names.has(crumbName(c)));
  return [...crumbs, ...listed].join('; ');
}

export function qdHeaders(headers: QdPair[], cookies: QdPair[], index: number, warnings: Message[]): Record<string, string> {
  // A Map, not an object literal: a header named __proto__ must stay a header.
  const byName = new Map<string, QdPair>();
  for (const [rawName, value] of headers) {
    const name = rawName.trim();
    const lower = name.toLowerCase();
    if (name.startsWith(':')) {
      warnings.push({ key: 'import.qd_pseudo_header', params: { index, name: name.slice(0, 100) } });
      continue;
    }
    const seen = byName.get(lower);
    if (seen) {
      warnings.push({ key: 'import.qd_header_repeated', params: { index, name: seen[0] } });
      seen[1] = value;
    } else {
      byName.set(lower, [name, value]);
    }
  }
  const cookie = mergeCookies(byName.get('cookie')?.[1], cookies);
  if (cookie) {
    const seen = byName.get('cookie');
    if (seen) seen[1] = cookie;
    else byName.set('cookie', ['Cookie', cookie]);
  } else {
    byName.delete('cookie');
  }

  const kept: QdPair[] = [];
  for (const [name, value] of byName.values()) {
    if (!name || (!HEADER_NAME.test(name) && !hasJinja(name)) || /[\r\n\0]/.test(value)) {
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
