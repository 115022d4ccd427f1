// PushPlus against a local fake: the exact request, and how its answer codes are judged.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pushplusChannel } from '../../../src/push/channels/pushplus.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

describe('pushplus channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ body: { code: 200, msg: '请求成功', data: 'abc' } }));

  const config = (over: Record<string, unknown> = {}) => pushplusChannel.config.parse({ token: 'tok123', apiBase: h.receiver.url, ...over });
  const sendWith = (over: Record<string, unknown> = {}, message = sampleMessage()) => pushplusChannel.send(message, config(over), channelContext(h.http));

  it('posts token, title, the body as HTML and the template to /send', async () => {
    await sendWith({}, sampleMessage({ body: 'a < b & c\nline 2' }));
    const req = h.receiver.last();
    assert.equal(h.receiver.requests.length, 1);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/send');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), { token: 'tok123', title: '❌ Daily check-in failed', content: 'a &lt; b &amp; c<br>line 2', template: 'html' });
  });

  it('sends the topic, and txt and markdown bodies keep their line breaks', async () => {
    await sendWith({ template: 'txt', topic: 'team' });
    assert.deepEqual(h.receiver.last().json(), { token: 'tok123', title: '❌ Daily check-in failed', content: 'Step 2/3: HTTP 500\nnext run 08:00', template: 'txt', topic: 'team' });
    await sendWith({ template: 'markdown' });
    assert.equal((h.receiver.last().json() as { content: string }).content, 'Step 2/3: HTTP 500  \nnext run 08:00');
  });

  it('takes the token out of a pasted URL (query or path)', async () => {
    await sendWith({ token: 'https://www.pushplus.plus/send?token=fromquery&title=x' });
    assert.equal((h.receiver.last().json() as { token: string }).token, 'fromquery');
    await sendWith({ token: 'http://www.pushplus.plus/send/frompath' });
    assert.equal((h.receiver.last().json() as { token: string }).token, 'frompath');
  });

  it('keeps an apiBase path as a prefix', async () => {
    await sendWith({ apiBase: `${h.receiver.url}/relay/` });
    assert.equal(h.receiver.last().path, '/relay/send');
  });

  it('cuts a long body to 20000 characters ending with …', async () => {
    await sendWith({ template: 'txt' }, sampleMessage({ body: '长'.repeat(25_000) }));
    const { content } = h.receiver.last().json() as { content: string };
    assert.equal([...content].length, 20_000);
    assert.ok(content.endsWith('长…'));
  });

  it('judges HTTP 200 by the code in the body: 903 bad token and 999 are permanent, 500 transient', async () => {
    h.receiver.answer({ body: { code: 903, msg: '无效的用户token', data: null } });
    const bad = await deliveryError(sendWith());
    assert.equal(bad.permanent, true);
    assert.match(bad.message, /903: the token is not valid \(无效的用户token\)/);

    h.receiver.answer({ body: { code: 999, msg: '服务端验证错误', data: null } });
    assert.equal((await deliveryError(sendWith())).permanent, true);

    h.receiver.answer({ body: { code: 900, msg: '用户账号使用受限', data: null } });
    assert.equal((await deliveryError(sendWith())).permanent, true);

    h.receiver.answer({ body: { code: 500, msg: '系统异常', data: null } });
    assert.equal((await deliveryError(sendWith())).permanent, false);
  });

  it('treats HTTP 5xx and 429 (with Retry-After) as transient, other 4xx as permanent', async () => {
    h.receiver.answer({ status: 502, body: 'bad gateway' });
    assert.equal((await deliveryError(sendWith())).permanent, false);

    h.receiver.answer({ status: 429, body: 'slow down', headers: { 'retry-after': '30' } });
    const limited = await deliveryError(sendWith());
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 30_000);

    h.receiver.answer({ status: 403, body: 'forbidden' });
    assert.equal((await deliveryError(sendWith())).permanent, true);
  });

  it('treats a closed port as a transient network error', async () => {
    const port = await closedPort();
    const err = await deliveryError(sendWith({ apiBase: `http://127.0.0.1:${port}` }));
    assert.equal(err.permanent, false);
  });

  it('rejects a config without a token or with an unknown template', () => {
    assert.equal(pushplusChannel.config.safeParse({ token: '' }).success, false);
    assert.equal(pushplusChannel.config.safeParse({ token: 'x', template: 'json' }).success, false);
  });
});
