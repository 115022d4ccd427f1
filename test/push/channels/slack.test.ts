// Slack against a local fake: {text}, success is 200 "ok"; 404 and invalid_token are permanent.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { slackChannel } from '../../../src/push/channels/slack.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

describe('slack channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ body: 'ok' }));

  const hook = () => `${h.receiver.url}/services/T000/B000/XXXX`;
  const sendWith = (message = sampleMessage(), webhookUrl = hook()) =>
    slackChannel.send(message, slackChannel.config.parse({ webhookUrl }), channelContext(h.http));

  it('posts {text} with title and body to the webhook URL', async () => {
    await sendWith();
    const req = h.receiver.last();
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/services/T000/B000/XXXX');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), { text: '❌ Daily check-in failed\n\nStep 2/3: HTTP 500\nnext run 08:00' });
  });

  it('escapes &, < and > which Slack reads as markup', async () => {
    await sendWith(sampleMessage({ title: '', body: 'if a < b && c > d <!channel>' }));
    assert.deepEqual(h.receiver.last().json(), { text: 'if a &lt; b &amp;&amp; c &gt; d &lt;!channel&gt;' });
  });

  it('fails for good on invalid_token (whatever the status), 404 and other 4xx', async () => {
    h.receiver.answer({ status: 403, body: 'invalid_token' });
    const token = await deliveryError(sendWith());
    assert.equal(token.permanent, true);
    assert.match(token.message, /^Slack: invalid_token \(HTTP 403\)/);

    // Even behind a gateway that answers 500 or 200, invalid_token means the token is gone.
    h.receiver.answer({ status: 500, body: 'invalid_token' });
    assert.equal((await deliveryError(sendWith())).permanent, true);
    h.receiver.answer({ status: 200, body: 'invalid_token' });
    assert.match((await deliveryError(sendWith())).message, /^Slack: invalid_token \(HTTP 200\); the webhook was removed/);

    h.receiver.answer({ status: 404, body: 'no_service' });
    assert.equal((await deliveryError(sendWith())).permanent, true);

    h.receiver.answer({ status: 410, body: 'channel_is_archived' });
    const archived = await deliveryError(sendWith());
    assert.equal(archived.permanent, true);
    assert.equal(archived.message, 'Slack: channel_is_archived (HTTP 410)');
  });

  it('does not take a 200 without "ok" as success', async () => {
    h.receiver.answer({ status: 200, body: '<html>proxy login</html>' });
    assert.equal((await deliveryError(sendWith())).permanent, true);
  });

  it('retries 5xx, 429 with Retry-After and a closed port', async () => {
    h.receiver.answer({ status: 500, body: 'rollup_error' });
    assert.equal((await deliveryError(sendWith())).permanent, false);

    h.receiver.answer({ status: 429, body: 'rate_limited', headers: { 'retry-after': '30' } });
    const limited = await deliveryError(sendWith());
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 30_000);

    const port = await closedPort();
    assert.equal((await deliveryError(sendWith(sampleMessage(), `http://127.0.0.1:${port}/services/x`))).permanent, false);
  });

  it('cuts the text to 40000 characters', async () => {
    await sendWith(sampleMessage({ title: '', body: 'y'.repeat(50_000) }));
    const { text } = h.receiver.last().json() as { text: string };
    assert.equal(text.length, 40_000);
    assert.ok(text.endsWith('y…'));
  });
});
