// Telegram against a local fake: sendMessage with HTML-escaped `<b>title</b>\n` + body up to 4096
// characters, a pasted token URL, and how its error answers are judged.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { telegramChannel, telegramText } from '../../../src/push/channels/telegram.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

const TOKEN = '123456:AAH-secret_tok';
const unescape = (html: string) => html.replace(/<\/?b>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('telegram channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ body: { ok: true, result: { message_id: 7 } } }));

  const config = (over: Record<string, unknown> = {}) => telegramChannel.config.parse({ botToken: TOKEN, chatId: '-1001234', apiBase: h.receiver.url, ...over });
  const sendWith = (over: Record<string, unknown> = {}, message = sampleMessage()) => telegramChannel.send(message, config(over), channelContext(h.http));
  const failWith = (status: number, body: unknown) => {
    h.receiver.answer({ status, body });
    return deliveryError(sendWith());
  };

  it('posts the HTML text, chat_id and no link preview to /bot{token}/sendMessage', async () => {
    await sendWith();
    const req = h.receiver.last();
    assert.equal(h.receiver.requests.length, 1);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, `/bot${TOKEN}/sendMessage`);
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), {
      chat_id: '-1001234',
      text: '<b>❌ Daily check-in failed</b>\nStep 2/3: HTTP 500\nnext run 08:00',
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    });
  });

  it('adds message_thread_id and disable_notification when set', async () => {
    await sendWith({ messageThreadId: '42', silent: true });
    const sent = h.receiver.last().json() as Record<string, unknown>;
    assert.equal(sent.message_thread_id, 42);
    assert.equal(sent.disable_notification, true);
  });

  it('escapes &, < and > in the title and the body', async () => {
    await sendWith({}, sampleMessage({ title: 'A<B> & C', body: '<script>"x" & \'y\'</script>' }));
    assert.equal((h.receiver.last().json() as { text: string }).text, '<b>A&lt;B&gt; &amp; C</b>\n&lt;script&gt;"x" &amp; \'y\'&lt;/script&gt;');
  });

  it('takes the token out of a pasted API URL and keeps an apiBase path as a prefix', async () => {
    await sendWith({ botToken: `https://api.telegram.org/bot${TOKEN}/getMe`, apiBase: `${h.receiver.url}/tg/` });
    assert.equal(h.receiver.last().path, `/tg/bot${TOKEN}/sendMessage`);
  });

  it('cuts the text to 4096 characters as Telegram counts them (after entities), ending with …', async () => {
    await sendWith({}, sampleMessage({ body: '&'.repeat(5000) }));
    const { text } = h.receiver.last().json() as { text: string };
    const shown = unescape(text);
    assert.equal(shown.length, 4096);
    assert.ok(shown.endsWith('&…'));
    assert.ok(text.startsWith('<b>❌ Daily check-in failed</b>\n&amp;&amp;'));
    // Emoji take two UTF-16 units each, and are never split.
    const emoji = unescape(telegramText('', '😀'.repeat(3000)));
    assert.ok(emoji.length <= 4096 && emoji.length >= 4094);
    assert.ok(emoji.endsWith('😀…'));
  });

  it('a wrong token (401) is permanent and says so', async () => {
    const err = await failWith(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    assert.equal(err.permanent, true);
    assert.equal(err.message, 'Telegram: Unauthorized (the bot token is wrong or was revoked)');
  });

  it('chat not found (400) and bot was blocked (403) are permanent, with Telegram’s words', async () => {
    const missing = await failWith(400, { ok: false, error_code: 400, description: 'Bad Request: chat not found' });
    assert.equal(missing.permanent, true);
    assert.ok(missing.message.startsWith('Telegram: Bad Request: chat not found'), missing.message);
    assert.match(missing.detail ?? '', /chat not found/);

    const blocked = await failWith(403, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    assert.equal(blocked.permanent, true);
    assert.ok(blocked.message.startsWith('Telegram: Forbidden: bot was blocked by the user'));

    const parse = await failWith(400, { ok: false, error_code: 400, description: "Bad Request: can't parse entities" });
    assert.equal(parse.permanent, true);
    assert.equal(parse.message, "Telegram: Bad Request: can't parse entities");
  });

  it('names the new chat ID when a group became a supergroup', async () => {
    const err = await failWith(400, { ok: false, error_code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: -1009876 } });
    assert.equal(err.permanent, true);
    assert.match(err.message, /chat ID -1009876/);
  });

  it('429 waits parameters.retry_after seconds; 5xx is transient', async () => {
    const limited = await failWith(429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 17', parameters: { retry_after: 17 } });
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 17_000);
    assert.equal(limited.message, 'Telegram: Too Many Requests: retry after 17');

    const down = await failWith(502, '<html>Bad Gateway</html>');
    assert.equal(down.permanent, false);
    assert.equal((await failWith(500, { ok: false, error_code: 500, description: 'Internal Server Error' })).permanent, false);
  });

  it('judges an HTTP 200 with ok:false by its error_code, and a 200 without `ok` as transient', async () => {
    assert.equal((await failWith(200, { ok: false, error_code: 400, description: 'Bad Request: chat not found' })).permanent, true);
    assert.equal((await failWith(200, 'maintenance')).permanent, false);
    assert.equal((await failWith(404, 'Not Found')).permanent, true);
  });

  it('treats a closed port as a transient network error', async () => {
    const port = await closedPort();
    assert.equal((await deliveryError(sendWith({ apiBase: `http://127.0.0.1:${port}` }))).permanent, false);
  });

  it('requires a token and a chat ID', () => {
    assert.equal(telegramChannel.config.safeParse({ botToken: 'x', chatId: '' }).success, false);
    assert.equal(telegramChannel.config.safeParse({ botToken: '', chatId: '1' }).success, false);
  });
});
