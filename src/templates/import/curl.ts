// A curl command line (devtools' "Copy as cURL", bash or cmd) → a template with one step
// (SEMANTICS.md §1, curl import). Only what changes the request is kept; the rest is named in a warning.
import type { Message } from '../../lib/errors.js';
import { LIMITS, METHODS } from '../schema.js';
import { CURL_START, finishTemplate, ImportError, withoutBom, type ImportResult, type StepDraft } from './index.js';
import { httpUrl, replayableHeaders, stepName, templateName, warnTemplateSyntax, type HeaderPair } from './request-parts.js';
import { looksLikeCmd, splitBash, splitCmd, type Word } from './shell-words.js';

export type CurlImportOptions = { name?: string };

/** What the options said, before it becomes a step. */
type Command = {
  urls: string[];
  method?: string;
  head: boolean;
  get: boolean;
  globoff: boolean;
  compressed: boolean;
  location: boolean;
  insecure: boolean;
  json: boolean;
  headers: HeaderPair[];
  /** `-H 'Name:'`: curl then sends no header of that name, not even its own. */
  removed: Set<string>;
  data: string[];
  cookies: string[];
  authorization?: string;
  userAgent?: string;
  referer?: string;
  timeoutMs?: number;
  ignored: string[];
  warnings: Message[];
};

type Option = { value: true; apply: (c: Command, value: string, flag: string) => void } | { value: false; apply: (c: Command) => void };
const withValue = (apply: (c: Command, value: string, flag: string) => void): Option => ({ value: true, apply });
const switchOn = (apply: (c: Command) => void): Option => ({ value: false, apply });

/** -d @file and its kin read a file: an imported step has no file to read. */
function literalData(value: string, flag: string): string {
  if (value.startsWith('@')) throw new ImportError('import.curl_file_data', { option: flag });
  return value;
}

/** curl_easy_escape: every byte but A–Z a–z 0–9 - . _ ~ as %XX. */
const curlEscape = (text: string) =>
  [...Buffer.from(text)].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** --data-urlencode as curl splits it: `name=value`, `=value`, `value`; `name@file` and `@file` read files. */
function urlencodedData(value: string, flag: string): string {
  let at = value.indexOf('=');
  if (at < 0) at = value.indexOf('@');
  if (at >= 0 && value[at] === '@') throw new ImportError('import.curl_file_data', { option: flag });
  const name = at < 0 ? '' : value.slice(0, at);
  const encoded = curlEscape(at < 0 ? value : value.slice(at + 1));
  return name ? `${name}=${encoded}` : encoded;
}

function addHeader(c: Command, line: string, flag: string): void {
  if (line.startsWith('@')) return void c.warnings.push({ key: 'import.curl_file_ignored', params: { option: flag, file: line.slice(1) } });
  const colon = line.indexOf(':');
  if (colon < 0) {
    // "Name;" is curl's way to send a header with an empty value.
    if (line.trimEnd().endsWith(';')) c.headers.push([line.trimEnd().slice(0, -1).trim(), '']);
    else c.warnings.push({ key: 'import.header_invalid', params: { index: 1, name: line.slice(0, 100) } });
    return;
  }
  const name = line.slice(0, colon).trim();
  const value = line.slice(colon + 1).trim();
  if (value) c.headers.push([name, value]);
  else c.removed.add(name.toLowerCase());
}

function setTimeoutMs(c: Command, value: string, flag: string): void {
  const seconds = Number(value);
  if (!value.trim() || !Number.isFinite(seconds) || seconds <= 0) return void c.ignored.push(flag);
  const ms = Math.round(seconds * 1000);
  c.timeoutMs = Math.min(Math.max(ms, 1000), LIMITS.timeoutMsMax);
  if (c.timeoutMs !== ms) c.warnings.push({ key: 'import.curl_timeout_clamped', params: { seconds: value, used: c.timeoutMs / 1000 } });
}

