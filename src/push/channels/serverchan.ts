// Server酱 (ServerChan Turbo, sctapi.ftqq.com, and Server酱³, whose keys start with sctp{uid}t and go
// to {uid}.push.ft07.com): one JSON POST, judged by the `code` in the answer (0 is success). Its
// desp is Markdown, where a single newline does not break the line, so newlines are doubled.
import { z } from 'zod';
import type { Channel } from '../channel.js';
import { apiBaseField, cut, cutBytes, failAnswer, failForStatus, isTransientStatus, json, proxyField, send, shortBody, tokenFrom, withApiBase } from './common.js';

// Their limits: title up to 32 characters, desp up to 32 KB.
const MAX_TITLE = 32;
const MAX_DESP_BYTES = 32_000;

const schema = z.object({
  // The SendKey, or a pasted https://sctapi.ftqq.com/KEY.send (or …push.ft07.com/send/KEY.send).
  sendKey: z.string().trim().min(1, { error: 'errors.required' }).describe('push.field.send_key'),
  apiBase: apiBaseField,
  proxy: proxyField,
});

/** The API URL for a key: Server酱³ keys (sctp{n}t…) have their own host per user. */
export function serverchanUrl(key: string): string {
  const sc3 = /^sctp(\d+)t/.exec(key);
  return sc3 ? `https://${sc3[1]}.push.ft07.com/send/${encodeURIComponent(key)}.send` : `https://sctapi.ftqq.com/${encodeURIComponent(key)}.send`;
}

export const serverchanChannel = {
  type: 'serverchan',
  label: 'push.channel.serverchan',
  config: schema,
  secrets: ['sendKey'],
  limits: { maxText: MAX_DESP_BYTES },
  async send(message, config, ctx) {
    const key = tokenFrom(config.sendKey, { pathAfter: /([^/]+)\.send$/ });
    // The title is required there; a message without one is named by its first line.
    const title = cut(message.title || message.body.split('\n', 1)[0] || 'Chime', MAX_TITLE);
    const res = await send(ctx, {
      url: withApiBase(serverchanUrl(key), config.apiBase),
      json: { title, desp: cutBytes(message.body.replace(/\r?\n/g, '\n\n'), MAX_DESP_BYTES) },
      proxy: config.proxy,
    });
    const answer = json(res);
    if (answer?.code === 0 && res.status < 300) return;
    const said = typeof answer?.message === 'string' && answer.message ? answer.message : undefined;
    if (typeof answer?.code !== 'number') {
      if (res.status >= 200 && res.status < 300) {
        failAnswer(res, ctx, `ServerChan: unexpected answer (HTTP ${res.status}): ${shortBody(res, 100)}`, { permanent: false });
      }
      failForStatus(res, ctx, `ServerChan: ${said ?? `HTTP ${res.status}`}`);
    }
    // A wrong or revoked key, or a quota used up: not helped by retrying soon.
    failAnswer(res, ctx, `ServerChan: ${said ?? 'error'} (code ${answer.code})`, { permanent: !isTransientStatus(res.status) });
  },
} satisfies Channel<typeof schema>;
