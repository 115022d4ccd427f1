// Slack incoming webhook: {text}; success is 200 with the body "ok". Slack answers errors in plain
// text (invalid_token, no_service, channel_not_found…); those and 404 mean the webhook is gone.
import { z } from 'zod';
import type { Channel } from '../channel.js';
import { cut, failAnswer, failForStatus, joined, proxyField, send, shortBody } from './common.js';

const MAX_TEXT = 40_000;

const schema = z.object({
  webhookUrl: z.url({ protocol: /^https?$/, error: 'errors.http_url' }).describe('push.field.webhook_url'),
  proxy: proxyField,
});

/** Slack reads &, < and > as markup (links, mentions); these three, and only these, are escaped. */
const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const slackChannel = {
  type: 'slack',
  label: 'push.channel.slack',
  config: schema,
  secrets: ['webhookUrl'],
  // Slack allows about one message a second per webhook.
  limits: { maxText: MAX_TEXT, perMinute: 60 },
  async send(message, config, ctx) {
    const res = await send(ctx, { url: config.webhookUrl, json: { text: slackEscape(cut(joined(message), MAX_TEXT)) }, proxy: config.proxy });
    const said = shortBody(res);
    if (res.status === 200 && said === 'ok') return;
    if (said === 'invalid_token' || res.status === 404) {
      failAnswer(res, ctx, `Slack: ${said || 'no such webhook'} (HTTP ${res.status}); the webhook was removed or its URL is wrong`, { permanent: true });
    }
    // A 200 that is not "ok" did not come from Slack's webhook endpoint: retrying will not change it.
    if (res.status === 200) failAnswer(res, ctx, `Slack answered 200 without "ok": ${said}`, { permanent: true });
    failForStatus(res, ctx, said ? `Slack: ${said} (HTTP ${res.status})` : undefined);
  },
} satisfies Channel<typeof schema>;
