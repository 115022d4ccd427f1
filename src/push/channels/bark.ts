// Bark (iOS notifications through APNs; api.day.app or a self-hosted bark-server): one JSON POST to
// {server}/push, judged by the `code` in the answer. bark-server sends the same code as the HTTP
// status: 400 for an unknown device key (permanent), 500 when APNs could not take the push (retried).
import { z } from 'zod';
import type { Channel } from '../channel.js';
import { cutBytes, failAnswer, failForStatus, isTransientStatus, json, proxyField, send, shortBody } from './common.js';

export const BARK_DEFAULT_SERVER = 'https://api.day.app';
// APNs takes 4 KB per notification; the title, the other fields and JSON escaping need part of it.
const MAX_BODY_BYTES = 3000;

const httpUrl = z.url({ protocol: /^https?$/, error: 'errors.http_url' });

const schema = z.object({
  serverUrl: httpUrl.optional().describe('push.field.server_url'),
  // The key, or the URL the Bark app copies (https://api.day.app/KEY/…), which also names the server.
  deviceKey: z.string().trim().min(1, { error: 'errors.required' }).describe('push.field.device_key'),
  group: z.string().trim().max(100).optional().describe('push.field.group'),
  sound: z.string().trim().max(100).optional().describe('push.field.sound'),
  level: z.enum(['active', 'timeSensitive', 'passive', 'critical']).optional().describe('push.field.level'),
  icon: httpUrl.optional().describe('push.field.icon'),
  url: httpUrl.optional().describe('push.field.url'),
  proxy: proxyField,
});

/** Where to push: a pasted https://host/KEY/… gives both the server and the key (its first path part). */
export function barkTarget(deviceKey: string, serverUrl: string | undefined): { server: string; key: string } {
  const value = deviceKey.trim();
  if (/^https?:\/\//i.test(value) && URL.canParse(value)) {
    const pasted = new URL(value);
    const key = pasted.pathname.split('/').find(Boolean);
    if (key) return { server: pasted.origin, key: decodeURIComponent(key) };
  }
  return { server: (serverUrl || BARK_DEFAULT_SERVER).replace(/\/+$/, ''), key: value };
}

export const barkChannel = {
  type: 'bark',
  label: 'push.channel.bark',
  config: schema,
  secrets: ['deviceKey'],
  limits: { maxText: MAX_BODY_BYTES },
  async send(message, config, ctx) {
    const { server, key } = barkTarget(config.deviceKey, config.serverUrl);
    const res = await send(ctx, {
      url: `${server}/push`,
      json: {
        device_key: key,
        title: message.title,
        body: cutBytes(message.body, MAX_BODY_BYTES),
        group: config.group || undefined,
        sound: config.sound || undefined,
        level: config.level,
        icon: config.icon || undefined,
        // Tapping the notification opens the configured link, else the run the message is about.
        url: config.url || message.url || undefined,
      },
      proxy: config.proxy,
    });
    const answer = json(res);
    if (answer?.code === 200) return;
    const said = typeof answer?.message === 'string' && answer.message ? answer.message : undefined;
    if (typeof answer?.code !== 'number') {
      if (res.status >= 200 && res.status < 300) {
        failAnswer(res, ctx, `Bark: unexpected answer from ${server} (HTTP ${res.status}): ${shortBody(res, 100)}`, { permanent: false });
      }
      failForStatus(res, ctx, said ? `Bark: ${said}` : `Bark: HTTP ${res.status} from ${server}`);
    }
    // An error status of a proxy in front of the server wins over the code in its page.
    const status = res.status >= 300 ? res.status : answer.code;
    failAnswer(res, ctx, `Bark: ${said ?? `code ${answer.code}`}`, { permanent: !isTransientStatus(status) });
  },
} satisfies Channel<typeof schema>;
