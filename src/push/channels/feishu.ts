// Feishu (飞书) and Lark group robots: one JSON POST to the hook URL, judged by `code` (older answers
// only carry `StatusCode`). With 签名校验 the body carries a timestamp in seconds and a signature whose
// *key* is timestamp + "\n" + secret over an empty message. 19021 is a bad signature: permanent.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { Channel } from '../channel.js';
import { apiBaseField, cutBytes, failAnswer, failForStatus, isTransientStatus, joined, json, proxyField, send, shortBody, tokenFrom, withApiBase } from './common.js';

// The whole request may be 20 KB; JSON escaping and the signature need part of it.
const MAX_TEXT_BYTES = 15_000;
const HOSTS = { feishu: 'https://open.feishu.cn', lark: 'https://open.larksuite.com' } as const;

const schema = z.object({
  // The webhook URL from the robot's settings, or just its token (the part after /hook/).
  webhookUrl: z.string().trim().min(1, { error: 'errors.required' }).describe('push.field.webhook_url'),
  secret: z.string().trim().optional().describe('push.field.secret'),
  host: z.enum(['feishu', 'lark']).default('feishu').describe('push.field.host'),
  apiBase: apiBaseField,
  proxy: proxyField,
});

/** 签名校验: base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")). */
export function feishuSign(timestampSeconds: string, secret: string): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/** The hook URL: a pasted open.larksuite.com URL means Lark whatever `host` says. */
export function feishuHookUrl(webhookUrl: string, host: 'feishu' | 'lark'): string {
  const token = tokenFrom(webhookUrl, { pathAfter: /\/hook\/([^/]+)/ });
  const pasted = /^https?:\/\//i.test(webhookUrl) && URL.canParse(webhookUrl) ? new URL(webhookUrl).hostname : '';
  const base = /(^|\.)larksuite\.com$/i.test(pasted) ? HOSTS.lark : HOSTS[host];
  return `${base}/open-apis/bot/v2/hook/${encodeURIComponent(token)}`;
}

// 11232 is "frequency limited"; the rate limit also comes as 9499 "too many request" (9499 alone is
// their generic Bad Request, so the words decide).
const isThrottled = (code: number, said: string) => code === 11232 || (code === 9499 && /too many/i.test(said));

export const feishuChannel = {
  type: 'feishu',
  label: 'push.channel.feishu',
  config: schema,
  secrets: ['webhookUrl', 'secret'],
  limits: { maxText: MAX_TEXT_BYTES, perMinute: 100 },
  async send(message, config, ctx) {
    const signature: Record<string, string> = {};
    if (config.secret) {
      const timestamp = String(Math.floor(ctx.clock.now() / 1000));
      Object.assign(signature, { timestamp, sign: feishuSign(timestamp, config.secret) });
    }
    const res = await send(ctx, {
      url: withApiBase(feishuHookUrl(config.webhookUrl, config.host), config.apiBase),
      json: { ...signature, msg_type: 'text', content: { text: cutBytes(joined(message), MAX_TEXT_BYTES) } },
      proxy: config.proxy,
    });
    const answer = json(res);
    const code = typeof answer?.code === 'number' ? answer.code : typeof answer?.StatusCode === 'number' ? answer.StatusCode : undefined;
    if (code === 0 && res.status < 300) return;
    const said = [answer?.msg, answer?.StatusMessage].find((m): m is string => typeof m === 'string' && m !== '');
    if (code === undefined) {
      if (res.status >= 200 && res.status < 300) {
        failAnswer(res, ctx, `Feishu: unexpected answer (HTTP ${res.status}): ${shortBody(res, 100)}`, { permanent: false });
      }
      failForStatus(res, ctx, `Feishu: ${said ?? `HTTP ${res.status}`}`);
    }
    if (code === 19021) {
      failAnswer(res, ctx, `Feishu: the signature was refused; check the 签名校验 secret and this server's clock (${said ?? code})`, { permanent: true });
    }
    const transient = isThrottled(code, said ?? '') || isTransientStatus(res.status);
    failAnswer(res, ctx, `Feishu: ${said ?? 'error'} (code ${code})`, { permanent: !transient });
  },
} satisfies Channel<typeof schema>;
