// ntfy (ntfy.sh or self-hosted): JSON published to the server root with the topic in the body.
// ntfy turns messages over 4096 bytes into attachments, so the text is cut to that many bytes.
import { z } from 'zod';
import type { Channel } from '../channel.js';
import { cutBytes, failForStatus, json, proxyField, send } from './common.js';

const MAX_BYTES = 4096;

const schema = z.object({
  serverUrl: z.url({ protocol: /^https?$/, error: 'errors.http_url' }).default('https://ntfy.sh').describe('push.field.server_url'),
  // A pasted topic URL (https://ntfy.example.com/alerts) names the server too.
  topic: z.string().trim().min(1).max(300).describe('push.field.topic'),
  token: z.string().trim().optional().describe('push.field.token'),
  priority: z.coerce.number().int().min(1).max(5).optional().describe('push.field.priority'),
  // ntfy shows tags that name an emoji (warning, white_check_mark) as that emoji.
  tags: z.array(z.string().trim().min(1).max(100)).max(20).optional().describe('push.field.tags'),
  proxy: proxyField,
});

/** The server and topic, from the two fields or from a whole topic URL pasted into `topic`. */
function target(serverUrl: string, topic: string): { server: string; topic: string } {
  if (/^https?:\/\//i.test(topic) && URL.canParse(topic)) {
    const url = new URL(topic);
    const parts = url.pathname.split('/').filter(Boolean);
    const last = parts.pop();
    if (last) return { server: `${url.origin}${parts.map((p) => `/${p}`).join('')}`, topic: decodeURIComponent(last) };
  }
  return { server: serverUrl.replace(/\/+$/, ''), topic };
}

export const ntfyChannel = {
  type: 'ntfy',
  label: 'push.channel.ntfy',
  config: schema,
  secrets: ['token'],
  limits: { maxText: MAX_BYTES },
  async send(message, config, ctx) {
    const { server, topic } = target(config.serverUrl, config.topic);
    const res = await send(ctx, {
      url: `${server}/`,
      headers: config.token ? { authorization: `Bearer ${config.token}` } : {},
      json: {
        topic,
        title: message.title,
        // Markdown is on: two trailing spaces keep each line break of the plain-text body.
        message: cutBytes(message.body.replace(/\r?\n/g, '  \n'), MAX_BYTES),
        priority: config.priority,
        tags: config.tags?.length ? config.tags : undefined,
        markdown: true,
      },
      proxy: config.proxy,
    });
    if (res.status === 200) return;
    // ntfy explains itself as {"code":40101,"http":401,"error":"unauthorized",…}.
    const error = json(res)?.error;
    failForStatus(res, ctx, typeof error === 'string' ? `ntfy: ${error} (HTTP ${res.status})` : undefined);
  },
} satisfies Channel<typeof schema>;
