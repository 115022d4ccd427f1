// All outbound HTTP of task runs goes through here: timeouts, a read cap, redirects, cookies, proxies
// and the address guard (ssrf.ts) live in one place, on undici. Redirects are followed by hand, not
// by undici, so that every hop is guarded, stores its cookies and is counted.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
import { CookieJar } from 'tough-cookie';
import { assertPublicHost, blockedReason, guardedConnector, guardedLookup, refusalMessage, type Refuse } from './ssrf.js';

export { CookieJar };

/**
 * The cookies `jar` holds for `url`, as a Cookie header ('' for none). Most runs never receive a
 * cookie, and an empty jar answers at once instead of matching domains and paths.
 */
export async function cookiesFor(jar: CookieJar, url: string): Promise<string> {
  if ((await jar.store.getAllCookies()).length === 0) return '';
  return jar.getCookieString(url).catch(() => '');
}

export type HttpRequest = {
  method: string;
  url: string;
  /** A Cookie header here is sent after the jar's cookies. */
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The whole request, redirects and body read included. Default 30 s. */
  timeoutMs?: number;
  followRedirects?: boolean;
  maxRedirects?: number;
  /** Skip TLS certificate verification of the target. */
  insecure?: boolean;
  /** http(s)://[user:pass@]host:port; overrides the client's proxy settings. */
  proxy?: string;
  cookieJar?: CookieJar;
  /** Read cap on the decoded body, default 5 MiB; a longer body is cut there (truncated = true). */
  maxBytes?: number;
  signal?: AbortSignal;
};

export type HttpResponse = {
  status: number;
  statusText: string;
  /** As received: lower-case names, repeated headers (set-cookie) as separate pairs. */
  headers: [string, string][];
  /** The final URL, after redirects. */
  url: string;
  /** The URLs redirected to, in order. */
  redirects: string[];
  body: Buffer;
  truncated: boolean;
  durationMs: number;
};

export type HttpErrorKind =
  | 'invalid_url' | 'refused_address' | 'timeout' | 'tls' | 'dns' | 'connection' | 'too_many_redirects' | 'proxy' | 'aborted';

/** Every failure of `request`; the message names the host and the cause in words a user can act on. */
export class HttpError extends Error {
  constructor(readonly kind: HttpErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpError';
  }
}

export type HttpClientOptions = {
  allowPrivateNetwork: boolean;
  /** `https` is used for https targets (falling back to `http`), `http` for http targets. */
  proxy?: { http?: string; https?: string; noProxy?: string };
  userAgent?: string;
};

export type HttpClient = { request(req: HttpRequest): Promise<HttpResponse>; close(): Promise<void> };

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;
export const DEFAULT_USER_AGENT = 'Chime/0.1 (+self-hosted)';

