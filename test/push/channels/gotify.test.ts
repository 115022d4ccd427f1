// Gotify against a local fake: POST /message with X-Gotify-Key; success is 200 with a message id.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gotifyChannel } from '../../../src/push/channels/gotify.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

describe('gotify channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ body: { id: 25, appid: 3, message: 'x', title: 'y', priority: 5, date: '2024-05-01T12:00:00Z' } }));

  const config = (over: Record<string, unknown> = {}) => gotifyChannel.config.parse({ serverUrl: h.receiver.url, appToken: 'AbCdEf.123', ...over });
  const sendWith = (over: Record<string, unknown> = {}, message = sampleMessage()) => gotifyChannel.send(message, config(over), channelContext(h.http));

  it('posts title, message and priority to /message with the app token in X-Gotify-Key', async () => {
    await sendWith({ priority: 8 });
    const req = h.receiver.last();
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/message');
    assert.deepEqual(req.query, {});
    assert.equal(req.headers['x-gotify-key'], 'AbCdEf.123');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), { title: '❌ Daily check-in failed', message: 'Step 2/3: HTTP 500\nnext run 08:00', priority: 8 });
  });

  it('leaves the priority to the app when none is set, and keeps a server path prefix', async () => {
    await sendWith({ serverUrl: `${h.receiver.url}/gotify/` });
    const req = h.receiver.last();
    assert.equal(req.path, '/gotify/message');
    assert.deepEqual(req.json(), { title: '❌ Daily check-in failed', message: 'Step 2/3: HTTP 500\nnext run 08:00' });
  });

  it('takes the token from a pasted URL with ?token=', async () => {
    await sendWith({ appToken: 'https://push.example.com/message?token=FromUrl' });
    assert.equal(h.receiver.last().headers['x-gotify-key'], 'FromUrl');
  });

  it('fails for good on 401 with Gotify’s explanation, and on a 200 that has no message id', async () => {
    h.receiver.answer({ status: 401, body: { error: 'Unauthorized', errorCode: 401, errorDescription: 'you need to provide a valid access token or user credentials to access this api' } });
    const denied = await deliveryError(sendWith());
    assert.equal(denied.permanent, true);
    assert.match(denied.message, /^Gotify: you need to provide a valid access token/);

    h.receiver.answer({ status: 200, body: '<html>login</html>' });
    const notGotify = await deliveryError(sendWith());
    assert.equal(notGotify.permanent, true);
    assert.match(notGotify.message, /no message id/);
  });

  it('retries 5xx, 429 with Retry-After and a closed port', async () => {
    h.receiver.answer({ status: 503, body: 'down' });
    assert.equal((await deliveryError(sendWith())).permanent, false);

    h.receiver.answer({ status: 429, body: 'slow', headers: { 'retry-after': '2' } });
    const limited = await deliveryError(sendWith());
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 2000);

    const port = await closedPort();
    assert.equal((await deliveryError(sendWith({ serverUrl: `http://127.0.0.1:${port}` }))).permanent, false);
  });

  it('cuts a long message to 20000 characters', async () => {
    await sendWith({}, sampleMessage({ body: 'x'.repeat(30_000) }));
    const { message } = h.receiver.last().json() as { message: string };
    assert.equal(message.length, 20_000);
    assert.ok(message.endsWith('x…'));
  });
});
