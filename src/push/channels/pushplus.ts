// PushPlus (推送加, pushplus.plus): one JSON POST, judged by the `code` in the answer (HTTP is 200 even
// for errors). Codes from their "接口返回码说明": only 500 (系统异常, try again later) is worth
// retrying. 900 (account restricted for sending too much) is permanent too: PushPlus asks clients to
// stop, and retrying only extends the ban. 999 (服务端验证错误) is a rejected message, so permanent.
import { escapeUTF8 } from 'entities';
import { z } from 'zod';
import type { Channel } from '../channel.js';
import { apiBaseField, cut, failAnswer, failForStatus, json, proxyField, send, shortBody, tokenFrom, withApiBase } from './common.js';

const MAX_TEXT = 20_000;

const schema = z.object({
  // A pasted https://www.pushplus.plus/send?token=… or …/send/{token} works too.
  token: z.string().trim().min(1).describe('push.field.token'),
  template: z.enum(['html', 'txt', 'markdown']).default('html').describe('push.field.template'),
  topic: z.string().trim().max(100).optional().describe('push.field.topic'),
  apiBase: apiBaseField,
  proxy: proxyField,
});

const EXPLAINED: Record<number, string> = {
  302: 'not logged in',
  401: 'the request is not authorised',
  403: 'the server IP is not on the PushPlus IP allow-list',
  600: 'the message was rejected as invalid',
  888: 'not enough PushPlus credits',
  900: 'the PushPlus account is restricted for sending too many messages; it stays blocked for a while',
  903: 'the token is not valid',
  905: 'the PushPlus account is not verified (实名认证) yet',
  999: 'the message was rejected',
};
const TRANSIENT_CODES = new Set([500]);

/** The body as the template shows it: plain text keeps its newlines in each of them. */
function content(body: string, template: 'html' | 'txt' | 'markdown'): string {
  if (template === 'html') return escapeUTF8(body).replace(/\r?\n/g, '<br>');
  // Markdown hard line breaks (two spaces), so the lines do not run together.
  if (template === 'markdown') return body.replace(/\r?\n/g, '  \n');
  return body;
}

export const pushplusChannel = {
  type: 'pushplus',
  label: 'push.channel.pushplus',
  config: schema,
  secrets: ['token'],
  limits: { maxText: MAX_TEXT },
  async send(message, config, ctx) {
    const token = tokenFrom(config.token, { query: 'token', pathAfter: /\/send\/([^/]+)/ });
    const res = await send(ctx, {
      url: withApiBase('https://www.pushplus.plus/send', config.apiBase),
      json: {
        token,
        title: message.title,
        content: content(cut(message.body, MAX_TEXT), config.template),
        template: config.template,
        topic: config.topic || undefined,
      },
      proxy: config.proxy,
    });
    if (res.status < 200 || res.status > 299) failForStatus(res, ctx);
    const answer = json(res);
    if (answer?.code === 200) return;
    const code = typeof answer?.code === 'number' ? answer.code : undefined;
    const said = typeof answer?.msg === 'string' ? answer.msg : shortBody(res);
    if (code === undefined) failAnswer(res, ctx, `PushPlus answered without a code: ${said}`, { permanent: false });
    const why = EXPLAINED[code];
    failAnswer(res, ctx, `PushPlus ${code}: ${why ? `${why} (${said})` : said}`, { permanent: !TRANSIENT_CODES.has(code) });
  },
} satisfies Channel<typeof schema>;
