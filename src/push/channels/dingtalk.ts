// DingTalk (钉钉) group robot: one JSON POST to robot/send, judged by `errcode` (HTTP is 200 for
// errors too). With 加签 the URL carries a timestamp in ms and an HMAC of it. 310000 means the robot's
// security settings refused the message (keyword, signature or IP): permanent. Over 20 messages a
// minute DingTalk throttles the robot for 10 minutes, so those codes wait that long.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { Channel } from '../channel.js';
import { apiBaseField, cutBytes, failAnswer, failForStatus, isTransientStatus, joined, json, proxyField, send, shortBody, tokenFrom, withApiBase } from './common.js';

// DingTalk takes up to 20 000 bytes of text; the mentions appended below need a little of it.
const MAX_TEXT_BYTES = 19_000;
const THROTTLED_MS = 10 * 60_000;

const schema = z.object({
  // The access_token, or the whole https://oapi.dingtalk.com/robot/send?access_token=… URL.
  accessToken: z.string().trim().min(1, { error: 'errors.required' }).describe('push.field.access_token'),
  secret: z.string().trim().optional().describe('push.field.secret'),
  atMobiles: z.array(z.string().trim().min(1).max(30)).max(50).optional().describe('push.field.at_mobiles'),
  atAll: z.boolean().optional().describe('push.field.at_all'),
  apiBase: apiBaseField,
  proxy: proxyField,
});

/** 加签: base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)). */
export function dingtalkSign(timestampMs: string, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

// -1 is 系统繁忙 (busy); 130101 and 410100 are "sending too fast" (throttled).
const BUSY = new Set([-1]);
const THROTTLED = new Set([130101, 410100]);

export const dingtalkChannel = {
  type: 'dingtalk',
  label: 'push.channel.dingtalk',
  config: schema,
  secrets: ['accessToken', 'secret'],
  limits: { maxText: MAX_TEXT_BYTES, perMinute: 20 },
  async send(message, config, ctx) {
    const url = new URL(withApiBase('https://oapi.dingtalk.com/robot/send', config.apiBase));
    url.searchParams.set('access_token', tokenFrom(config.accessToken, { query: 'access_token' }));
    if (config.secret) {
      const timestamp = String(ctx.clock.now());
      url.searchParams.set('timestamp', timestamp);
      url.searchParams.set('sign', dingtalkSign(timestamp, config.secret)); // URL-encoded by searchParams
    }
    const atMobiles = config.atMobiles ?? [];
    // A mention only shows when the text itself contains @mobile.
    const mentions = atMobiles.length ? `\n\n${atMobiles.map((m) => `@${m}`).join(' ')}` : '';
    const res = await send(ctx, {
      url: url.href,
      json: {
        msgtype: 'markdown',
        // The title shows only in the chat list and the notification, so the text repeats it.
        markdown: { title: message.title || 'Chime', text: cutBytes(joined(message), MAX_TEXT_BYTES) + mentions },
        at: { atMobiles, isAtAll: config.atAll ?? false },
      },
      proxy: config.proxy,
    });
    const answer = json(res);
    if (answer?.errcode === 0 && res.status < 300) return;
    const said = typeof answer?.errmsg === 'string' && answer.errmsg ? answer.errmsg : undefined;
    if (typeof answer?.errcode !== 'number') {
      if (res.status >= 200 && res.status < 300) {
        failAnswer(res, ctx, `DingTalk: unexpected answer (HTTP ${res.status}): ${shortBody(res, 100)}`, { permanent: false });
      }
      failForStatus(res, ctx, `DingTalk: ${said ?? `HTTP ${res.status}`}`);
    }
    const code = answer.errcode;
    if (code === 310000) {
      failAnswer(res, ctx, `DingTalk refused the message because of the robot's security settings (keyword, 加签 secret or IP allow-list): ${said ?? code}`, { permanent: true });
    }
    if (THROTTLED.has(code)) {
      failAnswer(res, ctx, `DingTalk: the robot sent too many messages and is throttled for 10 minutes (${said ?? code})`, { permanent: false, retryAfterMs: THROTTLED_MS });
    }
    const transient = BUSY.has(code) || isTransientStatus(res.status);
    failAnswer(res, ctx, `DingTalk: ${said ?? 'error'} (errcode ${code})`, { permanent: !transient });
  },
} satisfies Channel<typeof schema>;
