// A browser's "Save all as HAR" (Chrome, Firefox, Safari) → a template: one step per request, each
// checking the status the browser saw (SEMANTICS.md §1, HAR import).
import type { Message } from '../../lib/errors.js';
import { LIMITS, METHODS } from '../schema.js';
import { finishTemplate, ImportError, withoutBom, type ImportResult, type StepDraft } from './index.js';
import { hasHeader, httpUrl, replayableHeaders, stepName, templateName, warnTemplateSyntax, type HeaderPair } from './request-parts.js';

export type HarImportOptions = {
  /** Leave out images, styles, scripts, fonts and media (default true): a chore replays the API calls. */
  dropStaticAssets?: boolean;
  /** The template's name; by default the first request's host. */
  name?: string;
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

// Chrome's `_resourceType` for files a page loads to draw itself, not to do anything.
const STATIC_TYPES = new Set(['stylesheet', 'script', 'image', 'font', 'media', 'texttrack', 'manifest']);
const STATIC_MIME = /^(?:image|font|audio|video)\/|^(?:text|application)\/(?:css|(?:x-)?javascript|ecmascript)$|^application\/(?:font-|x-font-|vnd\.ms-fontobject|wasm|manifest\+json)/;
const STATIC_EXTENSION = /\.(?:css|m?js|map|png|jpe?g|gif|webp|avif|svg|ico|bmp|woff2?|ttf|otf|eot|mp4|webm|mp3|ogg|wav|m4a|wasm)$/i;

function parseHar(content: unknown): unknown[] {
  let har = content;
  if (typeof content === 'string') {
    try {
      har = JSON.parse(withoutBom(content));
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new ImportError('import.not_json', { detail }, detail);
    }
  }
  if (!isObject(har) || !isObject(har.log) || !Array.isArray(har.log.entries)) throw new ImportError('import.not_har');
  if (har.log.entries.length === 0) throw new ImportError('import.har_no_entries');
  return har.log.entries;
}

/**
 * A file the page needs to look right. Chrome says what each request was for; trust it when it does,
 * so an API call that answers with JavaScript stays. Firefox and Safari do not, so the answer's type
 * and the URL's extension decide; a POST is never a static file.
 */
function isStaticAsset(entry: Json, method: string, url: URL): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const type = text(entry._resourceType)?.toLowerCase();
  if (type && type !== 'other') return STATIC_TYPES.has(type);
  const response = isObject(entry.response) ? entry.response : {};
  const mime = (isObject(response.content) ? text(response.content.mimeType) : undefined) ?? '';
  return STATIC_MIME.test(mime.split(';', 1)[0]!.trim().toLowerCase()) || STATIC_EXTENSION.test(url.pathname);
}

/** The OPTIONS request a browser sends before a cross-origin call: a step has no need of one. */
function isPreflight(entry: Json, method: string, headers: HeaderPair[]): boolean {
  if (text(entry._resourceType) === 'preflight') return true;
  return method === 'OPTIONS' && headers.some(([n]) => n.toLowerCase() === 'access-control-request-method');
}

function headerPairs(list: unknown): HeaderPair[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((h): HeaderPair[] => {
    const name = isObject(h) ? text(h.name) : undefined;
    const value = isObject(h) ? text(h.value) : undefined;
    return name !== undefined && value !== undefined ? [[name, value]] : [];
  });
}

/**
 * The recorded body: `postData.text` as sent, or, when a tool left only `params`, the form built
 * again from them (taken as decoded values, as Firefox writes them). Files cannot be replayed.
 */
function bodyOf(request: Json, index: number, warnings: Message[]): { body?: string; mimeType?: string } {
  const postData = request.postData;
  if (!isObject(postData)) return {};
  const mimeType = text(postData.mimeType) || undefined;
  const recorded = text(postData.text);
  if (recorded) return { body: recorded, mimeType };
  if (!Array.isArray(postData.params) || postData.params.length === 0) return {};
  const form = new URLSearchParams();
  for (const p of postData.params) {
    if (!isObject(p)) continue;
    if (p.fileName !== undefined) {
      warnings.push({ key: 'import.har_file_upload', params: { index } });
      continue;
    }
    form.append(text(p.name) ?? '', text(p.value) ?? '');
  }
  const body = form.toString();
  return body ? { body, mimeType: 'application/x-www-form-urlencoded' } : {};
}

