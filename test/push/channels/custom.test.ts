// Custom push (QD's) against a local fake: {t}/{log} and {{ title }}/{{ body }} encoded for where they
// stand (URL, JSON, form, raw), the headers field, and how answers are judged.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { customChannel } from '../../../src/push/channels/custom.js';
import { closedPort } from '../../helpers/http-servers.js';
import { useChannelHarness, channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

const TITLE = 'He said "hi" & left 中文';
const BODY = 'line 1\nline 2: a=b&c "quoted" \\ 签到失败';
const message = sampleMessage({ title: TITLE, body: BODY });

describe('custom channel', () => {
  const h = useChannelHarness((receiver) => receiver.answer({ status: 200, body: 'ok' }));

  const sendWith = (config: Record<string, unknown>, m = message) => customChannel.send(m, customChannel.config.parse(config), channelContext(h.http));

  it('URL-encodes the title and body in the URL of a GET, spaces and & included, and sends no body', async () => {
    await sendWith({ method: 'GET', url: `${h.receiver.url}/push/{t}?text={log}&x={{ title }}&fixed=1`, body: 'ignored {log}' });
    const req = h.receiver.last();
    assert.equal(req.method, 'GET');
    assert.equal(req.path, `/push/${encodeURIComponent(TITLE)}`);
    assert.deepEqual(req.query, { text: BODY, x: TITLE, fixed: '1' });
    assert.ok(!req.url.includes(' ') && req.url.includes('%20') && req.url.includes('%26c'), req.url);
    assert.equal(req.text, '');
  });

  it('JSON-escapes them in a JSON body, which then parses, keeping 中文 as is', async () => {
    await sendWith({ url: `${h.receiver.url}/hook`, bodyType: 'json', body: '{"title": "{t}", "text": "{{ body }}", "n": 1}' });
    const req = h.receiver.last();
    assert.equal(req.method, 'POST');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.json(), { title: TITLE, text: BODY, n: 1 });
    assert.ok(req.text.includes('签到失败') && !req.text.includes('\\u'), req.text);
    assert.ok(req.text.includes('line 1\\nline 2'), req.text);
  });

  it('form-encodes them in a form body', async () => {
    await sendWith({ method: 'PUT', url: `${h.receiver.url}/form`, bodyType: 'form', body: 'title={t}&desp={log}&v=2' });
    const req = h.receiver.last();
    assert.equal(req.method, 'PUT');
    assert.match(String(req.headers['content-type']), /^application\/x-www-form-urlencoded/);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(req.text)), { title: TITLE, desp: BODY, v: '2' });
    assert.ok(req.text.startsWith('title=He+said+%22hi%22+%26+left+%E4%B8%AD%E6%96%87&'), req.text);
  });

  it('inserts them as they are in a raw body', async () => {
    await sendWith({ url: `${h.receiver.url}/raw`, bodyType: 'raw', body: 'T: {t}\nB: {{ body }}' });
    const req = h.receiver.last();
    assert.match(String(req.headers['content-type']), /^text\/plain/);
    assert.equal(req.text, `T: ${TITLE}\nB: ${BODY}`);
  });

  it('reads {{t}} and {{ log }} as Jinja variables (aliases), not as {t} inside braces', async () => {
    await sendWith({ url: `${h.receiver.url}/raw`, bodyType: 'raw', body: '{{t}}|{{ log | length }}' });
    assert.equal(h.receiver.last().text, `${TITLE}|${BODY.length}`);
  });

  it('never reads a title or body as a template', async () => {
    const sneaky = sampleMessage({ title: '{log}', body: '{t} {{ 7 * 7 }} {% if 1 %}x{% endif %}' });
    await sendWith({ url: `${h.receiver.url}/raw`, bodyType: 'raw', body: '{t}|{log}' }, sneaky);
    assert.equal(h.receiver.last().text, '{log}|{t} {{ 7 * 7 }} {% if 1 %}x{% endif %}');
  });

  it('sends the headers given, and their Content-Type instead of the default', async () => {
    const headers = JSON.stringify({ Authorization: 'Bearer s3cret', 'Content-Type': 'application/vnd.chime+json' });
    await sendWith({ url: `${h.receiver.url}/h`, headers, bodyType: 'json', body: '{"m":"{log}"}' });
    const req = h.receiver.last();
    assert.equal(req.headers.authorization, 'Bearer s3cret');
    assert.equal(req.headers['content-type'], 'application/vnd.chime+json');
  });

  it('accepts only a JSON object of strings as headers, and an h.http(s) URL', () => {
    const ok = (headers: string) => customChannel.config.safeParse({ url: 'https://example.com/x', headers }).success;
    assert.equal(ok('{"X-Key": "1"}'), true);
    assert.equal(ok(''), true);
    assert.equal(ok('{"X-Key": 1}'), false);
    assert.equal(ok('["X-Key"]'), false);
    assert.equal(ok('X-Key: 1'), false);
    assert.equal(customChannel.config.safeParse({ url: 'ftp://example.com' }).success, false);
    assert.equal(customChannel.config.safeParse({ url: 'https://example.com', method: 'DELETE' }).success, false);
  });

  it('fails for good when the JSON body does not parse once filled, or the template has an error', async () => {
    const unquoted = await deliveryError(sendWith({ url: `${h.receiver.url}/j`, bodyType: 'json', body: '{"text": {log}}' }));
    assert.equal(unquoted.permanent, true);
    assert.match(unquoted.message, /not valid JSON/);
    const broken = await deliveryError(sendWith({ url: `${h.receiver.url}/j`, bodyType: 'raw', body: '{{ body | no_such_filter }}' }));
    assert.equal(broken.permanent, true);
    assert.match(broken.message, /^the body template has an error/);
    assert.equal(h.receiver.requests.length, 0);
  });

  it('takes any 2xx as success; 5xx, 429 and a closed port are transient, other 4xx permanent', async () => {
    h.receiver.answer({ status: 201, body: '' });
    await sendWith({ url: `${h.receiver.url}/a` });

    h.receiver.answer({ status: 500, body: 'boom' });
    assert.equal((await deliveryError(sendWith({ url: `${h.receiver.url}/a` }))).permanent, false);

    h.receiver.answer({ status: 429, body: 'later', headers: { 'retry-after': '5' } });
    const limited = await deliveryError(sendWith({ url: `${h.receiver.url}/a` }));
    assert.equal(limited.permanent, false);
    assert.equal(limited.retryAfterMs, 5000);

    h.receiver.answer({ status: 401, body: 'no' });
    assert.equal((await deliveryError(sendWith({ url: `${h.receiver.url}/a` }))).permanent, true);

    const port = await closedPort();
    assert.equal((await deliveryError(sendWith({ url: `http://127.0.0.1:${port}/a` }))).permanent, false);
  });

  it('cuts a long body to 10000 characters', async () => {
    await sendWith({ url: `${h.receiver.url}/raw`, bodyType: 'raw', body: '{log}' }, sampleMessage({ body: 'z'.repeat(12_000) }));
    assert.equal(h.receiver.last().text.length, 10_000);
    assert.ok(h.receiver.last().text.endsWith('z…'));
  });
});
