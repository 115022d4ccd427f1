// A signed JSON webhook after Standard Webhooks (standardwebhooks.com): any receiver with one of
// their libraries (or Svix's) verifies it. The body's `timestamp` is when the event happened; the
// webhook-timestamp header is when this attempt is sent, since receivers refuse old ones (replays)
// and a retry hours later must still pass.
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Channel } from '../channel.js';
import { cut, failForStatus, proxyField, send } from './common.js';

const MAX_TEXT = 20_000;
const SECRET_PREFIX = 'whsec_';

/** The key bytes of a `whsec_…` secret (the prefix is optional), or undefined when it is not base64 of 16–64 bytes. */
export function webhookKey(secret: string): Buffer | undefined {
  const base64 = secret.trim().replace(/^whsec_/, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) return undefined;
  const key = Buffer.from(base64, 'base64');
  return key.length >= 16 && key.length <= 64 ? key : undefined;
}

/** A new secret for the form's "generate" button: whsec_ and 24 random bytes in base64. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + crypto.randomBytes(24).toString('base64');
}

/** The webhook-signature header value for one message. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = webhookKey(secret);
  if (!key) throw new Error('not a valid webhook secret');
  return `v1,${crypto.createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

const schema = z.object({
  url: z.url({ protocol: /^https?$/, error: 'errors.http_url' }).describe('push.field.url'),
  secret: z.string().trim().refine((s) => webhookKey(s) !== undefined, { error: 'errors.webhook_secret' }).describe('push.field.secret'),
  proxy: proxyField,
});

export const webhookChannel = {
  type: 'webhook',
  label: 'push.channel.webhook',
  config: schema,
  secrets: ['secret'],
  limits: { maxText: MAX_TEXT },
  async send(message, config, ctx) {
    const body = JSON.stringify({
      type: message.event,
      timestamp: new Date(message.at).toISOString(),
      data: { ...message.data, title: message.title, body: cut(message.body, MAX_TEXT) },
    });
    const timestamp = Math.floor(ctx.clock.now() / 1000);
    const res = await send(ctx, {
      url: config.url,
      headers: {
        'content-type': 'application/json',
        'webhook-id': message.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(config.secret, message.id, timestamp, body),
      },
      body,
      proxy: config.proxy,
    });
    if (res.status >= 200 && res.status <= 299) return;
    failForStatus(res, ctx);
  },
} satisfies Channel<typeof schema>;