const OPTIONS: Record<string, Option> = {
  '--request': withValue((c, v) => void (c.method = v)),
  '--header': withValue(addHeader),
  '--data': withValue((c, v, f) => void c.data.push(literalData(v, f))),
  '--data-ascii': withValue((c, v, f) => void c.data.push(literalData(v, f))),
  '--data-binary': withValue((c, v, f) => void c.data.push(literalData(v, f))),
  '--data-raw': withValue((c, v) => void c.data.push(v)),
  '--data-urlencode': withValue((c, v, f) => void c.data.push(urlencodedData(v, f))),
  '--json': withValue((c, v, f) => {
    c.data.push(literalData(v, f));
    c.json = true;
  }),
  '--cookie': withValue((c, v, f) => {
    // Without a "=" curl takes the value for a cookie file to read.
    if (v.includes('=')) c.cookies.push(v);
    else c.warnings.push({ key: 'import.curl_file_ignored', params: { option: f, file: v } });
  }),
  // Without ":password" curl would ask for one; the step sends an empty one.
  '--user': withValue((c, v) => void (c.authorization = `Basic ${Buffer.from(v.includes(':') ? v : `${v}:`).toString('base64')}`)),
  '--oauth2-bearer': withValue((c, v) => void (c.authorization = `Bearer ${v}`)),
  '--user-agent': withValue((c, v) => void (c.userAgent = v)),
  // ";auto" asks curl to update the referer on redirects: its own bookkeeping, not part of the value.
  '--referer': withValue((c, v) => void (c.referer = v.replace(/;auto$/, ''))),
  '--url': withValue((c, v) => void c.urls.push(v)),
  '--max-time': withValue(setTimeoutMs),
  '--compressed': switchOn((c) => void (c.compressed = true)),
  '--location': switchOn((c) => void (c.location = true)),
  '--location-trusted': switchOn((c) => void (c.location = true)),
  '--insecure': switchOn((c) => void (c.insecure = true)),
  '--get': switchOn((c) => void (c.get = true)),
  '--head': switchOn((c) => void (c.head = true)),
  '--globoff': switchOn((c) => void (c.globoff = true)),
};
const SHORT: Record<string, string> = {
  X: '--request', H: '--header', d: '--data', b: '--cookie', u: '--user', A: '--user-agent', e: '--referer',
  m: '--max-time', L: '--location', k: '--insecure', G: '--get', I: '--head', g: '--globoff',
};
// How curl prints and reports, never what it sends: left out without a word.
const SILENT = new Set('-s --silent -S --show-error -v --verbose -i --include -N --no-buffer -# --progress-bar --no-progress-meter -f --fail --fail-with-body -0 --http1.0 --http1.1 --http2 --http2-prior-knowledge --http3 --http3-only'.split(' '));
// curl's other options that take a value, so the value is skipped with them rather than read as a URL.
const SHORT_WITH_VALUE = new Set('cCDEFKoPQrtTUwxyYz');
const LONG_WITH_VALUE = new Set(
  `abstract-unix-socket alt-svc aws-sigv4 cacert capath cert cert-type ciphers config connect-timeout connect-to continue-at
  cookie-jar create-file-mode crlfile curves delegation dns-interface dns-ipv4-addr dns-ipv6-addr dns-servers doh-url dump-header
  ech egd-file engine etag-compare etag-save expect100-timeout form form-string ftp-account ftp-alternative-to-user ftp-method
  ftp-port ftp-ssl-ccc-mode happy-eyeballs-timeout-ms haproxy-clientip hostpubmd5 hostpubsha256 hsts interface ip-tos ipfs-gateway
  keepalive-cnt keepalive-time key key-type krb libcurl limit-rate local-port login-options mail-auth mail-from mail-rcpt
  max-filesize max-redirs netrc-file noproxy output output-dir parallel-max pass pinnedpubkey preproxy proto proto-default
  proto-redir proxy proxy-cacert proxy-capath proxy-cert proxy-cert-type proxy-ciphers proxy-crlfile proxy-header proxy-key
  proxy-key-type proxy-pass proxy-pinnedpubkey proxy-service-name proxy-tls13-ciphers proxy-tlsauthtype proxy-tlspassword
  proxy-tlsuser proxy-user proxy1.0 pubkey quote random-file range rate request-target resolve retry retry-delay retry-max-time
  sasl-authzid service-name socks4 socks4a socks5 socks5-gssapi-service socks5-hostname speed-limit speed-time stderr
  telnet-option tftp-blksize time-cond tls-max tls13-ciphers tlsauthtype tlspassword tlsuser trace trace-ascii trace-config
  unix-socket upload-file url-query variable write-out`
    .split(/\s+/)
    .map((name) => `--${name}`),
);
// Unquoted, these end the curl command: a pipe, a list, a redirection ("| jq", "> out.json", "2>&1").
const SHELL_OPERATOR = /^(?:[|;&<>]|\d+>)/;

