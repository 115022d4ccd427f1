// WeCom (企业微信) group robot: one JSON POST to webhook/send, judged by `errcode`. Markdown up to 4096
// bytes; mentions by mobile number only work in `text` messages (up to 2048 bytes), so a robot with
// mentions sends text. A robot takes about 20 messages a minute; 45009 says it got more.
import { z } from 'zod';
import type { Channel } from '../channel.js';
import { apiBaseField, cutBytes, failAnswer, failForStatus, isTransientStatus, joined, json, proxyField, send, shortBody, tokenFrom, withApiBase } from './common.js';

const MAX_MARKDOWN_BYTES = 4096;
const MAX_TEXT_BYTES = 2048;

const schema = z.object({
  // The key, or the whole https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… URL.
  key: z.string().trim().min(1, { error: 'errors.required' }).describe('push.field.key'),
  // Mobile numbers to @, or "@all".
  mentionedMobiles: z.array(z.string().trim().min(1).max(30)).max(50).optional().describe('push.field.mentioned_mobiles'),
  apiBase: apiBaseField,
  proxy: proxyField,
});

// -1 is 系统繁忙 (busy); 45009 is "api freq out of limit".
const BUSY = new Set([-1]);
const THROTTLED = 45009;

export const wecomBotChannel = {
  type: 'wecom_bot',
  label: 'push.channel.wecom_bot',
  config: schema,
  secrets: ['key'],
  limits: { maxText: MAX_MARKDOWN_BYTES, perMinute: 20 },
  async send(message, config, ctx) {
    const url = new URL(withApiBase('https://qyapi.weixin.qq.com/cgi-bin/webhook/send', config.apiBase));
    url.searchParams.set('key', tokenFrom(config.key, { query: 'key' }));
    const mentioned = config.mentionedMobiles ?? [];
    const text = joined(message);
    const res = await send(ctx, {
      url: url.href,
      json: mentioned.length
        ? { msgtype: 'text', text: { content: cutBytes(text, MAX_TEXT_BYTES), mentioned_mobile_list: mentioned } }
        : { msgtype: 'markdown', markdown: { content: cutBytes(text, MAX_MARKDOWN_BYTES) } },
      proxy: config.proxy,
    });
    const answer = json(res);
    if (answer?.errcode === 0 && res.status < 300) return;
    const said = typeof answer?.errmsg === 'string' && answer.errmsg ? answer.errmsg : undefined;
    if (typeof answer?.errcode !== 'number') {
      if (res.status >= 200 && res.status < 300) {
        failAnswer(res, ctx, `WeCom robot: unexpected answer (HTTP ${res.status}): ${shortBody(res, 100)}`, { permanent: false });
      }
      failForStatus(res, ctx, `WeCom robot: ${said ?? `HTTP ${res.status}`}`);
    }
    const code = answer.errcode;
    if (code === THROTTLED) {
      failAnswer(res, ctx, `WeCom robot: more than 20 messages a minute (${said ?? code})`, { permanent: false, retryAfterMs: 60_000 });
    }
    const transient = BUSY.has(code) || isTransientStatus(res.status);
    failAnswer(res, ctx, `WeCom robot: ${said ?? 'error'} (errcode ${code})`, { permanent: !transient });
  },
} satisfies Channel<typeof schema>;
