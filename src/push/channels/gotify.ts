// Gotify (self-hosted): POST {serverUrl}/message with the application token in X-Gotify-Key. A 200
// that carries no message id did not come from Gotify (a login page, a wrong path behind a proxy).
import { z } from 'zod';
import type { Channel } from '../channel.js';
import { cut, failAnswer, failForStatus, json, proxyField, send, tokenFrom } from './common.js';

const MAX_TEXT = 20_000;

const schema = z.object({
  serverUrl: z.url({ protocol: /^https?$/, error: 'errors.http_url' }).describe('push.field.server_url'),
  // A pasted https://gotify.example.com/message?token=… works too.
  appToken: z.string().trim().min(1).describe('push.field.app_token'),
  priority: z.coerce.number().int().min(0).max(10).optional().describe('push.field.priority'),
  proxy: proxyField,
});

export const gotifyChannel = {
  type: 'gotify',
  label: 'push.channel.gotify',
  config: schema,
  secrets: ['appToken'],
  limits: { maxText: MAX_TEXT },
  async send(message, config, ctx) {
    const res = await send(ctx, {
      url: `${config.serverUrl.replace(/\/+$/, '')}/message`,
      headers: { 'x-gotify-key': tokenFrom(config.appToken, { query: 'token' }) },
      json: { title: message.title, message: cut(message.body, MAX_TEXT), priority: config.priority },
      proxy: config.proxy,
    });
    const answer = json(res);
    if (res.status === 200 && typeof answer?.id === 'number') return;
    if (res.status === 200) {
      failAnswer(res, ctx, 'the server answered 200 but not like Gotify (no message id); check the server URL', { permanent: true });
    }
    // Gotify explains itself as {"error":"Unauthorized","errorCode":401,"errorDescription":"…"}.
    const why = answer?.errorDescription ?? answer?.error;
    failForStatus(res, ctx, typeof why === 'string' ? `Gotify: ${why} (HTTP ${res.status})` : undefined);
  },
} satisfies Channel<typeof schema>;
