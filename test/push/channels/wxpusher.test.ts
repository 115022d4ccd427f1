// WxPusher against a local fake: the Markdown message to users and topics, a pasted token URL, the
// summary and content limits, and how codes are judged (1000 is success).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { wxpusherChannel } from '../../../src/push/channels/wxpusher.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

describe('wxpusher channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ body: { code: 1000, msg: '处理成功', data: [{ uid: 'UID_a', code: 1000, status: '创建发送任务成功' }], success: true } }));

  const config = (over: Record<string, unknown> = {}) => wxpusherChannel.config.parse({ appToken: 'AT_abc', uids: ['UID_a'], apiBase: h.receiver.url, ...over });
  const sendWith = (over: Record<string, unknown> = {}, message = sampleMessage()) => wxpusherChannel.send(message, config(over), channelContext(h.http));
  const failWith = (body: unknown, status = 200) => {
    h.receiver.answer({ status, body });
    return deliveryError(sendWith());
  };

  it('posts the Markdown message with the title as summary to /api/send/message', async () => {
    await sendWith({ topicIds: ['123', 456] });
    const req = h.receiver.last();
    assert.equal(h.receiver.requests.length, 1);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/api/send/message');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), {
      appToken: 'AT_abc',
      content: '❌ Daily check-in failed\n\nStep 2/3: HTTP 500\nnext run 08:00',
      summary: '❌ Daily check-in failed',
      contentType: 3,
      uids: ['UID_a'],
      topicIds: [123, 456],
    });
  });

  it('sends empty lists for what is not set, and takes the token out of a pasted URL', async () => {
    await sendWith({ uids: undefined, topicIds: [7], appToken: 'https://wxpusher.zjiecode.com/api/send/message/?appToken=AT_pasted&content=x&uid=UID_a' });
    const sent = h.receiver.last().json() as { appToken: string; uids: unknown; topicIds: unknown };
    assert.equal(sent.appToken, 'AT_pasted');
    assert.deepEqual(sent.uids, []);
    assert.deepEqual(sent.topicIds, [7]);
  });

  it('without any UID or topic, fails as permanent without sending', async () => {
    const err = await deliveryError(sendWith({ uids: [] }));
    assert.equal(err.permanent, true);
    assert.equal(h.receiver.requests.length, 0);
  });

  it('cuts the summary to 100 and the content to 40000 characters, ending with …', async () => {
    await sendWith({}, sampleMessage({ title: 'T'.repeat(150), body: '长'.repeat(50_000) }));
    const { summary, content } = h.receiver.last().json() as { summary: string; content: string };
    assert.equal(summary, `${'T'.repeat(99)}…`);
    assert.equal([...content].length, 40_000);
    assert.ok(content.endsWith('长…'));
  });

  it('judges HTTP 200 by the code: anything but 1000 is permanent, with WxPusher’s words', async () => {
    const err = await failWith({ code: 1001, msg: 'appToken不正确', data: null, success: false });
    assert.equal(err.permanent, true);
    assert.equal(err.message, 'WxPusher: appToken不正确 (code 1001)');
  });

  it('5xx and 429 (with Retry-After) are transient, other 4xx permanent, a 200 without a code transient', async () => {
    assert.equal((await failWith('down', 503)).permanent, false);
    h.receiver.answer({ status: 429, body: { code: 429, msg: 'too many' }, headers: { 'retry-after': '2' } });
    const limited = await deliveryError(sendWith());
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 2_000);
    assert.equal((await failWith('gone', 410)).permanent, true);
    assert.equal((await failWith('<html></html>')).permanent, false);
  });

  it('treats a closed port as a transient network error', async () => {
    const port = await closedPort();
    assert.equal((await deliveryError(sendWith({ apiBase: `http://127.0.0.1:${port}` }))).permanent, false);
  });
});