// undici manages connection and framing itself and throws on these; recorded requests (HAR, curl)
// often carry them, so they are dropped instead of failing the step. Proxy credentials belong in
// the proxy URL, never in the headers sent to the target.
const DROPPED_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect', 'content-length']);
// Credentials meant for the first origin are not handed to another one a redirect points at.
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'host'];
const BODY_HEADERS = ['content-type', 'content-encoding', 'content-language', 'content-location'];
// Bodies are decoded here, so only codings Node can decode are offered (browsers' HARs ask for zstd).
const DECODABLE = new Set(['gzip', 'x-gzip', 'deflate', 'br']);
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const allowPrivate = options.allowPrivateNetwork;
  // Targets behind a proxy are resolved and judged up front only when private networks are off:
  // with them on, a name the proxy alone can resolve must keep working.
  const guard = !allowPrivate;
  const refuse: Refuse = (host, address, reason) => new HttpError('refused_address', refusalMessage(host, address, reason));
  const refuseProxy: Refuse = (host, address, reason) => new HttpError('refused_address', refusalMessage(host, address, reason, 'the proxy '));
  // One dispatcher per (insecure, proxy): each keeps its own connection pools, reused across runs.
  const dispatchers = new Map<string, Dispatcher>();

  function dispatcherFor(insecure: boolean, proxy: URL | undefined): Dispatcher {
    const key = `${insecure ? 'insecure' : 'verified'} ${proxy?.href ?? 'direct'}`;
    let dispatcher = dispatchers.get(key);
    if (!dispatcher) {
      dispatcher = proxy
        ? new ProxyAgent({
            uri: proxy.href,
            proxyTunnel: false, // http targets as absolute-form requests, like curl; https through CONNECT
            requestTls: { rejectUnauthorized: !insecure },
            proxyTls: { lookup: guardedLookup(refuseProxy, allowPrivate) },
          })
        : // Always guarded: with ALLOW_PRIVATE_NETWORK, cloud metadata addresses are still refused.
          new Agent({ connect: guardedConnector({ rejectUnauthorized: !insecure }, refuse, allowPrivate) });
      dispatchers.set(key, dispatcher);
    }
    return dispatcher;
  }

  function proxyFor(target: URL, requested: string | undefined): URL | undefined {
    const settings = options.proxy;
    const raw = requested || (bypassesProxy(target, settings?.noProxy) ? undefined : target.protocol === 'https:' ? settings?.https || settings?.http : settings?.http);
    if (!raw) return undefined;
    const proxy = URL.canParse(raw) ? new URL(raw) : undefined;
    if (!proxy || (proxy.protocol !== 'http:' && proxy.protocol !== 'https:')) {
      throw new HttpError('proxy', 'the proxy address is not valid; it must look like http://host:port or http://user:password@host:port');
    }
    return proxy;
  }

  async function request(req: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const controller = new AbortController();
    let timedOut = false;
    const timeout = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    // The caller's signal (the run's deadline, shutdown) cancels the request too: through a listener,
    // because AbortSignal.any costs ~20 µs of CPU per request in Node 20.
    const cancel = () => controller.abort(req.signal?.reason);
    if (req.signal?.aborted) cancel();
    else req.signal?.addEventListener('abort', cancel, { once: true });
    const signal = controller.signal;
    // What the error message needs to know when something fails.
    const at = { host: '', proxy: undefined as URL | undefined, readingBody: false };
    try {
      let url = targetUrl(req.url);
      let method = req.method.toUpperCase();
      let body = req.body;
      const headers = requestHeaders(req.headers ?? {}, userAgent);
      const redirects: string[] = [];
      const maxRedirects = req.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
      for (;;) {
        at.host = url.host;
        at.proxy = proxyFor(url, req.proxy);
        if (url.username || url.password) {
          headers.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
          url.username = url.password = '';
        }
        if (guard && at.proxy) await checkBeforeProxy(url, at.proxy, signal);
        const jarCookies = req.cookieJar ? await cookiesFor(req.cookieJar, url.href) : '';
        const cookie = [jarCookies, headers.cookie].filter(Boolean).join('; ');
        const res = await dispatcherFor(req.insecure ?? false, at.proxy).request({
          origin: url.origin,
          path: url.pathname + url.search,
          method,
          headers: cookie ? { ...headers, cookie } : headers,
          body,
          signal,
          responseHeaders: 'raw',
        });
        const received = pairs(res.headers as unknown as string[]);
        for (const [name, value] of received) {
          if (name === 'set-cookie') await req.cookieJar?.setCookie(value, url.href, { ignoreError: true });
        }
        const location = received.find(([name]) => name === 'location')?.[1];
        if (req.followRedirects && [301, 302, 303, 307, 308].includes(res.statusCode) && location !== undefined) {
          await res.body.dump();
          // Location is sent as UTF-8 bytes in practice; undici hands them over as latin1.
          const next = redirectTarget(url, Buffer.from(location, 'latin1').toString('utf8'));
          if (redirects.length >= maxRedirects) {
            throw new HttpError('too_many_redirects', `${targetUrl(req.url).host} redirected more than ${maxRedirects} times (the last one to ${next.href}); the step follows at most ${maxRedirects}`);
          }
          const toGet = res.statusCode === 303 ? method !== 'HEAD' : res.statusCode <= 302 && method !== 'GET' && method !== 'HEAD';
          if (toGet) {
            method = 'GET';
            body = undefined;
            for (const name of BODY_HEADERS) delete headers[name];
          }
          if (next.origin !== url.origin) for (const name of ORIGIN_BOUND_HEADERS) delete headers[name];
          redirects.push(next.href);
          url = next;
          continue;
        }
        at.readingBody = true;
        const read = await readBody(res.body, received, req.maxBytes ?? DEFAULT_MAX_BYTES, url.host);
        return {
          status: res.statusCode,
          statusText: res.statusText ?? '',
          headers: received,
          url: url.href,
          redirects,
          ...read,
          durationMs: Math.round(performance.now() - started),
        };
      }
    } catch (err) {
      if (timedOut) {
        const what = at.readingBody ? `the response from ${at.host} did not finish` : `no response from ${at.host}`;
        throw new HttpError('timeout', `${what} within ${seconds(timeoutMs)}`, { cause: err });
      }
      if (req.signal?.aborted) throw new HttpError('aborted', `the request to ${at.host || req.url} was cancelled`, { cause: err });
      throw explainNetworkError(err, at.host, at.proxy?.host);
    } finally {
      clearTimeout(timeout);
      req.signal?.removeEventListener('abort', cancel);
    }
  }

  /** The proxy, not us, connects to the target, so both are judged before anything is sent. */
  async function checkBeforeProxy(target: URL, proxy: URL, signal: AbortSignal): Promise<void> {
    try {
      await abortable(assertPublicHost(target.hostname, refuse), signal);
    } catch (err) {
      if (err instanceof HttpError || signal.aborted) throw err;
      throw explainNetworkError(err, target.host, undefined);
    }
    const proxyReason = blockedReason(proxy.hostname); // a named proxy is judged by guardedLookup on connect
    if (proxyReason) throw refuseProxy(proxy.hostname, proxy.hostname, proxyReason);
  }

  return {
    request,
    async close() {
      const open = [...dispatchers.values()];
      dispatchers.clear();
      await Promise.all(open.map((d) => d.close()));
    },
  };
}

