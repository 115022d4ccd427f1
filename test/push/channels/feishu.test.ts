// Feishu / Lark against a local fake: the text message to the hook, 签名校验 recomputed here with
// node:crypto, pasted URL or bare token, and how codes are judged (HTTP 200 for errors too).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { feishuChannel, feishuHookUrl } from '../../../src/push/channels/feishu.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, FIXED_NOW, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

const HOOK = 'https://open.feishu.cn/open-apis/bot/v2/hook/0f5c-hook-token';

describe('feishu channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ body: { StatusCode: 0, StatusMessage: 'success', code: 0, data: {}, msg: 'success' } }));

  const config = (over: Record<string, unknown> = {}) => feishuChannel.config.parse({ webhookUrl: HOOK, apiBase: h.receiver.url, ...over });
  const sendWith = (over: Record<string, unknown> = {}, message = sampleMessage()) => feishuChannel.send(message, config(over), channelContext(h.http));
  const failWith = (body: unknown, status = 200) => {
    h.receiver.answer({ status, body });
    return deliveryError(sendWith());
  };

  it('posts the text (title, blank line, body) to the hook of a pasted webhook URL', async () => {
    await sendWith();
    const req = h.receiver.last();
    assert.equal(h.receiver.requests.length, 1);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/open-apis/bot/v2/hook/0f5c-hook-token');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), { msg_type: 'text', content: { text: '❌ Daily check-in failed\n\nStep 2/3: HTTP 500\nnext run 08:00' } });
  });

  it('signs with 签名校验: timestamp in seconds (a string) and the HMAC keyed by timestamp + "\\n" + secret', async () => {
    await sendWith({ secret: 'fs2' });
    const timestamp = String(FIXED_NOW / 1000);
    const expected = createHmac('sha256', `${timestamp}\n${'fs2'}`).update('').digest('base64');
    assert.deepEqual(h.receiver.last().json(), {
      timestamp: '1714564800',
      sign: expected,
      msg_type: 'text',
      content: { text: '❌ Daily check-in failed\n\nStep 2/3: HTTP 500\nnext run 08:00' },
    });
  });

  it('takes a bare token, and goes to Lark for host "lark" or a pasted larksuite URL', async () => {
    await sendWith({ webhookUrl: 'bare-token' });
    assert.equal(h.receiver.last().path, '/open-apis/bot/v2/hook/bare-token');
    assert.equal(feishuHookUrl('bare-token', 'feishu'), 'https://open.feishu.cn/open-apis/bot/v2/hook/bare-token');
    assert.equal(feishuHookUrl('bare-token', 'lark'), 'https://open.larksuite.com/open-apis/bot/v2/hook/bare-token');
    assert.equal(feishuHookUrl('https://open.larksuite.com/open-apis/bot/v2/hook/lk', 'feishu'), 'https://open.larksuite.com/open-apis/bot/v2/hook/lk');
    assert.equal(feishuHookUrl(HOOK, 'feishu'), 'https://open.feishu.cn/open-apis/bot/v2/hook/0f5c-hook-token');
  });

  it('cuts a long text to 15000 UTF-8 bytes ending with …', async () => {
    await sendWith({}, sampleMessage({ title: '', body: '长'.repeat(6000) }));
    const { text } = (h.receiver.last().json() as { content: { text: string } }).content;
    assert.ok(Buffer.byteLength(text) <= 15_000 && Buffer.byteLength(text) > 14_990);
    assert.ok(text.endsWith('长…'));
  });

  it('accepts the older answer with StatusCode 0 only', async () => {
    h.receiver.answer({ body: { StatusCode: 0, StatusMessage: 'success' } });
    await sendWith();
    const err = await failWith({ StatusCode: 19001, StatusMessage: 'param invalid: incoming webhook access token invalid' });
    assert.equal(err.permanent, true);
    assert.equal(err.message, 'Feishu: param invalid: incoming webhook access token invalid (code 19001)');
  });

  it('19021 (bad signature) is permanent and explained', async () => {
    const err = await failWith({ code: 19021, data: {}, msg: 'sign match fail or timestamp is not within one hour from current time' });
    assert.equal(err.permanent, true);
    assert.match(err.message, /^Feishu: the signature was refused; check the 签名校验 secret .*sign match fail/);
  });

  it('other codes (keywords, IP) are permanent; rate limiting (11232, 9499 too many request) is transient', async () => {
    assert.equal((await failWith({ code: 19024, data: {}, msg: 'Key Words Not Found' })).permanent, true);
    assert.equal((await failWith({ code: 9499, data: {}, msg: 'Bad Request' }, 400)).permanent, true);
    assert.equal((await failWith({ code: 11232, data: {}, msg: 'frequency limited psm' })).permanent, false);
    assert.equal((await failWith({ code: 9499, data: {}, msg: 'too many request' })).permanent, false);
  });

  it('5xx and 429 (with Retry-After) are transient, other 4xx permanent, a 200 without a code transient', async () => {
    assert.equal((await failWith('bad gateway', 502)).permanent, false);
    h.receiver.answer({ status: 429, body: 'slow', headers: { 'retry-after': '3' } });
    const limited = await deliveryError(sendWith());
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 3_000);
    assert.equal((await failWith('not found', 404)).permanent, true);
    assert.equal((await failWith('<html></html>', 200)).permanent, false);
  });

  it('treats a closed port as a transient network error', async () => {
    const port = await closedPort();
    assert.equal((await deliveryError(sendWith({ apiBase: `http://127.0.0.1:${port}` }))).permanent, false);
  });
});
