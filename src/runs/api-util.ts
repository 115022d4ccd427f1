// `api://util/…` steps, answered inside Chime as QD answers them (QD-COMPAT.md "api:// entries"):
// no network, no proxy, no address guard. The answer has the shape of an HTTP response so that rules,
// extraction, `__log__` and the step record treat it like any other.
//
// As QD (Tornado): status 200 "OK"; JSON answers are `application/json; charset=UTF-8`, the delay's
// sentence and string/replace's `r=text` are `text/html; charset=UTF-8`. Parameters are the query
// string's and, when the body is a form (or names no type, as QD's own templates post), the body's;
// the last value of a name wins. A parameter that is not UTF-8 once percent-decoded gets Tornado's
// "400: Bad Request" page.
import { setTimeout as sleepFor } from 'node:timers/promises';
import { HttpError, type HttpResponse } from '../lib/http.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { pyFloat } from '../lib/jinja-values.js';
import { BadArgument, RequestArguments, pyJsonDumps, pyParseFloat } from './api-util/python.js';
import { gb2312, regex, stringReplace, unicode, urldecode, type Answer } from './api-util/text.js';
import { timestamp } from './api-util/time.js';

export type ApiRequest = { method: string; url: string; headers?: Record<string, string>; body?: string };

/** What the site sets for api://util steps (API_DELAY_MAX_SECONDS, DEFAULT_TIMEZONE). */
export type ApiUtilSettings = { delayMaxSeconds?: number; localTimeZone?: string };

export type ApiUtilOptions = {
  /** QD's delay_max_timeout: a longer delay waits this long and says it was limited. Default 30 s. */
  delayMaxSeconds?: number;
  /** The step's timeout: a delay longer than this fails the step as a timeout would. Default 30 s. */
  timeoutMs?: number;
  /** The run's abort signal: a delay stops waiting when the run is cancelled. */
  signal?: AbortSignal;
  clock?: Clock;
  /** QD's "本机时间" is the server's local time; the zone it is read in. Default: this process's zone. */
  localTimeZone?: string;
  /** How to wait; tests pass one that does not. Rejects when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
};

export const DEFAULT_DELAY_MAX_SECONDS = 30;
const DEFAULT_TIMEOUT_MS = 30_000;

/** An api:// step Chime cannot answer (an unknown utility, OCR): the step fails with this message. */
export class ApiUtilError extends Error {}

export const isApiUrl = (url: string) => /^api:\/\//i.test(url);

type Env = Required<Omit<ApiUtilOptions, 'signal'>> & { signal?: AbortSignal };
type Route = { path: RegExp; answer: (args: RequestArguments, env: Env, match: RegExpExecArray) => Answer | Promise<Answer> };

// QD's handlers (web/handlers/util.py); Tornado anchors each path at both ends.
const ROUTES: Route[] = [
  { path: /^util\/delay$/, answer: (args, env) => delay(args.get('seconds', '0'), '>=', env) },
  { path: /^util\/delay\/(\d+)$/, answer: (_, env, m) => delay(m[1]!, '>', env) },
  { path: /^util\/delay\/(\d+\.\d+)$/, answer: (_, env, m) => delay(m[1]!, '>=', env) },
  { path: /^util\/timestamp$/, answer: (args, env) => timestamp(args, { nowMs: env.clock.now(), localTimeZone: env.localTimeZone }) },
  { path: /^util\/unicode$/, answer: unicode },
  { path: /^util\/urldecode$/, answer: urldecode },
  { path: /^util\/gb2312$/, answer: gb2312 },
  { path: /^util\/regex$/, answer: regex },
  { path: /^util\/string\/replace$/, answer: stringReplace },
];

const KNOWN = 'util/delay, util/timestamp, util/unicode, util/urldecode, util/gb2312, util/regex, util/string/replace';

/** Answers an `api://…` request. Throws ApiUtilError for what Chime does not answer, HttpError when a delay times out or is cancelled. */
export async function answerApi(request: ApiRequest, options: ApiUtilOptions = {}): Promise<HttpResponse> {
  const env: Env = {
    delayMaxSeconds: options.delayMaxSeconds ?? DEFAULT_DELAY_MAX_SECONDS,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal: options.signal,
    clock: options.clock ?? systemClock,
    localTimeZone: options.localTimeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    sleep: options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal })),
  };
  const started = env.clock.now();
  // The HTTP client QD hands the rewritten URL to drops the fragment.
  const target = request.url.replace(/^api:\/\//i, '').split('#')[0]!;
  const [path = '', query = ''] = splitOnce(target, '?');
  const shown = `api://${path}`;
  if (/^util\/dddd(\/|$)/.test(path)) throw new ApiUtilError(`${shown} (OCR by ddddocr) is not supported by Chime: it needs a model file`);
  const route = ROUTES.map((r) => ({ r, m: r.path.exec(path) })).find((x) => x.m);
  if (!route) throw new ApiUtilError(`${shown} is not a utility Chime answers (it answers api://${KNOWN.replace(/, /g, ', api://')})`);

  const contentType = Object.entries(request.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  let answer: Answer;
  let status = 200;
  try {
    answer = await route.r.answer(new RequestArguments(query, request.body, contentType), env, route.m!);
  } catch (err) {
    if (!(err instanceof BadArgument)) throw err;
    status = 400;
    answer = { text: '<html><title>400: Bad Request</title><body>400: Bad Request</body></html>' };
  }
  const [type, text] = 'json' in answer ? ['application/json; charset=UTF-8', pyJsonDumps(answer.json)] : ['text/html; charset=UTF-8', answer.text];
  const body = Buffer.from(text, 'utf8');
  return {
    status,
    statusText: status === 200 ? 'OK' : 'Bad Request',
    headers: [['content-type', type], ['content-length', String(body.length)]],
    url: request.url,
    redirects: [],
    body,
    truncated: false,
    durationMs: env.clock.now() - started,
  };
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

/**
 * QD's delay: a negative wait is 0, a wait over the cap (from the cap on, for `?seconds=` and
 * `/N.M`) waits the cap. QD writes the capped sentence with a literal "{seconds}" for two of its three
 * routes (a missing f-string); Chime writes the numbers for all three.
 */
async function delay(raw: string, overCap: '>' | '>=', env: Env): Promise<Answer> {
  let seconds: number;
  try {
    seconds = pyParseFloat(raw);
  } catch {
    return { text: 'Error, delay 0.0 second.' };
  }
  const cap = env.delayMaxSeconds;
  if (seconds < 0) seconds = 0;
  else if (overCap === '>' ? seconds > cap : seconds >= cap) {
    await wait(cap, env);
    return { text: `Error, limited by ${pyFloat(cap)}, delay ${pyFloat(cap)} second.` };
  }
  await wait(Number.isNaN(seconds) ? 0 : seconds, env);
  return { text: `delay ${pyFloat(seconds)} second.` };
}

async function wait(seconds: number, env: Env): Promise<void> {
  const ms = seconds * 1000;
  const timedOut = ms > env.timeoutMs;
  try {
    if (env.signal?.aborted) throw env.signal.reason;
    await env.sleep(timedOut ? env.timeoutMs : ms, env.signal);
  } catch (err) {
    if (env.signal?.aborted) throw new HttpError('aborted', 'the api://util/delay step was cancelled', { cause: err });
    throw err;
  }
  if (timedOut) throw new HttpError('timeout', `api://util/delay did not answer within the step's timeout of ${env.timeoutMs / 1000} s (asked to wait ${pyFloat(seconds)} s)`);
}
