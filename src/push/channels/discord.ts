// Discord incoming webhook: {content} of at most 2000 characters. 404 means the webhook was deleted;
// 429 carries `retry_after` in seconds (fractional) in the body, and Retry-After as a header.
import { z } from 'zod';
import type { Channel } from '../channel.js';
import { failAnswer, failForStatus, joined, json, proxyField, send, cutUnits } from './common.js';

const MAX_TEXT = 2000;


const schema = z.object({
  webhookUrl: z.url({ protocol: /^https?$/, error: 'errors.http_url' }).describe('push.field.webhook_url'),
  proxy: proxyField,
});

export const discordChannel = {
  type: 'discord',
  label: 'push.channel.discord',
  config: schema,
  secrets: ['webhookUrl'],
  // Discord allows a webhook about 30 messages a minute.
  limits: { maxText: MAX_TEXT, perMinute: 30 },
  async send(message, config, ctx) {
    const res = await send(ctx, { url: config.webhookUrl, json: { content: cutUnits(joined(message), MAX_TEXT) }, proxy: config.proxy });
    if (res.status === 204 || res.status === 200) return;
    // Discord explains itself as {"message": "Unknown Webhook", "code": 10015}.
    const answer = json(res);
    const why = typeof answer?.message === 'string' ? `Discord: ${answer.message} (HTTP ${res.status})` : undefined;
    if (res.status === 429) {
      // The body's retry_after wins; without it failAnswer falls back to the Retry-After header.
      const wait = typeof answer?.retry_after === 'number' ? Math.round(answer.retry_after * 1000) : undefined;
      failAnswer(res, ctx, why ?? 'Discord: rate limited (HTTP 429)', { permanent: false, retryAfterMs: wait });
    }
    failForStatus(res, ctx, why);
  },
} satisfies Channel<typeof schema>;
