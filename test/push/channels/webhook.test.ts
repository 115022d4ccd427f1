// The Standard Webhooks channel against a local fake: the body, the three headers, and a signature
// recomputed here with node:crypto; the published test vector; the secret generator; error answers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { generateWebhookSecret, signWebhook, webhookChannel } from '../../../src/push/channels/webhook.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, FIXED_NOW, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const data = {
  task: { id: 7, name: 'Daily check-in' },
  run: { id: 91, status: 'failure', trigger: 'schedule', log: 'HTTP 500', error: 'step 2/3: status 500' },
};

describe('webhook channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ status: 204 }));

  const sendWith = (message = sampleMessage({ data }), url = `${h.receiver.url}/hooks/chime?x=1`) =>
    webhookChannel.send(message, webhookChannel.config.parse({ url, secret: SECRET }), channelContext(h.http));

  it('posts {type, timestamp, data} with webhook-id, webhook-timestamp (seconds now) and a v1 signature', async () => {
    await sendWith();
    const req = h.receiver.last();
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/hooks/chime');
    assert.deepEqual(req.query, { x: '1' });
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), {
      type: 'task.failure',
      timestamp: new Date(FIXED_NOW - 5_000).toISOString(),
      data: { ...data, title: '❌ Daily check-in failed', body: 'Step 2/3: HTTP 500\nnext run 08:00' },
    });
    assert.equal(req.headers['webhook-id'], 'msg_0001');
    assert.equal(req.headers['webhook-timestamp'], '1714564800');
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const expected = crypto.createHmac('sha256', key).update(`msg_0001.1714564800.${req.text}`).digest('base64');
    assert.equal(req.headers['webhook-signature'], `v1,${expected}`);
  });

  it('signs like the Standard Webhooks test vector', () => {
    assert.equal(
      signWebhook(SECRET, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('sends the digest data as it is given, plus title and body', async () => {
    const digest = { windowStart: '2024-04-30T12:00:00.000Z', windowEnd: '2024-05-01T12:00:00.000Z', tasks: [{ id: 7, name: 'A', successes: 3, failures: 1, runs: [] }] };
    await sendWith(sampleMessage({ event: 'digest', title: 'Digest', body: '1 task', data: digest }));
    assert.deepEqual(h.receiver.last().json(), { type: 'digest', timestamp: new Date(FIXED_NOW - 5_000).toISOString(), data: { ...digest, title: 'Digest', body: '1 task' } });
  });

  it('generates whsec_ secrets of 24 random bytes that it accepts', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    assert.match(a, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.equal(Buffer.from(a.slice(6), 'base64').length, 24);
    assert.notEqual(a, b);
    assert.equal(webhookChannel.config.safeParse({ url: 'https://example.com/h', secret: a }).success, true);
  });

  it('refuses secrets that are not base64 of at least 16 bytes', () => {
    const ok = (secret: string) => webhookChannel.config.safeParse({ url: 'https://example.com/h', secret }).success;
    assert.equal(ok('whsec_short'), false);
    assert.equal(ok('whsec_not base64 at all!!!!!!!!!!!'), false);
    assert.equal(ok(''), false);
    assert.equal(ok('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), true);
  });

  it('takes 2xx as success; 5xx, 429 and a closed port are transient, 4xx permanent', async () => {
    h.receiver.answer({ status: 200, body: 'thanks' });
    await sendWith();

    h.receiver.answer({ status: 503, body: 'busy' });
    assert.equal((await deliveryError(sendWith())).permanent, false);

    h.receiver.answer({ status: 429, body: '', headers: { 'retry-after': '60' } });
    assert.equal((await deliveryError(sendWith())).retryAfterMs, 60_000);

    h.receiver.answer({ status: 410, body: 'gone' });
    assert.equal((await deliveryError(sendWith())).permanent, true);

    const port = await closedPort();
    assert.equal((await deliveryError(sendWith(sampleMessage(), `http://127.0.0.1:${port}/h`))).permanent, false);
  });

  it('cuts the body field to 20000 characters', async () => {
    await sendWith(sampleMessage({ body: 'w'.repeat(25_000) }));
    const { data: sent } = h.receiver.last().json() as { data: { body: string } };
    assert.equal(sent.body.length, 20_000);
    assert.ok(sent.body.endsWith('w…'));
  });
});