function targetUrl(text: string): URL {
  if (!URL.canParse(text)) throw new HttpError('invalid_url', `${JSON.stringify(text.slice(0, 200))} is not a valid URL`);
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HttpError('invalid_url', `only http:// and https:// URLs can be requested, not ${url.protocol}//`);
  }
  url.hash = '';
  return url;
}

function redirectTarget(from: URL, location: string): URL {
  if (!URL.canParse(location, from.href)) throw new HttpError('invalid_url', `${from.host} redirected to ${JSON.stringify(location.slice(0, 200))}, which is not a valid URL`);
  const next = new URL(location, from);
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new HttpError('invalid_url', `${from.host} redirected to a ${next.protocol}// URL; only http:// and https:// can be followed`);
  }
  next.hash = '';
  return next;
}

/** Lower-cased names (HTTP names are case-insensitive; templates repeat them in any case). */
function requestHeaders(given: Record<string, string>, userAgent: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    const key = name.trim().toLowerCase();
    if (DROPPED_HEADERS.has(key)) continue;
    const previous = headers[key];
    headers[key] = previous === undefined ? value : `${previous}${key === 'cookie' ? '; ' : ', '}${value}`;
  }
  headers['user-agent'] ??= userAgent;
  const accepted = (headers['accept-encoding'] ?? 'gzip, deflate, br')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => DECODABLE.has(part.split(';')[0]!.trim().toLowerCase()) || /^identity\b/i.test(part));
  if (accepted.length) headers['accept-encoding'] = accepted.join(', ');
  else delete headers['accept-encoding'];
  return headers;
}

function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

/** NO_PROXY as curl reads it: `*`, or host names (matching subdomains too), optionally with :port. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return (noProxy ?? '').split(/[\s,]+/).some((entry) => {
    if (entry === '*') return true;
    // host:port or [v6]:port; a bare IPv6 address has colons but no port
    const withPort = /^(\[.+\]|[^:]+):(\d+)$/.exec(entry.toLowerCase());
    if (withPort && withPort[2] !== port) return false;
    const name = (withPort?.[1] ?? entry.toLowerCase()).replace(/^\[|\]$/g, '').replace(/^\*?\./, '');
    return name !== '' && (host === name || host.endsWith(`.${name}`));
  });
}

/**
 * Reads the body up to `maxBytes` of decoded bytes and stops there: a small compressed body that
 * inflates to gigabytes (a zip bomb) costs no more than the cap, because zlib streams pause when
 * their output is not read.
 */
