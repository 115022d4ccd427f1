// Bark against a local fake: the JSON posted to {server}/push, a pasted key URL, and how codes are judged.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { barkChannel, barkTarget } from '../../../src/push/channels/bark.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

describe('bark channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ body: { code: 200, message: 'success', timestamp: 1714564800 } }));

  const config = (over: Record<string, unknown> = {}) => barkChannel.config.parse({ serverUrl: h.receiver.url, deviceKey: 'Kx7pQ2', ...over });
  const sendWith = (over: Record<string, unknown> = {}, message = sampleMessage()) => barkChannel.send(message, config(over), channelContext(h.http));

  it('posts device_key, title, body and the options to /push', async () => {
    await sendWith({ group: 'chime', sound: 'alarm', level: 'timeSensitive', icon: 'https://example.com/i.png', url: 'https://example.com/run/1' });
    const req = h.receiver.last();
    assert.equal(h.receiver.requests.length, 1);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/push');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), {
      device_key: 'Kx7pQ2',
      title: '❌ Daily check-in failed',
      body: 'Step 2/3: HTTP 500\nnext run 08:00',
      group: 'chime',
      sound: 'alarm',
      level: 'timeSensitive',
      icon: 'https://example.com/i.png',
      url: 'https://example.com/run/1',
    });
  });

  it('leaves out unset options and opens the message link when no url is configured', async () => {
    await sendWith({}, sampleMessage({ url: 'https://chime.example/runs/9' }));
    assert.deepEqual(h.receiver.last().json(), {
      device_key: 'Kx7pQ2',
      title: '❌ Daily check-in failed',
      body: 'Step 2/3: HTTP 500\nnext run 08:00',
      url: 'https://chime.example/runs/9',
    });
  });

  it('splits a pasted https://host/KEY/… into the server and the key', async () => {
    await sendWith({ serverUrl: undefined, deviceKey: `${h.receiver.url}/PastedKey/这里改成你自己的推送内容` });
    assert.equal(h.receiver.last().path, '/push');
    assert.equal((h.receiver.last().json() as { device_key: string }).device_key, 'PastedKey');
    assert.deepEqual(barkTarget('https://api.day.app/ABC/', undefined), { server: 'https://api.day.app', key: 'ABC' });
    assert.deepEqual(barkTarget('ABC', undefined), { server: 'https://api.day.app', key: 'ABC' });
    assert.deepEqual(barkTarget('ABC', 'https://bark.example.com/prefix/'), { server: 'https://bark.example.com/prefix', key: 'ABC' });
  });

  it('cuts a long body to 3000 UTF-8 bytes ending with …', async () => {
    await sendWith({}, sampleMessage({ body: '长'.repeat(2000) }));
    const { body } = h.receiver.last().json() as { body: string };
    assert.ok(Buffer.byteLength(body) <= 3000);
    assert.ok(Buffer.byteLength(body) > 2990);
    assert.ok(body.endsWith('长…'));
  });

  it('an unknown device key (400 with code 400) is permanent and carries Bark’s message', async () => {
    h.receiver.answer({ status: 400, body: { code: 400, message: 'failed to get device token: failed to get [x] device token from database' } });
    const err = await deliveryError(sendWith());
    assert.equal(err.permanent, true);
    assert.equal(err.message, 'Bark: failed to get device token: failed to get [x] device token from database');
  });

  it('judges an HTTP 200 answer by its code', async () => {
    h.receiver.answer({ body: { code: 400, message: 'device key is empty' } });
    const err = await deliveryError(sendWith());
    assert.equal(err.permanent, true);
    assert.equal(err.message, 'Bark: device key is empty');
  });

  it('APNs trouble (500), 5xx pages and 429 with Retry-After are transient', async () => {
    h.receiver.answer({ status: 500, body: { code: 500, message: 'push failed: 503 ServiceUnavailable' } });
    assert.equal((await deliveryError(sendWith())).permanent, false);

    h.receiver.answer({ status: 502, body: '<html>bad gateway</html>' });
    assert.equal((await deliveryError(sendWith())).permanent, false);

    h.receiver.answer({ status: 429, body: 'slow down', headers: { 'retry-after': '20' } });
    const limited = await deliveryError(sendWith());
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 20_000);
  });

  it('other 4xx are permanent; a 200 that is not Bark’s answer is transient', async () => {
    h.receiver.answer({ status: 404, body: 'not found' });
    assert.equal((await deliveryError(sendWith())).permanent, true);
    h.receiver.answer({ status: 200, body: '<html>captive portal</html>' });
    assert.equal((await deliveryError(sendWith())).permanent, false);
  });

  it('treats a closed port as a transient network error', async () => {
    const port = await closedPort();
    assert.equal((await deliveryError(sendWith({ serverUrl: `http://127.0.0.1:${port}` }))).permanent, false);
  });

  it('rejects a config without a device key or with an unknown level', () => {
    assert.equal(barkChannel.config.safeParse({ deviceKey: '' }).success, false);
    assert.equal(barkChannel.config.safeParse({ deviceKey: 'k', level: 'loud' }).success, false);
  });
});
