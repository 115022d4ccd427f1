// One HTTP step: render it, send it, judge it by its rules, extract values (SEMANTICS.md §1).
import { HttpError } from '../lib/http.js';
import { TemplateError } from '../lib/jinja.js';
import type { Step } from '../templates/schema.js';
import { conditionHolds, describeCondition, readSource, shortActual } from './rules.js';
import { asText, bodyText, isTextual, RuleError, type ResponseView } from './response-view.js';
import { extractValue } from './extract.js';
import { RunLimitError, type RunContext } from './run-context.js';
import { ApiUtilError, answerApi, isApiUrl } from './api-util.js';
import type { StepRecord } from './types.js';

/** Stored bodies are cut here; rules and extraction still see the whole (capped) response. */
export const STORED_BODY_BYTES = 64 * 1024;

export class StepFailure extends Error {}

function truncate(text: string): { text: string; truncated: boolean } {
  const bytes = Buffer.byteLength(text);
  if (bytes <= STORED_BODY_BYTES) return { text, truncated: false };
  return { text: Buffer.from(text).subarray(0, STORED_BODY_BYTES).toString('utf8').replace(/\uFFFD$/, ''), truncated: true };
}

function render(ctx: RunContext, what: string, source: string): string {
  try {
    return ctx.render(source);
  } catch (err) {
    if (err instanceof TemplateError) throw new StepFailure(`template error in ${what}: ${err.message}\n${err.excerpt}`);
    throw err;
  }
}

/** Runs the step; the record says what happened, `record.error` why it failed. Never throws for the step's own failures. */
export async function runRequestStep(step: Step, index: number, ctx: RunContext): Promise<StepRecord> {
  const record: StepRecord = { index, name: step.name, method: step.method, url: step.url, durationMs: 0, requestHeaders: {}, responseHeaders: {}, extracted: {}, notes: [] };
  const started = ctx.clock.now();
  try {
    await send(step, ctx, record);
  } catch (err) {
    if (err instanceof StepFailure || err instanceof RuleError || err instanceof HttpError || err instanceof RunLimitError || err instanceof ApiUtilError) record.error = err.message;
    else throw err;
  } finally {
    record.durationMs = ctx.clock.now() - started;
  }
  return record;
}

async function send(step: Step, ctx: RunContext, record: StepRecord): Promise<void> {
  const url = render(ctx, 'URL', step.url);
  record.url = url;
  const inside = isApiUrl(url); // QD's api://util/… utilities, answered here without any network
  if (!inside && !/^https?:\/\//i.test(url)) throw new StepFailure(`the URL must start with http:// or https:// once rendered, but is ${JSON.stringify(url.slice(0, 200))}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(step.headers ?? {})) {
    headers[render(ctx, `header name ${name}`, name)] = render(ctx, `header ${name}`, value);
  }
  const body = step.body === undefined ? undefined : render(ctx, 'body', step.body);
  record.requestHeaders = { ...headers };
  const jarCookies = inside ? '' : await ctx.cookiesFor(url);
  if (jarCookies) record.requestHeaders.cookie = [jarCookies, headers.cookie ?? headers.Cookie].filter(Boolean).join('; ');
  if (body !== undefined) record.requestBody = truncate(body).text;

  ctx.countRequest();
  const timeoutMs = step.timeoutMs ?? 30_000;
  const res = inside ? await answerApi({ method: step.method, url, headers, body }, { ...ctx.apiUtil, timeoutMs, signal: ctx.signal, clock: ctx.clock }) : await ctx.http.request({
    method: step.method,
    url,
    headers,
    body,
    timeoutMs,
    followRedirects: step.followRedirects ?? false,
    insecure: step.insecure ?? false,
    proxy: ctx.proxy,
    cookieJar: ctx.cookieJar,
    signal: ctx.signal,
  });

  record.status = res.status;
  record.statusText = res.statusText;
  for (const [k, v] of res.headers) record.responseHeaders[k] = record.responseHeaders[k] === undefined ? v : `${record.responseHeaders[k]}\n${v}`;
  const contentType = res.headers.find(([k]) => k === 'content-type')?.[1] ?? '';
  const view: ResponseView = { status: res.status, headers: res.headers, contentType, body: res.body };
  if (isTextual(contentType)) {
    const stored = truncate(bodyText(view));
    record.responseBody = stored.text;
    record.responseTruncated = stored.truncated || res.truncated;
  } else {
    record.responseBody = `[${res.body.length} bytes of ${contentType || 'binary data'}]`;
  }
  if (res.truncated) record.notes.push('the response was larger than 5 MiB; only the first 5 MiB were read');
  if (res.redirects.length) record.notes.push(`followed ${res.redirects.length} redirect(s) to ${res.url}`);
  else if (res.status >= 300 && res.status < 400 && !step.followRedirects) record.notes.push('redirect not followed (the step does not ask to)');

  judge(step, view, ctx);
  extractAll(step, view, ctx, record);
}

function judge(step: Step, view: ResponseView, ctx: RunContext): void {
  const expectedOf = (value: string | number) => render(ctx, 'a rule', String(value));
  const located = (c: { path?: string; header?: string }) => ({
    path: c.path === undefined ? undefined : render(ctx, 'a rule path', c.path),
    header: c.header === undefined ? undefined : render(ctx, 'a rule header', c.header),
  });

  for (const c of step.failIf ?? []) {
    const where = { ...c, ...located(c) };
    const expected = expectedOf(c.value);
    const actual = readSource(view, where);
    if (conditionHolds(actual, c.op, expected)) throw new StepFailure(`fail-if rule matched: ${describeCondition(where, expected)} (it is ${shortActual(actual)})`);
  }

  const asserts = step.assert ?? [];
  if (asserts.length === 0) {
    if (view.status >= 400 && !step.allowErrorStatus) throw new StepFailure(`HTTP status ${view.status}`);
    return;
  }
  const failed: string[] = [];
  for (const c of asserts) {
    const where = { ...c, ...located(c) };
    const expected = expectedOf(c.value);
    const actual = readSource(view, where);
    if (conditionHolds(actual, c.op, expected)) {
      if (step.assertMode === 'any') return;
    } else {
      failed.push(`${describeCondition(where, expected)} (it is ${shortActual(actual)})`);
    }
  }
  if (step.assertMode === 'any') throw new StepFailure(`none of the ${asserts.length} assertions held: ${failed.join('; ')}`);
  if (failed.length) throw new StepFailure(`assertion failed: ${failed.join('; ')}`);
}

function extractAll(step: Step, view: ResponseView, ctx: RunContext, record: StepRecord): void {
  for (const rule of step.extract ?? []) {
    const located = {
      ...rule,
      pattern: rule.pattern === undefined ? undefined : render(ctx, `the pattern of ${rule.name}`, rule.pattern),
      path: rule.path === undefined ? undefined : render(ctx, `the path of ${rule.name}`, rule.path),
      header: rule.header === undefined ? undefined : render(ctx, `the header of ${rule.name}`, rule.header),
    };
    const value = extractValue(view, located);
    if (value === undefined) {
      record.notes.push(`extract ${rule.name}: no match, the variable keeps its value`);
      continue;
    }
    ctx.variables[rule.name] = value;
    record.extracted[rule.name] = asText(value);
    if (rule.persist) ctx.persist[rule.name] = asText(value);
  }
}