/**
 * The status to check. Status 0 is a request the browser blocked or that got no answer: nothing to
 * check. A 304 was the answer to the browser's cache revalidation, whose headers are not replayed,
 * so the server will answer 200.
 */
function expectedStatus(entry: Json): number | undefined {
  const status = isObject(entry.response) ? entry.response.status : undefined;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 999) return undefined;
  return status === 304 ? 200 : status;
}

type Tally = { static: number; notHttp: number; preflight: number };

/** Entry `index` (1-based) as a step, or undefined when it is skipped (counted, or with a warning). */
function stepFromEntry(entry: unknown, index: number, dropStatic: boolean, skipped: Tally, warnings: Message[]): StepDraft | undefined {
  const request = isObject(entry) && isObject(entry.request) ? entry.request : undefined;
  const rawUrl = request ? text(request.url) : undefined;
  if (!isObject(entry) || !request || !rawUrl || !URL.canParse(rawUrl)) throw new ImportError('import.har_entry_invalid', { index });
  const skip = (key: string, params: Record<string, string | number>) => void warnings.push({ key, params: { index, ...params } });
  // data:, blob:, extension and WebSocket URLs are never requests a step could send.
  const url = httpUrl(rawUrl);
  if (!url) return void skipped.notHttp++;
  const method = (text(request.method) ?? 'GET').toUpperCase();
  const pairs = headerPairs(request.headers);
  if (isPreflight(entry, method, pairs)) return void skipped.preflight++;
  if (dropStatic && isStaticAsset(entry, method, url)) return void skipped.static++;
  if (!(METHODS as readonly string[]).includes(method)) return skip('import.har_method_unsupported', { method: method.slice(0, 20) });
  if (rawUrl.length > LIMITS.urlLength) return skip('import.har_url_too_long', { max: LIMITS.urlLength });
  const { body, mimeType } = bodyOf(request, index, warnings);
  if (body !== undefined && Buffer.byteLength(body) > LIMITS.bodyBytes) return skip('import.har_body_too_large', { max: LIMITS.bodyBytes });

  const cookies = Array.isArray(request.cookies)
    ? request.cookies.flatMap((c) => (isObject(c) && text(c.name) ? [`${text(c.name)}=${text(c.value) ?? ''}`] : []))
    : [];
  const headers = replayableHeaders(pairs, cookies, index, warnings);
  if (body !== undefined && mimeType && !hasHeader(headers, 'content-type')) headers['Content-Type'] = mimeType;
  warnTemplateSyntax(index, [rawUrl, body, ...Object.values(headers)], warnings);

  const step: StepDraft = { name: stepName(method, url), method: method as StepDraft['method'], url: rawUrl };
  if (Object.keys(headers).length > 0) step.headers = headers;
  if (body !== undefined) step.body = body;
  const status = expectedStatus(entry);
  if (status === undefined) warnings.push({ key: 'import.har_no_status', params: { index } });
  else step.assert = [{ from: 'status', op: 'equals', value: status }];
  return step;
}

export function importHar(content: unknown, options: HarImportOptions = {}): ImportResult {
  const entries = parseHar(content);
  const warnings: Message[] = [];
  const skipped: Tally = { static: 0, notHttp: 0, preflight: 0 };
  const steps = entries.flatMap((entry, i) => stepFromEntry(entry, i + 1, options.dropStaticAssets ?? true, skipped, warnings) ?? []);

  if (skipped.static) warnings.push({ key: 'import.har_static_skipped', params: { count: skipped.static } });
  if (skipped.notHttp) warnings.push({ key: 'import.har_not_http_skipped', params: { count: skipped.notHttp } });
  if (skipped.preflight) warnings.push({ key: 'import.har_preflight_skipped', params: { count: skipped.preflight } });
  const first = steps[0];
  if (!first) throw new ImportError('import.har_nothing_left', { count: entries.length });
  if (steps.length > LIMITS.steps) throw new ImportError('import.too_many_steps', { count: steps.length, max: LIMITS.steps });
  const firstUrl = new URL(first.url);
  return {
    template: finishTemplate({ name: templateName(options.name, firstUrl), siteUrl: firstUrl.origin, public: false, variables: [], steps }),
    warnings,
  };
}
