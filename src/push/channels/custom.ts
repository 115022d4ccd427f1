// QD's custom push: a request the user writes, with `{t}` (title) and `{log}` (body), or Jinja
// `{{ title }}` / `{{ body }}`, inserted encoded for where they stand: URL-encoded in the URL,
// JSON-string-escaped in a JSON body (QD sent \uXXXX; Chinese stays as is here), form-encoded in a
// form body, as is in a raw body. `{t}`/`{log}` become Jinja variables before one render, so a title
// or body that itself contains `{t}` or `{{` is never read as a template.
import { z } from 'zod';
import { renderTemplate, TemplateError } from '../../lib/jinja.js';
import { DeliveryError, type Channel, type PushMessage, type SendContext } from '../channel.js';
import { cut, failForStatus, proxyField, send } from './common.js';

const MAX_TEXT = 10_000;

/** The headers field: a JSON object of strings, given as text. */
export function parseHeaders(text: string | undefined): Record<string, string> | undefined {
  if (!text?.trim()) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    return Object.values(value).every((v) => typeof v === 'string') ? (value as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

const schema = z.object({
  method: z.enum(['GET', 'POST', 'PUT']).default('POST').describe('push.field.method'),
  url: z.string().trim().regex(/^https?:\/\/\S/i, { error: 'errors.http_url' }).describe('push.field.url'),
  headers: z.string().optional().refine((v) => parseHeaders(v) !== undefined, { error: 'errors.headers_json' }).describe('push.field.headers'),
  bodyType: z.enum(['json', 'form', 'raw']).default('json').describe('push.field.body_type'),
  body: z.string().max(100_000).optional().describe('push.field.body'),
  proxy: proxyField,
});

type Encode = (value: string) => string;
const ENCODERS = {
  url: encodeURIComponent,
  // Without the quotes: the template has them. JSON.stringify leaves non-ASCII as is.
  json: (value: string) => JSON.stringify(value).slice(1, -1),
  // application/x-www-form-urlencoded: spaces as +, like a browser's form.
  form: (value: string) => new URLSearchParams({ v: value }).toString().slice(2),
  raw: (value: string) => value,
} satisfies Record<string, Encode>;

const CONTENT_TYPES = {
  json: 'application/json; charset=utf-8',
  form: 'application/x-www-form-urlencoded; charset=utf-8',
  raw: 'text/plain; charset=utf-8',
};

/** Renders one part of the request with the title and body encoded by `encode`. */
function fill(source: string, message: PushMessage, encode: Encode, ctx: SendContext, part: string): string {
  // `{t}` but not the inside of `{{t}}`, which is Jinja's variable t (an alias of title, as log is of body).
  const jinja = source.replace(/(?<!\{)\{t\}(?!\})/g, '{{ title }}').replace(/(?<!\{)\{log\}(?!\})/g, '{{ body }}');
  const title = encode(message.title);
  const body = encode(cut(message.body, MAX_TEXT));
  try {
    return renderTemplate(jinja, { title, body, t: title, log: body }, {
      now: () => new Date(ctx.clock.now()),
      random: ctx.random,
    });
  } catch (err) {
    if (err instanceof TemplateError) throw new DeliveryError(`the ${part} template has an error: ${err.message}`, { permanent: true, cause: err });
    throw err;
  }
}

export const customChannel = {
  type: 'custom',
  label: 'push.channel.custom',
  config: schema,
  // The URL and headers usually carry the receiver's key or an Authorization token.
  secrets: ['url', 'headers'],
  limits: { maxText: MAX_TEXT },
  async send(message, config, ctx) {
    const url = fill(config.url, message, ENCODERS.url, ctx, 'URL');
    const headers = parseHeaders(config.headers) ?? {};
    let body: string | undefined;
    // GET sends no body; the title and body go into the URL.
    if (config.method !== 'GET' && config.body) {
      body = fill(config.body, message, ENCODERS[config.bodyType], ctx, 'body');
      if (config.bodyType === 'json') {
        try {
          JSON.parse(body);
        } catch (err) {
          throw new DeliveryError(`the JSON body is not valid JSON once the title and body are in it (${(err as Error).message}); put {t} and {log} inside quotes`, { permanent: true, cause: err });
        }
      }
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = CONTENT_TYPES[config.bodyType];
    }
    const res = await send(ctx, { method: config.method, url, headers, body, proxy: config.proxy });
    if (res.status >= 200 && res.status <= 299) return;
    failForStatus(res, ctx);
  },
} satisfies Channel<typeof schema>;
