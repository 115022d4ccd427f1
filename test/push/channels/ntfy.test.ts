// ntfy against a local fake: the JSON publish to the server root, the token, and error answers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ntfyChannel } from '../../../src/push/channels/ntfy.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

describe('ntfy channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ body: { id: 'x1', event: 'message', topic: 'alerts' } }));

  const config = (over: Record<string, unknown> = {}) => ntfyChannel.config.parse({ serverUrl: h.receiver.url, topic: 'alerts', ...over });
  const sendWith = (over: Record<string, unknown> = {}, message = sampleMessage()) => ntfyChannel.send(message, config(over), channelContext(h.http));

  it('posts JSON with topic, title, message, priority, tags and markdown to the server root, with a Bearer token', async () => {
    await sendWith({ token: 'tk_secret', priority: '4', tags: ['warning', 'skull'] });
    const req = h.receiver.last();
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/');
    assert.equal(req.headers.authorization, 'Bearer tk_secret');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), {
      topic: 'alerts',
      title: '❌ Daily check-in failed',
      message: 'Step 2/3: HTTP 500  \nnext run 08:00',
      priority: 4,
      tags: ['warning', 'skull'],
      markdown: true,
    });
  });

  it('sends no Authorization, priority or tags when none are set', async () => {
    await sendWith();
    const req = h.receiver.last();
    assert.equal(req.headers.authorization, undefined);
    assert.deepEqual(req.json(), { topic: 'alerts', title: '❌ Daily check-in failed', message: 'Step 2/3: HTTP 500  \nnext run 08:00', markdown: true });
  });

  it('reads the server and topic from a pasted topic URL, keeping a path prefix', async () => {
    await sendWith({ serverUrl: 'https://ntfy.sh', topic: `${h.receiver.url}/ntfy/mine` });
    const req = h.receiver.last();
    assert.equal(req.path, '/ntfy/');
    assert.equal((req.json() as { topic: string }).topic, 'mine');
  });

  it('cuts the message to 4096 UTF-8 bytes', async () => {
    await sendWith({}, sampleMessage({ body: '中'.repeat(2000) }));
    const { message } = h.receiver.last().json() as { message: string };
    assert.ok(Buffer.byteLength(message) <= 4096);
    assert.ok(Buffer.byteLength(message) > 4090);
    assert.ok(message.endsWith('…'));
  });

  it('explains a 401/403 with ntfy’s error and fails for good', async () => {
    h.receiver.answer({ status: 403, body: { code: 40301, http: 403, error: 'forbidden', link: 'https://ntfy.sh/docs/publish/#authentication' } });
    const err = await deliveryError(sendWith({ token: 'tk_wrong' }));
    assert.equal(err.permanent, true);
    assert.equal(err.message, 'ntfy: forbidden (HTTP 403)');
  });

  it('retries a 429 after its Retry-After and a 5xx; a closed port is transient too', async () => {
    h.receiver.answer({ status: 429, body: { code: 42901, http: 429, error: 'limit reached: too many requests' }, headers: { 'retry-after': '12' } });
    const limited = await deliveryError(sendWith());
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 12_000);

    h.receiver.answer({ status: 500, body: 'oops' });
    assert.equal((await deliveryError(sendWith())).permanent, false);

    const port = await closedPort();
    assert.equal((await deliveryError(sendWith({ serverUrl: `http://127.0.0.1:${port}` }))).permanent, false);
  });

  it('accepts priorities 1 to 5 only', () => {
    assert.equal(ntfyChannel.config.safeParse({ topic: 't', priority: 0 }).success, false);
    assert.equal(ntfyChannel.config.safeParse({ topic: 't', priority: 6 }).success, false);
    assert.equal(ntfyChannel.config.parse({ topic: 't' }).serverUrl, 'https://ntfy.sh');
  });
});
