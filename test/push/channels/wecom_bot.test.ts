// WeCom group robot against a local fake: markdown (≤ 4096 bytes) or text with mentions (≤ 2048
// bytes) to webhook/send?key=…, a pasted webhook URL, and how errcodes are judged.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { wecomBotChannel } from '../../../src/push/channels/wecom_bot.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

describe('wecom_bot channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ body: { errcode: 0, errmsg: 'ok' } }));

  const config = (over: Record<string, unknown> = {}) => wecomBotChannel.config.parse({ key: '693a91f6-7xxx', apiBase: h.receiver.url, ...over });
  const sendWith = (over: Record<string, unknown> = {}, message = sampleMessage()) => wecomBotChannel.send(message, config(over), channelContext(h.http));
  const failWith = (errcode: number, errmsg: string) => {
    h.receiver.answer({ body: { errcode, errmsg } });
    return deliveryError(sendWith());
  };

  it('posts markdown to /cgi-bin/webhook/send?key=…', async () => {
    await sendWith();
    const req = h.receiver.last();
    assert.equal(h.receiver.requests.length, 1);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/cgi-bin/webhook/send');
    assert.deepEqual(req.query, { key: '693a91f6-7xxx' });
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), { msgtype: 'markdown', markdown: { content: '❌ Daily check-in failed\n\nStep 2/3: HTTP 500\nnext run 08:00' } });
  });

  it('takes the key out of a pasted webhook URL', async () => {
    await sendWith({ key: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=pasted-key' });
    assert.deepEqual(h.receiver.last().query, { key: 'pasted-key' });
  });

  it('sends text with mentioned_mobile_list when mobiles are set', async () => {
    await sendWith({ mentionedMobiles: ['13800000000', '@all'] });
    assert.deepEqual(h.receiver.last().json(), {
      msgtype: 'text',
      text: { content: '❌ Daily check-in failed\n\nStep 2/3: HTTP 500\nnext run 08:00', mentioned_mobile_list: ['13800000000', '@all'] },
    });
  });

  it('cuts markdown to 4096 bytes and text to 2048 bytes, ending with …', async () => {
    const long = sampleMessage({ title: '', body: '长'.repeat(3000) });
    await sendWith({}, long);
    const markdown = (h.receiver.last().json() as { markdown: { content: string } }).markdown.content;
    assert.ok(Buffer.byteLength(markdown) <= 4096 && Buffer.byteLength(markdown) > 4090);
    assert.ok(markdown.endsWith('长…'));
    await sendWith({ mentionedMobiles: ['13800000000'] }, long);
    const text = (h.receiver.last().json() as { text: { content: string } }).text.content;
    assert.ok(Buffer.byteLength(text) <= 2048 && Buffer.byteLength(text) > 2042);
    assert.ok(text.endsWith('长…'));
  });

  it('an invalid key (93000, HTTP 200) is permanent with WeCom’s words', async () => {
    const err = await failWith(93000, 'invalid webhook url, hint: [1714564800_x]');
    assert.equal(err.permanent, true);
    assert.equal(err.message, 'WeCom robot: invalid webhook url, hint: [1714564800_x] (errcode 93000)');
  });

  it('over the rate (45009) waits a minute; busy (-1) is transient', async () => {
    const limited = await failWith(45009, 'api freq out of limit');
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 60_000);
    assert.equal((await failWith(-1, 'system busy')).permanent, false);
  });

  it('5xx and 429 (with Retry-After) are transient, other 4xx permanent, a 200 without errcode transient', async () => {
    h.receiver.answer({ status: 500, body: 'oops' });
    assert.equal((await deliveryError(sendWith())).permanent, false);
    h.receiver.answer({ status: 429, body: 'slow', headers: { 'retry-after': '9' } });
    assert.equal((await deliveryError(sendWith())).retryAfterMs, 9_000);
    h.receiver.answer({ status: 403, body: 'forbidden' });
    assert.equal((await deliveryError(sendWith())).permanent, true);
    h.receiver.answer({ status: 200, body: '' });
    assert.equal((await deliveryError(sendWith())).permanent, false);
  });

  it('treats a closed port as a transient network error', async () => {
    const port = await closedPort();
    assert.equal((await deliveryError(sendWith({ apiBase: `http://127.0.0.1:${port}` }))).permanent, false);
  });
});
