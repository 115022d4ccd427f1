// Discord against a local fake: {content} up to 2000 characters; 404 permanent; 429 retry_after.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { discordChannel } from '../../../src/push/channels/discord.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

describe('discord channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ status: 204 }));

  const hook = () => `${h.receiver.url}/api/webhooks/123/tok-en`;
  const sendWith = (message = sampleMessage(), webhookUrl = hook()) =>
    discordChannel.send(message, discordChannel.config.parse({ webhookUrl }), channelContext(h.http));

  it('posts {content} with the title, a blank line and the body to the webhook URL', async () => {
    await sendWith();
    const req = h.receiver.last();
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/api/webhooks/123/tok-en');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), { content: '❌ Daily check-in failed\n\nStep 2/3: HTTP 500\nnext run 08:00' });
  });

  it('takes 200 as success too', async () => {
    h.receiver.answer({ status: 200, body: { id: '1' } });
    await sendWith();
  });

  it('cuts the content to 2000 characters ending with …, counting an emoji as two', async () => {
    await sendWith(sampleMessage({ title: '', body: 'd'.repeat(2500) }));
    const plain = (h.receiver.last().json() as { content: string }).content;
    assert.equal(plain, `${'d'.repeat(1999)}…`);

    await sendWith(sampleMessage({ title: '', body: '🙂'.repeat(3000) }));
    const { content } = h.receiver.last().json() as { content: string };
    assert.equal(content, `${'🙂'.repeat(999)}…`);
  });

  it('fails for good on 404 Unknown Webhook and on 400', async () => {
    h.receiver.answer({ status: 404, body: { message: 'Unknown Webhook', code: 10015 } });
    const gone = await deliveryError(sendWith());
    assert.equal(gone.permanent, true);
    assert.equal(gone.message, 'Discord: Unknown Webhook (HTTP 404)');

    h.receiver.answer({ status: 400, body: { message: 'Cannot send an empty message', code: 50006 } });
    assert.equal((await deliveryError(sendWith())).permanent, true);
  });

  it('waits retry_after seconds (fractional) from the body of a 429, else the Retry-After header', async () => {
    h.receiver.answer({ status: 429, body: { message: 'You are being rate limited.', retry_after: 1.337, global: false }, headers: { 'retry-after': '2' } });
    const limited = await deliveryError(sendWith());
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 1337);

    h.receiver.answer({ status: 429, body: 'slow down', headers: { 'retry-after': '7' } });
    assert.equal((await deliveryError(sendWith())).retryAfterMs, 7000);
  });

  it('retries 5xx and a closed port', async () => {
    h.receiver.answer({ status: 502, body: 'bad gateway' });
    assert.equal((await deliveryError(sendWith())).permanent, false);
    const port = await closedPort();
    assert.equal((await deliveryError(sendWith(sampleMessage(), `http://127.0.0.1:${port}/api/webhooks/1/x`))).permanent, false);
  });
});
