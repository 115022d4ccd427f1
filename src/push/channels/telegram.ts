// Telegram Bot API sendMessage. The answer carries `ok`, and on failure `error_code` (the HTTP status)
// and `description`, which is what the user is shown. 401 (bad token), 400 "chat not found" and 403
// "bot was blocked" are other 4xx and so permanent; 429 says how long to wait in parameters.retry_after.
import { z } from 'zod';
import type { Channel } from '../channel.js';
import { apiBaseField, failAnswer, isTransientStatus, json, proxyField, send, shortBody, tokenFrom, withApiBase, cutUnits } from './common.js';

// Telegram counts the text after entity parsing, in UTF-16 code units.
const MAX_TEXT = 4096;
const MAX_TITLE = 256;

const schema = z.object({
  // The token from @BotFather, or a pasted https://api.telegram.org/bot<token>/… URL.
  botToken: z.string().trim().min(1, { error: 'errors.required' }).describe('push.field.bot_token'),
  chatId: z.string().trim().min(1, { error: 'errors.required' }).max(100).describe('push.field.chat_id'),
  messageThreadId: z.coerce.number().int().positive().optional().describe('push.field.message_thread_id'),
  silent: z.boolean().optional().describe('push.field.silent'),
  apiBase: apiBaseField,
  proxy: proxyField,
});

// Telegram's HTML mode knows only &lt; &gt; &amp; &quot; by name, so &apos; must not be produced.
const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');


/** `<b>title</b>\n` + body, HTML-escaped, cut so that the text as Telegram counts it fits. */
export function telegramText(title: string, body: string): string {
  if (!title) return escapeHtml(cutUnits(body, MAX_TEXT));
  const head = cutUnits(title, MAX_TITLE);
  return `<b>${escapeHtml(head)}</b>\n${escapeHtml(cutUnits(body, MAX_TEXT - head.length - 1))}`;
}

// What to do about the usual permanent failures, after Telegram's own words.
const HINTS: [RegExp, string][] = [
  [/^Unauthorized/i, 'the bot token is wrong or was revoked'],
  [/chat not found/i, 'check the chat ID, and that the bot is in that chat or the user has started it'],
  [/bot was blocked/i, 'the user blocked the bot'],
];

export const telegramChannel = {
  type: 'telegram',
  label: 'push.channel.telegram',
  config: schema,
  secrets: ['botToken'],
  limits: { maxText: MAX_TEXT, perMinute: 20 },
  async send(message, config, ctx) {
    const token = tokenFrom(config.botToken, { pathAfter: /\/bot([^/]+)/ });
    const res = await send(ctx, {
      url: withApiBase(`https://api.telegram.org/bot${token}/sendMessage`, config.apiBase),
      json: {
        chat_id: config.chatId,
        text: telegramText(message.title, message.body),
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
        message_thread_id: config.messageThreadId,
        disable_notification: config.silent ? true : undefined,
      },
      proxy: config.proxy,
    });
    const answer = json(res);
    if (answer?.ok === true && res.status < 300) return;
    if (typeof answer?.ok !== 'boolean') {
      const transient = (res.status >= 200 && res.status < 300) || isTransientStatus(res.status);
      failAnswer(res, ctx, `Telegram: unexpected answer (HTTP ${res.status}): ${shortBody(res, 100)}`, { permanent: !transient });
    }
    const code = typeof answer.error_code === 'number' ? answer.error_code : res.status;
    const description = typeof answer.description === 'string' ? answer.description : `error ${code}`;
    const parameters = (answer.parameters ?? {}) as { retry_after?: unknown; migrate_to_chat_id?: unknown };
    const hint = HINTS.find(([pattern]) => pattern.test(description))?.[1];
    const moved = parameters.migrate_to_chat_id !== undefined ? `the group is now a supergroup with chat ID ${String(parameters.migrate_to_chat_id)}` : undefined;
    const extra = hint ?? moved;
    failAnswer(res, ctx, `Telegram: ${description}${extra ? ` (${extra})` : ''}`, {
      permanent: !isTransientStatus(code),
      retryAfterMs: typeof parameters.retry_after === 'number' ? parameters.retry_after * 1000 : undefined,
    });
  },
} satisfies Channel<typeof schema>;