async function readBody(body: Readable, headers: [string, string][], maxBytes: number, host: string): Promise<{ body: Buffer; truncated: boolean }> {
  const codings = headers
    .filter(([name]) => name === 'content-encoding')
    .flatMap(([, value]) => value.split(','))
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity')
    .reverse(); // the last coding applied is the first to undo
  // An unknown coding (zstd, compress) cannot be undone; the body is then kept as sent.
  const decodable = codings.every((c) => DECODABLE.has(c));
  let source = body;
  let decodeError: Error | undefined;
  if (decodable && codings.length) {
    // "deflate" should be zlib-wrapped, but some servers send raw deflate; the first byte tells.
    const rawDeflate = codings[0] === 'deflate' && ((await peekByte(body)) ?? 0x78) % 16 !== 8;
    const decoders = codings.map((c, i) => {
      const decoder =
        c === 'br'
          ? zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
          : c === 'deflate'
            ? (i === 0 && rawDeflate ? zlib.createInflateRaw : zlib.createInflate)({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
            : zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH }); // tolerate a cut-off stream, as browsers do
      // Errors of the body itself also reach every decoder; only zlib's own codes mean bad data.
      decoder.on('error', (err: Error & { code?: string }) => (decodeError ??= /^(Z_|ERR__|ERR_BROTLI)/.test(err.code ?? '') ? err : undefined));
      return decoder;
    });
    source = pipeline([body, ...decoders], () => {}) as unknown as Readable; // errors surface in the loop below
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (size + chunk.length > maxBytes) {
        chunks.push(chunk.subarray(0, maxBytes - size));
        return { body: Buffer.concat(chunks, maxBytes), truncated: true }; // leaving the loop destroys the streams
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (err) {
    if (decodeError) throw new HttpError('connection', `the response from ${host} could not be decoded (${codings.join(', ')}): ${decodeError.message}`, { cause: err });
    throw err;
  }
  return { body: Buffer.concat(chunks, size), truncated: false };
}

function peekByte(stream: Readable): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const done = (value: number | undefined, err?: unknown) => {
      stream.off('readable', tryRead).off('end', onEnd).off('error', onError);
      if (err) reject(err);
      else resolve(value);
    };
    const tryRead = () => {
      const chunk = stream.read(1) as Buffer | null;
      if (chunk) {
        stream.unshift(chunk);
        done(chunk[0]);
      }
    };
    const onEnd = () => done(undefined);
    const onError = (err: unknown) => done(undefined, err);
    stream.on('readable', tryRead).once('end', onEnd).once('error', onError);
    tryRead();
  });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

