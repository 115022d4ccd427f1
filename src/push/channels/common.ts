// What the HTTP channels share: where to send (apiBase), one JSON request with the channel timeout,
// how an HTTP answer is judged (transient or permanent), Retry-After, cutting text to a limit.
import { z } from 'zod';
import { HttpError, type HttpResponse } from '../../lib/http.js';
import { DeliveryError, type SendContext } from '../channel.js';

/** CHANNELS.md: 15 s for connect and read. */
export const CHANNEL_TIMEOUT_MS = 15_000;

/** Optional fields every channel (proxy) or every fixed-host channel (apiBase) has. */
export const proxyField = z
  .url({ protocol: /^https?$/, error: 'errors.proxy_url' })
  .optional()
  .describe('push.field.proxy');
export const apiBaseField = z
  .url({ protocol: /^https?$/, error: 'errors.http_url' })
  .optional()
  .describe('push.field.api_base');

/**
 * Replaces scheme://host of `url` with `apiBase`, keeping a path in apiBase as a prefix (a reverse
 * proxy in front of api.telegram.org, or a local fake in tests).
 */
export function withApiBase(url: string, apiBase: string | undefined): string {
  if (!apiBase) return url;
  const target = new URL(url);
  return apiBase.replace(/\/+$/, '') + target.pathname + target.search;
}

/** Seconds or an HTTP date in Retry-After, as milliseconds. */
export function retryAfterMs(value: string | undefined | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export const header = (res: HttpResponse, name: string) => res.headers.find(([k]) => k === name.toLowerCase())?.[1];

/** The answer's text, shortened for the history and the Test button. */
export function shortBody(res: HttpResponse, max = 300): string {
  const text = res.body.toString('utf8').trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** SEMANTICS §6: network errors, timeouts, 5xx, 408 and 429 are worth retrying; other 4xx are not. */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** Throws the DeliveryError an unsuccessful HTTP status deserves (transient or permanent). */
export function failForStatus(res: HttpResponse, ctx: SendContext, explanation?: string): never {
  const detail = shortBody(res);
  throw new DeliveryError(explanation ?? `HTTP ${res.status}${detail ? `: ${detail}` : ''}`, {
    permanent: !isTransientStatus(res.status),
    retryAfterMs: retryAfterMs(header(res, 'retry-after'), ctx.clock.now()),
    detail,
  });
}

/** Sends one request; network trouble becomes a transient DeliveryError (a refused address a permanent one). */
export async function send(
  ctx: SendContext,
  req: { method?: string; url: string; json?: unknown; body?: string; headers?: Record<string, string>; proxy?: string },
): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...req.headers };
  let body = req.body;
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  try {
    return await ctx.http.request({ method: req.method ?? 'POST', url: req.url, headers, body, timeoutMs: CHANNEL_TIMEOUT_MS, proxy: req.proxy, maxBytes: 1024 * 1024 });
  } catch (err) {
    if (err instanceof HttpError) {
      const permanent = err.kind === 'refused_address' || err.kind === 'invalid_url' || err.kind === 'tls';
      throw new DeliveryError(err.message, { permanent, cause: err });
    }
    throw err;
  }
}

/** The answer as JSON, or undefined when it is not JSON. */
export function json(res: HttpResponse): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(res.body.toString('utf8')) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Cuts text to `max` characters (code points), ending with "…" when cut. */
export function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…';
}

/** Cuts to `max` UTF-16 code units (what Telegram and Discord count: an emoji is two), never inside a character. */
export function cutUnits(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length + 1 > max) break;
    out += ch;
  }
  return `${out}…`;
}

/** Cuts text to `max` UTF-8 bytes (WeCom counts bytes), ending with "…" when cut. */
export function cutBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = '';
  for (const ch of text) {
    if (Buffer.byteLength(out + ch + '…') > max) break;
    out += ch;
  }
  return out + '…';
}

/** "Title\n\nbody": the text of channels without a title of their own. */
export const joined = (m: { title: string; body: string }) => (m.title ? `${m.title}\n\n${m.body}` : m.body);

/** A token field that also accepts the provider's whole webhook URL: takes the query parameter or path part. */
export function tokenFrom(value: string, pick: { query?: string; pathAfter?: RegExp }): string {
  const trimmed = value.trim();
  if (!/^https?:\/\//i.test(trimmed)) return trimmed;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return trimmed; // not a URL after all: the provider will say the token is wrong
  }
  if (pick.query && url.searchParams.get(pick.query)) return url.searchParams.get(pick.query)!;
  const m = pick.pathAfter?.exec(url.pathname);
  return m?.[1] ?? trimmed;
}

/**
 * Throws the DeliveryError for an answer the provider explained in its body (HTTP 200 with an error
 * code, or an error status with a message): `message` is for the user, the body goes to `detail`,
 * and Retry-After is honoured unless the body gave its own wait (`retryAfterMs`).
 */
export function failAnswer(res: HttpResponse, ctx: SendContext, message: string, options: { permanent: boolean; retryAfterMs?: number }): never {
  throw new DeliveryError(message, {
    permanent: options.permanent,
    retryAfterMs: options.retryAfterMs ?? retryAfterMs(header(res, 'retry-after'), ctx.clock.now()),
    detail: shortBody(res),
  });
}