function parseOptions(words: Word[]): Command {
  const c: Command = {
    urls: [], head: false, get: false, globoff: false, compressed: false, location: false, insecure: false, json: false,
    headers: [], removed: new Set(), data: [], cookies: [], ignored: [], warnings: [],
  };
  let i = 1;
  const valueOf = (flag: string, attached: string): string => {
    if (attached) return attached;
    const next = words[++i];
    if (!next) throw new ImportError('import.curl_missing_value', { option: flag });
    return next.text;
  };
  /** One option, as written (`flag`) and as curl's long name; `attached` is the rest of a -XPOST. */
  const use = (flag: string, long: string, attached = ''): void => {
    const option = OPTIONS[long];
    if (option?.value) return option.apply(c, valueOf(flag, attached), flag);
    if (option) return option.apply(c);
    // Not one we use: its value goes with it rather than being read as a URL.
    if (LONG_WITH_VALUE.has(long) || SHORT_WITH_VALUE.has(flag.slice(1))) valueOf(flag, attached);
    if (!SILENT.has(flag)) c.ignored.push(flag);
  };
  let optionsEnded = false;
  for (; i < words.length; i++) {
    const { text, quoted } = words[i]!;
    if (!quoted && SHELL_OPERATOR.test(text)) {
      c.warnings.push({ key: 'import.curl_rest_ignored', params: { operator: text } });
      break;
    }
    if (optionsEnded || !text.startsWith('-') || text === '-') c.urls.push(text);
    else if (text === '--') optionsEnded = true;
    else if (text.startsWith('--')) use(text, text);
    else {
      // A cluster of short options (-sSL); the first that takes a value takes the rest (-XPOST).
      for (let k = 1; k < text.length; k++) {
        const flag = `-${text[k]}`;
        const long = SHORT[text[k]!] ?? flag;
        const takesValue = OPTIONS[long]?.value ?? SHORT_WITH_VALUE.has(text[k]!);
        use(flag, long, takesValue ? text.slice(k + 1) : '');
        if (takesValue) break;
      }
    }
  }
  return c;
}

export function importCurl(command: string, options: CurlImportOptions = {}): ImportResult {
  const line = typeof command === 'string' ? withoutBom(command) : '';
  if (!CURL_START.test(line)) throw new ImportError('import.curl_not_curl');
  const c = parseOptions(looksLikeCmd(line) ? splitCmd(line) : splitBash(line));
  const written = c.urls[0];
  if (written === undefined || !written.trim()) throw new ImportError('import.curl_no_url');
  if (c.urls.length > 1) c.warnings.push({ key: 'import.curl_extra_urls', params: { count: c.urls.length - 1 } });

  // Chrome escapes [ ] { } because curl expands them as URL patterns; with -g they were never special.
  let url = c.globoff ? written.trim() : written.trim().replace(/\\([[\]{}])/g, '$1');
  // Like curl, a URL without a scheme is http.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = `http://${url}`;
  const data = c.data.join('&');
  if (c.get && c.data.length) url += (url.includes('?') ? '&' : '?') + data;
  const parsed = httpUrl(url);
  if (!parsed) throw new ImportError('import.curl_bad_url', { url: url.slice(0, 200) });
  if (url.length > LIMITS.urlLength) throw new ImportError('import.url_too_long', { max: LIMITS.urlLength });
  const body = c.data.length && !c.get ? data : undefined;
  if (body !== undefined && Buffer.byteLength(body) > LIMITS.bodyBytes) throw new ImportError('import.body_too_large', { max: LIMITS.bodyBytes });

  const method = (c.method ?? (c.head ? 'HEAD' : body !== undefined ? 'POST' : 'GET')).toUpperCase();
  if (!(METHODS as readonly string[]).includes(method)) throw new ImportError('import.curl_bad_method', { method: method.slice(0, 20) });

  // What curl adds by itself from its options; a -H of the same name wins, as it does in curl.
  const implied: HeaderPair[] = [];
  if (c.userAgent !== undefined) implied.push(['User-Agent', c.userAgent]);
  if (c.referer) implied.push(['Referer', c.referer]);
  if (c.authorization) implied.push(['Authorization', c.authorization]);
  if (c.json) implied.push(['Content-Type', 'application/json'], ['Accept', 'application/json']);
  else if (body !== undefined) implied.push(['Content-Type', 'application/x-www-form-urlencoded']);
  if (c.compressed) implied.push(['Accept-Encoding', 'gzip, deflate, br']);
  const explicit = new Set(c.headers.map(([n]) => n.toLowerCase()));
  const pairs = [...c.headers, ...implied.filter(([n]) => !explicit.has(n.toLowerCase()))].filter(([n]) => !c.removed.has(n.toLowerCase()));
  const headers = replayableHeaders(pairs, c.cookies, 1, c.warnings);
  warnTemplateSyntax(1, [url, body, ...Object.values(headers)], c.warnings);
  if (c.ignored.length) c.warnings.push({ key: 'import.curl_options_ignored', params: { options: [...new Set(c.ignored)].join(', ') } });

  const step: StepDraft = { name: stepName(method, parsed), method: method as StepDraft['method'], url };
  if (Object.keys(headers).length > 0) step.headers = headers;
  if (body) step.body = body;
  if (c.timeoutMs !== undefined) step.timeoutMs = c.timeoutMs;
  if (c.location) step.followRedirects = true;
  if (c.insecure) step.insecure = true;
  return {
    template: finishTemplate({ name: templateName(options.name, parsed), siteUrl: parsed.origin, public: false, variables: [], steps: [step] }),
    warnings: c.warnings,
  };
}
