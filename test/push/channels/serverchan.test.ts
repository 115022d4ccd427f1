// ServerChan against a local fake: {title, desp} to /{key}.send (or /send/{key}.send for sctp keys),
// newlines doubled, pasted URLs, and how its codes are judged.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serverchanChannel, serverchanUrl } from '../../../src/push/channels/serverchan.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

describe('serverchan channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ body: { code: 0, message: '', data: { pushid: '1', readkey: 'r', error: 'SUCCESS', errno: 0 } } }));

  const config = (over: Record<string, unknown> = {}) => serverchanChannel.config.parse({ sendKey: 'SCT12345abc', apiBase: h.receiver.url, ...over });
  const sendWith = (over: Record<string, unknown> = {}, message = sampleMessage()) => serverchanChannel.send(message, config(over), channelContext(h.http));

  it('posts {title, desp} to /{key}.send with the newlines of desp doubled', async () => {
    await sendWith({}, sampleMessage({ body: 'line 1\nline 2\r\nline 3' }));
    const req = h.receiver.last();
    assert.equal(h.receiver.requests.length, 1);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/SCT12345abc.send');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), { title: '❌ Daily check-in failed', desp: 'line 1\n\nline 2\n\nline 3' });
  });

  it('sends a sctp{n}t key to {n}.push.ft07.com/send/{key}.send', async () => {
    assert.equal(serverchanUrl('sctp42tAbC'), 'https://42.push.ft07.com/send/sctp42tAbC.send');
    assert.equal(serverchanUrl('SCT99x'), 'https://sctapi.ftqq.com/SCT99x.send');
    await sendWith({ sendKey: 'sctp42tAbC' });
    assert.equal(h.receiver.last().path, '/send/sctp42tAbC.send');
  });

  it('takes the key out of a pasted URL', async () => {
    await sendWith({ sendKey: 'https://sctapi.ftqq.com/SCTpasted.send?title=hi' });
    assert.equal(h.receiver.last().path, '/SCTpasted.send');
    await sendWith({ sendKey: 'https://7.push.ft07.com/send/sctp7tPasted.send' });
    assert.equal(h.receiver.last().path, '/send/sctp7tPasted.send');
  });

  it('cuts the title to 32 characters and names an untitled message by its first line', async () => {
    await sendWith({}, sampleMessage({ title: 'T'.repeat(40) }));
    assert.equal((h.receiver.last().json() as { title: string }).title, `${'T'.repeat(31)}…`);
    await sendWith({}, sampleMessage({ title: '', body: 'first line\nsecond' }));
    assert.equal((h.receiver.last().json() as { title: string }).title, 'first line');
  });

  it('cuts a long desp to 32000 UTF-8 bytes ending with …', async () => {
    await sendWith({}, sampleMessage({ body: '长'.repeat(20_000) }));
    const { desp } = h.receiver.last().json() as { desp: string };
    assert.ok(Buffer.byteLength(desp) <= 32_000 && Buffer.byteLength(desp) > 31_990);
    assert.ok(desp.endsWith('长…'));
  });

  it('a bad key, answered HTTP 200 or 400 with a code, is permanent and carries their message', async () => {
    h.receiver.answer({ body: { code: 40001, message: 'bad pushtoken', data: null } });
    const err = await deliveryError(sendWith());
    assert.equal(err.permanent, true);
    assert.equal(err.message, 'ServerChan: bad pushtoken (code 40001)');
    h.receiver.answer({ status: 400, body: { code: 40001, message: 'bad pushtoken' } });
    assert.equal((await deliveryError(sendWith())).permanent, true);
  });

  it('5xx and 429 with Retry-After are transient; other 4xx and odd 200s as the rules say', async () => {
    h.receiver.answer({ status: 503, body: 'unavailable' });
    const down = await deliveryError(sendWith());
    assert.equal(down.permanent, false);
    assert.equal(down.message, 'ServerChan: HTTP 503');

    h.receiver.answer({ status: 429, body: { code: 429, message: 'too many' }, headers: { 'retry-after': '60' } });
    const limited = await deliveryError(sendWith());
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 60_000);

    h.receiver.answer({ status: 404, body: 'no such page' });
    assert.equal((await deliveryError(sendWith())).permanent, true);

    h.receiver.answer({ status: 200, body: 'not json' });
    assert.equal((await deliveryError(sendWith())).permanent, false);
  });

  it('treats a closed port as a transient network error', async () => {
    const port = await closedPort();
    assert.equal((await deliveryError(sendWith({ apiBase: `http://127.0.0.1:${port}` }))).permanent, false);
  });
});
