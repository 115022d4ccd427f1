// WxPusher (微信推送, wxpusher.zjiecode.com): one JSON POST with the app token, to users (UID_…) and/or
// topics, as Markdown (contentType 3). Judged by `code`: 1000 is success (the sending task was made;
// delivery to each user happens later). Other codes are a rejected request: permanent.
import { z } from 'zod';
import { DeliveryError, type Channel } from '../channel.js';
import { apiBaseField, cut, failAnswer, failForStatus, isTransientStatus, joined, json, proxyField, send, shortBody, tokenFrom, withApiBase } from './common.js';

// Their limits: content up to 40 000 characters, summary up to 100.
const MAX_TEXT = 40_000;
const MAX_SUMMARY = 100;

const schema = z.object({
  // The app token (AT_…), or a pasted URL carrying ?appToken=….
  appToken: z.string().trim().min(1, { error: 'errors.required' }).describe('push.field.app_token'),
  uids: z.array(z.string().trim().min(1).max(100)).max(2000).optional().describe('push.field.uids'),
  topicIds: z.array(z.coerce.number().int().positive()).max(5).optional().describe('push.field.topic_ids'),
  apiBase: apiBaseField,
  proxy: proxyField,
});

export const wxpusherChannel = {
  type: 'wxpusher',
  label: 'push.channel.wxpusher',
  config: schema,
  secrets: ['appToken'],
  limits: { maxText: MAX_TEXT },
  async send(message, config, ctx) {
    const uids = config.uids ?? [];
    const topicIds = config.topicIds ?? [];
    if (!uids.length && !topicIds.length) {
      throw new DeliveryError('WxPusher: no recipient; give at least one UID or topic ID', { permanent: true });
    }
    const res = await send(ctx, {
      url: withApiBase('https://wxpusher.zjiecode.com/api/send/message', config.apiBase),
      json: {
        appToken: tokenFrom(config.appToken, { query: 'appToken' }),
        content: cut(joined(message), MAX_TEXT),
        // The line shown in the WeChat notification.
        summary: cut(message.title || message.body, MAX_SUMMARY),
        contentType: 3,
        uids,
        topicIds,
      },
      proxy: config.proxy,
    });
    const answer = json(res);
    if (answer?.code === 1000 && res.status < 300) return;
    const said = typeof answer?.msg === 'string' && answer.msg ? answer.msg : undefined;
    if (typeof answer?.code !== 'number') {
      if (res.status >= 200 && res.status < 300) {
        failAnswer(res, ctx, `WxPusher: unexpected answer (HTTP ${res.status}): ${shortBody(res, 100)}`, { permanent: false });
      }
      failForStatus(res, ctx, `WxPusher: ${said ?? `HTTP ${res.status}`}`);
    }
    failAnswer(res, ctx, `WxPusher: ${said ?? 'error'} (code ${answer.code})`, { permanent: !isTransientStatus(res.status) });
  },
} satisfies Channel<typeof schema>;