// Node and undici put the useful code on the error itself, on its cause, or on the errors of an
// AggregateError (one per address tried).
function rootCause(err: unknown): { code?: string; message: string; hostname?: string; found?: HttpError } {
  const queue: unknown[] = [err];
  for (let e = queue.shift(); e !== undefined; e = queue.shift()) {
    if (e instanceof HttpError) return { message: e.message, found: e };
    if (!(e instanceof Error)) continue;
    const { code, hostname } = e as { code?: unknown; hostname?: unknown };
    if (typeof code === 'string') return { code, message: e.message, hostname: typeof hostname === 'string' ? hostname : undefined };
    if (e.cause !== undefined) queue.push(e.cause);
    if (e instanceof AggregateError) queue.push(...e.errors);
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

// Failures to reach a peer. With a proxy, every connection we make goes to the proxy, so these are
// the proxy's; the target's own address was checked (and looked up) before.
const UNREACHABLE: Record<string, [HttpErrorKind, (peer: string, name: string) => string]> = {
  ENOTFOUND: ['dns', (_, name) => `${name}: host not found`],
  EAI_AGAIN: ['dns', (_, name) => `${name}: the DNS lookup failed for now (EAI_AGAIN); it may work later`],
  ECONNREFUSED: ['connection', (peer) => `${peer} refused the connection (ECONNREFUSED): nothing is listening on that port`],
  EHOSTUNREACH: ['connection', (peer) => `${peer} cannot be reached from this server (EHOSTUNREACH)`],
  ENETUNREACH: ['connection', (peer) => `${peer} cannot be reached from this server (ENETUNREACH)`],
  ETIMEDOUT: ['timeout', (peer) => `could not connect to ${peer} in time (ETIMEDOUT)`],
  UND_ERR_CONNECT_TIMEOUT: ['timeout', (peer) => `could not connect to ${peer} in time (UND_ERR_CONNECT_TIMEOUT)`],
};
// Failures once connected to the target.
const BROKEN: Record<string, [HttpErrorKind, (host: string, message: string) => string]> = {
  ECONNRESET: ['connection', (host) => `the connection to ${host} was reset (ECONNRESET)`],
  EPIPE: ['connection', (host, m) => `${host} closed the connection before the response was complete (${m})`],
  UND_ERR_SOCKET: ['connection', (host, m) => `${host} closed the connection before the response was complete (${m})`],
  UND_ERR_CLOSED: ['connection', (host, m) => `${host} closed the connection before the response was complete (${m})`],
  UND_ERR_HEADERS_TIMEOUT: ['timeout', (host) => `${host} stopped answering (UND_ERR_HEADERS_TIMEOUT)`],
  UND_ERR_BODY_TIMEOUT: ['timeout', (host) => `${host} stopped answering (UND_ERR_BODY_TIMEOUT)`],
  UND_ERR_HEADERS_OVERFLOW: ['connection', (host) => `${host} sent response headers that are too large`],
  // Headers or a method undici cannot send: the request as written is invalid, like a bad URL.
  UND_ERR_INVALID_ARG: ['invalid_url', (host, m) => `the request to ${host} cannot be sent: ${m}`],
  UND_ERR_NOT_SUPPORTED: ['invalid_url', (host, m) => `the request to ${host} cannot be sent: ${m}`],
};

/** Turns what Node and undici throw into an HttpError whose message a non-developer can act on. */
export function explainNetworkError(err: unknown, host: string, proxyHost: string | undefined): HttpError {
  const { code = '', message, hostname, found } = rootCause(err);
  if (found) return found;
  const make = (kind: HttpErrorKind, text: string) => new HttpError(kind, text, { cause: err });
  const tunnel = /^Proxy response \((\d+)\)/.exec(message)?.[1] ?? (/Proxy Authentication Required/.test(message) ? '407' : undefined);
  if (tunnel) {
    const hint = tunnel === '407' ? ' (wrong or missing proxy user name and password)' : '';
    return make('proxy', `the proxy ${proxyHost} answered HTTP ${tunnel} instead of connecting to ${host}${hint}`);
  }
  const unreachable = UNREACHABLE[code];
  if (unreachable) {
    const peer = proxyHost ?? host;
    const because = unreachable[1](peer, hostname ?? peer.replace(/:\d+$/, ''));
    return proxyHost ? make('proxy', `could not use the proxy ${proxyHost}: ${because}`) : make(unreachable[0], because);
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY|DECRYPT)|HOSTNAME_MISMATCH|ALTNAME/.test(code)) {
    return make('tls', `TLS certificate of ${host} could not be verified: ${message} (${code}); mark the step “insecure” to skip verification`);
  }
  if (/^ERR_SSL_|^ERR_TLS_|^EPROTO$/.test(code)) return make('tls', `the TLS handshake with ${host} failed: ${message} (${code})`);
  const broken = BROKEN[code];
  if (broken) return make(broken[0], broken[1](host, message));
  if (code.startsWith('HPE_')) return make('connection', `${host} sent a response that is not valid HTTP: ${message}`);
  return make('connection', `the request to ${host} failed: ${message}${code ? ` (${code})` : ''}`);
}
