// WeCom app against a local fake: gettoken, then message/send with the token; the token cache (one
// gettoken for two sends, expiry at expires_in − 300 s on a fixed clock, dropped and fetched again
// once on 42001), 60020 explained, and how errcodes are judged.
import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpClient, type HttpClient } from '../../../src/lib/http.js';
import { memoryCache } from '../../../src/push/channel.js';
import { wecomAppChannel } from '../../../src/push/channels/wecom_app.js';
import { closedPort } from '../../helpers/http-servers.js';
import { FIXED_NOW, channelContext, deliveryError, sampleMessage, startPushReceiver, type Answer, type PushReceiver } from '../../helpers/push-receiver.js';

const OK = { errcode: 0, errmsg: 'ok', msgid: 'm1' };

describe('wecom_app channel', () => {
  let http: HttpClient;
  let receiver: PushReceiver;
  let tokens: number;
  /** What message/send answers, in turn; the last one repeats. */
  let sendAnswers: Answer[];
  let tokenAnswer: Answer | undefined;
  const clock = { t: FIXED_NOW, now: () => clock.t };

  before(() => {
    http = createHttpClient({ allowPrivateNetwork: true });
  });
  after(() => http.close());
  beforeEach(async () => {
    receiver = await startPushReceiver();
    tokens = 0;
    sendAnswers = [{ body: OK }];
    tokenAnswer = undefined;
    clock.t = FIXED_NOW;
    receiver.answer((req) => {
      if (req.path.endsWith('/cgi-bin/gettoken')) return tokenAnswer ?? { body: { errcode: 0, errmsg: 'ok', access_token: `tok${++tokens}`, expires_in: 7200 } };
      return sendAnswers.length > 1 ? sendAnswers.shift()! : sendAnswers[0]!;
    });
  });
  afterEach(() => receiver.close());

  const config = (over: Record<string, unknown> = {}) =>
    wecomAppChannel.config.parse({ corpId: 'ww1234', corpSecret: 's3cr/et+', agentId: '1000002', apiBase: receiver.url, ...over });
  const context = () => channelContext(http, { clock, cache: memoryCache(clock) });
  const sendWith = (over: Record<string, unknown> = {}, ctx = context(), message = sampleMessage()) => wecomAppChannel.send(message, config(over), ctx);
  const paths = () => receiver.requests.map((r) => `${r.method} ${r.path} ${r.query.access_token ?? ''}`.trim());

  it('gets a token, then posts the text message with it', async () => {
    await sendWith();
    const [token, message] = receiver.requests;
    assert.equal(receiver.requests.length, 2);
    assert.equal(token?.method, 'GET');
    assert.equal(token?.path, '/cgi-bin/gettoken');
    assert.deepEqual(token?.query, { corpid: 'ww1234', corpsecret: 's3cr/et+' });
    assert.equal(message?.method, 'POST');
    assert.equal(message?.path, '/cgi-bin/message/send');
    assert.deepEqual(message?.query, { access_token: 'tok1' });
    assert.match(String(message?.headers['content-type']), /^application\/json/);
    assert.deepEqual(message?.json(), {
      touser: '@all',
      msgtype: 'text',
      agentid: 1000002,
      text: { content: '❌ Daily check-in failed\n\nStep 2/3: HTTP 500\nnext run 08:00' },
      safe: 0,
    });
  });

  it('sends to the given users and keeps an apiBase path as a prefix', async () => {
    await sendWith({ toUser: 'alice|bob', apiBase: `${receiver.url}/wecom/` });
    assert.deepEqual(paths(), ['GET /wecom/cgi-bin/gettoken', 'POST /wecom/cgi-bin/message/send tok1']);
    assert.equal((receiver.last().json() as { touser: string }).touser, 'alice|bob');
  });

  it('two sends fetch one token', async () => {
    const ctx = context();
    await sendWith({}, ctx);
    await sendWith({}, ctx);
    assert.deepEqual(paths(), ['GET /cgi-bin/gettoken', 'POST /cgi-bin/message/send tok1', 'POST /cgi-bin/message/send tok1']);
  });

  it('a cached token expires expires_in − 300 s after it was fetched', async () => {
    const ctx = context();
    await sendWith({}, ctx);
    clock.t = FIXED_NOW + 6900 * 1000 - 1;
    await sendWith({}, ctx);
    clock.t = FIXED_NOW + 6900 * 1000;
    await sendWith({}, ctx);
    assert.deepEqual(paths(), [
      'GET /cgi-bin/gettoken', 'POST /cgi-bin/message/send tok1',
      'POST /cgi-bin/message/send tok1',
      'GET /cgi-bin/gettoken', 'POST /cgi-bin/message/send tok2',
    ]);
  });

  it('on 42001 the token is dropped, fetched again and the message resent once', async () => {
    const ctx = context();
    sendAnswers = [{ body: { errcode: 42001, errmsg: 'access_token expired' } }, { body: OK }];
    await sendWith({}, ctx);
    await sendWith({}, ctx);
    assert.deepEqual(paths(), [
      'GET /cgi-bin/gettoken', 'POST /cgi-bin/message/send tok1',
      'GET /cgi-bin/gettoken', 'POST /cgi-bin/message/send tok2',
      'POST /cgi-bin/message/send tok2',
    ]);
  });

  it('a token refused twice (40014) fails after one retry, as transient', async () => {
    sendAnswers = [{ body: { errcode: 40014, errmsg: 'invalid access_token' } }];
    const err = await deliveryError(sendWith());
    assert.equal(err.permanent, false);
    assert.equal(err.message, 'WeCom app: invalid access_token (errcode 40014)');
    assert.equal(receiver.requests.length, 4);
  });

  it('60020 says plainly that the server IP is not trusted, and is permanent', async () => {
    sendAnswers = [{ body: { errcode: 60020, errmsg: 'not allow to access from your ip, hint: [1714564800], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020' } }];
    const err = await deliveryError(sendWith());
    assert.equal(err.permanent, true);
    assert.equal(err.message, "WeCom app: this server's IP address (203.0.113.7) is not in the app's trusted IPs (企业可信IP); a WeCom admin must add it in the app's settings");
    assert.match(err.detail ?? '', /not allow to access from your ip/);
  });

  it('a wrong secret at gettoken (HTTP 200, errcode 40001) is permanent and nothing is sent', async () => {
    tokenAnswer = { body: { errcode: 40001, errmsg: 'invalid credential' } };
    const err = await deliveryError(sendWith());
    assert.equal(err.permanent, true);
    assert.equal(err.message, 'WeCom app (getting the access token): invalid credential (errcode 40001)');
    assert.deepEqual(paths(), ['GET /cgi-bin/gettoken']);
  });

  it('judges message/send codes: bad recipients permanent, busy and rate limits transient', async () => {
    sendAnswers = [{ body: { errcode: 81013, errmsg: 'user & party & tag all invalid' } }];
    assert.equal((await deliveryError(sendWith())).permanent, true);
    for (const errcode of [-1, 45009]) {
      sendAnswers = [{ body: { errcode, errmsg: 'busy' } }];
      assert.equal((await deliveryError(sendWith())).permanent, false);
    }
  });

  it('5xx and 429 (with Retry-After) are transient, other 4xx permanent, a 200 without errcode transient', async () => {
    tokenAnswer = { status: 502, body: 'bad gateway' };
    assert.equal((await deliveryError(sendWith())).permanent, false);
    tokenAnswer = undefined;
    sendAnswers = [{ status: 429, body: 'slow', headers: { 'retry-after': '12' } }];
    const limited = await deliveryError(sendWith());
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 12_000);
    sendAnswers = [{ status: 404, body: 'nope' }];
    assert.equal((await deliveryError(sendWith())).permanent, true);
    sendAnswers = [{ status: 200, body: 'hello' }];
    assert.equal((await deliveryError(sendWith())).permanent, false);
  });

  it('cuts the text to 2048 UTF-8 bytes ending with …', async () => {
    await sendWith({}, context(), sampleMessage({ title: '', body: '长'.repeat(1000) }));
    const { content } = (receiver.last().json() as { text: { content: string } }).text;
    assert.ok(Buffer.byteLength(content) <= 2048 && Buffer.byteLength(content) > 2042);
    assert.ok(content.endsWith('长…'));
  });

  it('treats a closed port as a transient network error', async () => {
    const port = await closedPort();
    assert.equal((await deliveryError(sendWith({ apiBase: `http://127.0.0.1:${port}` }))).permanent, false);
  });

  it('requires the corp ID, secret and a numeric agent ID', () => {
    assert.equal(wecomAppChannel.config.safeParse({ corpId: 'w', corpSecret: 's', agentId: 'abc' }).success, false);
    assert.equal(wecomAppChannel.config.safeParse({ corpId: '', corpSecret: 's', agentId: 1 }).success, false);
  });
});
