// DingTalk against a local fake: the markdown message, 加签 recomputed here with node:crypto, a pasted
// webhook URL, and how errcodes are judged (HTTP 200 for errors too).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { dingtalkChannel } from '../../../src/push/channels/dingtalk.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, FIXED_NOW, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

const SECRET = 'SECtest-secret';

describe('dingtalk channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ body: { errcode: 0, errmsg: 'ok' } }));

  const config = (over: Record<string, unknown> = {}) => dingtalkChannel.config.parse({ accessToken: 'tok123', apiBase: h.receiver.url, ...over });
  const sendWith = (over: Record<string, unknown> = {}, message = sampleMessage()) => dingtalkChannel.send(message, config(over), channelContext(h.http));
  const failWith = (errcode: number, errmsg: string) => {
    h.receiver.answer({ body: { errcode, errmsg } });
    return deliveryError(sendWith());
  };

  it('posts the markdown message to /robot/send?access_token=…', async () => {
    await sendWith();
    const req = h.receiver.last();
    assert.equal(h.receiver.requests.length, 1);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/robot/send');
    assert.deepEqual(req.query, { access_token: 'tok123' });
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), {
      msgtype: 'markdown',
      markdown: { title: '❌ Daily check-in failed', text: '❌ Daily check-in failed\n\nStep 2/3: HTTP 500\nnext run 08:00' },
      at: { atMobiles: [], isAtAll: false },
    });
  });

  it('signs with 加签: timestamp in ms and the URL-encoded HMAC in the query', async () => {
    await sendWith({ secret: SECRET });
    const timestamp = String(FIXED_NOW);
    const expected = createHmac('sha256', SECRET).update(`${timestamp}\n${SECRET}`).digest('base64');
    assert.match(expected, /\+/, 'the fixture signature must contain "+" so that a missing URL-encoding shows');
    assert.deepEqual(h.receiver.last().query, { access_token: 'tok123', timestamp: '1714564800000', sign: expected });
  });

  it('takes the token out of a pasted webhook URL', async () => {
    await sendWith({ accessToken: 'https://oapi.dingtalk.com/robot/send?access_token=pasted789' });
    assert.deepEqual(h.receiver.last().query, { access_token: 'pasted789' });
  });

  it('mentions the mobiles (in `at` and in the text) and @all', async () => {
    await sendWith({ atMobiles: ['13800000000', '13900000000'], atAll: true });
    const sent = h.receiver.last().json() as { markdown: { text: string }; at: unknown };
    assert.deepEqual(sent.at, { atMobiles: ['13800000000', '13900000000'], isAtAll: true });
    assert.ok(sent.markdown.text.endsWith('next run 08:00\n\n@13800000000 @13900000000'));
  });

  it('cuts a long text to 19000 UTF-8 bytes ending with …', async () => {
    await sendWith({}, sampleMessage({ title: '', body: '长'.repeat(8000) }));
    const { text } = (h.receiver.last().json() as { markdown: { text: string } }).markdown;
    assert.ok(Buffer.byteLength(text) <= 19_000 && Buffer.byteLength(text) > 18_990);
    assert.ok(text.endsWith('长…'));
  });

  it('310000 (keyword, signature or IP refused) is permanent and explained, HTTP 200 notwithstanding', async () => {
    const err = await failWith(310000, 'sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]');
    assert.equal(err.permanent, true);
    assert.match(err.message, /^DingTalk refused the message because of the robot's security settings .*sign not match/);
  });

  it('an invalid token (300001) is permanent with DingTalk’s words', async () => {
    const err = await failWith(300001, 'token is not exist');
    assert.equal(err.permanent, true);
    assert.equal(err.message, 'DingTalk: token is not exist (errcode 300001)');
  });

  it('busy (-1) is transient; throttling (130101, 410100) waits 10 minutes', async () => {
    const busy = await failWith(-1, '系统繁忙');
    assert.equal(busy.permanent, false);
    for (const code of [130101, 410100]) {
      const throttled = await failWith(code, 'send too fast, exceed 20 times per minute');
      assert.equal(throttled.permanent, false);
      assert.equal(throttled.retryAfterMs, 600_000);
    }
  });

  it('5xx and 429 (with Retry-After) are transient, other 4xx permanent, a 200 without errcode transient', async () => {
    h.receiver.answer({ status: 503, body: 'unavailable' });
    assert.equal((await deliveryError(sendWith())).permanent, false);
    h.receiver.answer({ status: 429, body: 'slow', headers: { 'retry-after': '5' } });
    const limited = await deliveryError(sendWith());
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 5_000);
    h.receiver.answer({ status: 404, body: 'nope' });
    assert.equal((await deliveryError(sendWith())).permanent, true);
    h.receiver.answer({ status: 200, body: '<html></html>' });
    assert.equal((await deliveryError(sendWith())).permanent, false);
  });

  it('treats a closed port as a transient network error', async () => {
    const port = await closedPort();
    assert.equal((await deliveryError(sendWith({ apiBase: `http://127.0.0.1:${port}` }))).permanent, false);
  });
});
