// /api/v1/push: the channel catalog, registrations with write-only encrypted secrets, Test on saved
// and unsaved configs against local stand-ins for the providers, the delivery history, and a message
// to a failing endpoint that is retried and delivered once the endpoint recovers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, TEST_SECRET, type TestApp } from '../helpers/app.js';
import { api, assertApiError, userWithToken } from '../helpers/client.js';
import { startPushReceiver, type PushReceiver } from '../helpers/push-receiver.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { enqueue } from '../../src/push/outbox-repo.js';
import { createDispatcher } from '../../src/push/dispatcher.js';
import { createSecretBox } from '../../src/db/secret-box.js';
import { createHttpClient } from '../../src/lib/http.js';
import { silentLogger } from '../../src/lib/log.js';

const DEVICE_KEY = 'bark-device-key-4711';

for (const dialect of DIALECTS) {
  describe(`push API (${dialect})`, () => {
    let app: TestApp;
    let receiver: PushReceiver;
    let ada: Awaited<ReturnType<typeof userWithToken>>;
    const call = (method: string, path: string, body?: unknown) => api(app.url, method, path, { token: ada.token, body });
    const bark = (over: Record<string, unknown> = {}) => ({ channel: 'bark', name: 'My phone', config: { serverUrl: receiver.url, deviceKey: DEVICE_KEY, ...over } });

    before(async () => {
      app = await startTestApp(dialect, { env: { ALLOW_PRIVATE_NETWORK: 'true' } });
      receiver = await startPushReceiver();
      receiver.answer({ status: 200, body: { code: 200, message: 'success' } });
      ada = await userWithToken(app.url, `ada-push-${dialect}@example.com`);
    });
    after(async () => {
      await receiver.close();
      await app.close();
    });

    it('lists the sixteen channels with labelled fields, secrets and help, and says mail is not set up', async () => {
      const res = await call('GET', '/push/channels');
      assert.equal(res.status, 200);
      assert.equal(res.body.items.length, 16);
      assert.equal(res.body.mailConfigured, false);
      const telegram = res.body.items.find((c: { type: string }) => c.type === 'telegram');
      assert.equal(telegram.label, 'Telegram');
      const token = telegram.fields.find((f: { name: string }) => f.name === 'botToken');
      assert.deepEqual({ type: token.type, required: token.required, secret: token.secret }, { type: 'password', required: true, secret: true });
      assert.ok(token.label && !token.label.startsWith('push.'), 'a translated label');
      const silent = telegram.fields.find((f: { name: string }) => f.name === 'silent');
      assert.deepEqual({ type: silent.type, required: silent.required }, { type: 'checkbox', required: false });
      const feishu = res.body.items.find((c: { type: string }) => c.type === 'feishu');
      const host = feishu.fields.find((f: { name: string }) => f.name === 'host');
      assert.deepEqual({ type: host.type, options: host.options, default: host.default }, { type: 'select', options: ['feishu', 'lark'], default: 'feishu' });
    });

    it('creates a registration, stores its secret encrypted and shows it only masked', async () => {
      const res = await call('POST', '/push/registrations', bark());
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.channel, 'bark');
      assert.equal(res.body.enabled, true);
      assert.equal(res.body.config.deviceKey, '••••4711');
      assert.equal(res.body.config.serverUrl, receiver.url);
      assert.equal(res.body.lastSentAt, null);
      const list = await call('GET', '/push/registrations');
      const item = list.body.items.find((r: { id: number }) => r.id === res.body.id);
      assert.deepEqual({ sent7d: item.sent7d, failed7d: item.failed7d, key: item.config.deviceKey }, { sent7d: 0, failed7d: 0, key: '••••4711' });
      assert.ok(!JSON.stringify(list.body).includes(DEVICE_KEY));
      const row = await app.database.db.knex('push_registrations').where({ id: res.body.id }).first();
      assert.ok(!row.config_enc.includes(DEVICE_KEY), 'the config is stored encrypted');
    });

    it('refuses bad input naming the field, and saves nothing', async () => {
      const before = (await call('GET', '/push/registrations')).body.items.length;
      assertApiError(await call('POST', '/push/registrations', { channel: 'bark', name: 'x', config: {} }), 400, {
        code: 'invalid_input',
        fields: { 'config.deviceKey': 'Required.' },
      });
      const unknown = await call('POST', '/push/registrations', { channel: 'pager', name: 'x', config: {} });
      assert.equal(unknown.status, 400);
      assert.deepEqual(Object.keys(unknown.body.error.fields), ['channel']);
      const typo = await call('POST', '/push/registrations', bark({ devicekey: 'x' }));
      assert.equal(typo.status, 400);
      assert.deepEqual(Object.keys(typo.body.error.fields), ['config.devicekey']);
      const badUrl = await call('POST', '/push/registrations', bark({ serverUrl: 'ftp://example.com' }));
      assert.deepEqual(Object.keys(badUrl.body.error.fields), ['config.serverUrl']);
      const noName = await call('POST', '/push/registrations', { ...bark(), name: '  ' });
      assert.deepEqual(Object.keys(noName.body.error.fields), ['name']);
      assert.equal((await call('POST', '/push/registrations', 'not json')).status, 400);
      assert.equal((await call('GET', '/push/registrations')).body.items.length, before);
    });

    it('keeps an omitted or echoed secret on PATCH, replaces a new one, refuses clearing a required one', async () => {
      const { body: created } = await call('POST', '/push/registrations', bark());
      const path = `/push/registrations/${created.id}`;
      // What a client read, sent back as it is: the mask must not overwrite the secret.
      const echoed = await call('PATCH', path, { name: 'Renamed', config: created.config });
      assert.equal(echoed.status, 200);
      assert.equal(echoed.body.name, 'Renamed');
      await call('PATCH', path, { config: { sound: 'bell' } });
      assert.deepEqual((await call('POST', `${path}/test`)).body, { ok: true });
      const sent = receiver.last().json() as Record<string, unknown>;
      assert.equal(sent.device_key, DEVICE_KEY, 'the secret was kept');
      assert.equal(sent.sound, 'bell');
      assert.equal(sent.title, 'Chime test message');

      const cleared = await call('PATCH', path, { config: { deviceKey: null } });
      assertApiError(cleared, 400, { code: 'invalid_input', fields: { 'config.deviceKey': 'Required.' } });
      assertApiError(await call('PATCH', path, { channel: 'telegram' }), 400, { code: 'invalid_input', fields: { channel: 'Unknown field.' } });

      const replaced = await call('PATCH', path, { config: { deviceKey: 'another-key-0042', sound: null } });
      assert.equal(replaced.body.config.deviceKey, '••••0042');
      assert.equal(replaced.body.config.sound, undefined, 'null clears a field');
      await call('POST', `${path}/test`);
      assert.equal((receiver.last().json() as Record<string, unknown>).device_key, 'another-key-0042');
    });

    it('answers Test with the provider’s plain reason, and tests an edit in progress without saving it', async () => {
      const { body: created } = await call('POST', '/push/registrations', bark());
      receiver.answer({ status: 400, body: { code: 400, message: 'failed to get device token' } });
      try {
        const res = await call('POST', `/push/registrations/${created.id}/test`);
        assert.equal(res.status, 200);
        assert.equal(res.body.ok, false);
        assert.match(res.body.error, /failed to get device token/);
      } finally {
        receiver.answer({ status: 200, body: { code: 200, message: 'success' } });
      }
      const edit = await call('POST', `/push/registrations/${created.id}/test`, { config: { group: 'trial' } });
      assert.deepEqual(edit.body, { ok: true });
      assert.equal((receiver.last().json() as Record<string, unknown>).group, 'trial');
      assert.equal((await call('GET', `/push/registrations/${created.id}`)).body.config.group, undefined, 'a test saves nothing');
    });

    it('tests unsaved Telegram and DingTalk configs against their stand-ins (apiBase), signature included', async () => {
      receiver.answer({ status: 200, body: { ok: true, result: {} } });
      const telegram = await call('POST', '/push/test', { channel: 'telegram', config: { botToken: '123:ABC', chatId: '42', apiBase: receiver.url } });
      assert.deepEqual(telegram.body, { ok: true });
      assert.equal(receiver.last().path, '/bot123:ABC/sendMessage');
      assert.equal((receiver.last().json() as Record<string, unknown>).chat_id, '42');

      receiver.answer({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' } });
      const missing = await call('POST', '/push/test', { channel: 'telegram', config: { botToken: '123:ABC', chatId: '43', apiBase: receiver.url } });
      assert.equal(missing.body.ok, false);
      assert.match(missing.body.error, /chat not found/);

      receiver.answer({ status: 200, body: { errcode: 0, errmsg: 'ok' } });
      const secret = 'SEC0123456789abcdef';
      const dingtalk = await call('POST', '/push/test', { channel: 'dingtalk', config: { accessToken: 'tok', secret, apiBase: receiver.url } });
      assert.deepEqual(dingtalk.body, { ok: true });
      const { query } = receiver.last();
      assert.equal(query.access_token, 'tok');
      const expected = crypto.createHmac('sha256', secret).update(`${query.timestamp}\n${secret}`).digest('base64');
      assert.equal(query.sign, expected);

      const bad = await call('POST', '/push/test', { channel: 'telegram', config: { chatId: '42' } });
      assertApiError(bad, 400, { code: 'invalid_input', fields: { 'config.botToken': 'Required.' } });
    });

    it('says plainly that mail is not set up when the email channel is tested', async () => {
      const res = await call('POST', '/push/test', { channel: 'email', config: {} });
      assert.equal(res.body.ok, false);
      assert.match(res.body.error, /mail is not set up/);
    });

    it('pages and filters the delivery history, and refuses bad filters', async () => {
      const { body: reg } = await call('POST', '/push/registrations', { ...bark(), name: 'History' });
      const knex = app.database.db.knex;
      for (let i = 0; i < 5; i++) {
        await enqueue(knex, { userId: ada.id, registrationIds: [reg.id], event: i % 2 ? 'task.failure' : 'task.success', title: `t${i}`, body: `b${i}` }, Date.now());
      }
      const first = await call('GET', `/push/messages?registrationId=${reg.id}&limit=2`);
      assert.deepEqual(first.body.items.map((m: { title: string }) => m.title), ['t4', 't3']);
      assert.equal(first.body.items[0].status, 'queued');
      assert.equal(first.body.items[0].registrationName, 'History');
      const next = await call('GET', `/push/messages?registrationId=${reg.id}&limit=2&before=${first.body.nextBefore}`);
      assert.deepEqual(next.body.items.map((m: { title: string }) => m.title), ['t2', 't1']);
      const failures = await call('GET', `/push/messages?registrationId=${reg.id}&event=task.failure`);
      assert.deepEqual(failures.body.items.map((m: { title: string }) => m.title), ['t3', 't1']);
      assert.equal((await call('GET', `/push/messages?registrationId=${reg.id}&status=sent`)).body.items.length, 0);
      const bad = await call('GET', '/push/messages?status=lost&limit=9999');
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(bad.body.error.fields).sort(), ['limit', 'status']);
    });

    it('retries a message to a failing endpoint, shows the attempts, and delivers it once the endpoint recovers', async () => {
      const hook = await startPushReceiver();
      let now = Date.now();
      const dispatcher = createDispatcher({
        knex: app.database.db.knex,
        box: createSecretBox(TEST_SECRET),
        http: createHttpClient({ allowPrivateNetwork: true }),
        clock: { now: () => now },
        log: silentLogger,
        concurrency: 4,
        lease: { owner: 'test-dispatcher', ms: 60_000 },
      });
      try {
        const secret = `whsec_${crypto.randomBytes(24).toString('base64')}`;
        const { body: reg } = await call('POST', '/push/registrations', { channel: 'webhook', name: 'Hook', config: { url: `${hook.url}/hook`, secret } });
        assert.equal(reg.config.secret, `••••${secret.slice(-4)}`);
        await enqueue(app.database.db.knex, { userId: ada.id, registrationIds: [reg.id], event: 'task.failure', title: 'Check-in failed', body: 'HTTP 500' }, now);

        hook.answer({ status: 503, body: 'down for maintenance' });
        await dispatcher.drain();
        let [message] = (await call('GET', `/push/messages?registrationId=${reg.id}`)).body.items;
        assert.equal(message.status, 'queued');
        assert.equal(message.attempts, 1);
        assert.match(message.lastError, /503/);
        assert.equal(message.nextAttemptAt, new Date(now + 30_000).toISOString());

        now += 30_000;
        await dispatcher.drain();
        [message] = (await call('GET', `/push/messages?registrationId=${reg.id}`)).body.items;
        assert.equal(message.attempts, 2);
        assert.equal(message.status, 'queued');

        hook.answer({ status: 204 });
        now += 2 * 60_000;
        await dispatcher.drain();
        [message] = (await call('GET', `/push/messages?registrationId=${reg.id}`)).body.items;
        assert.equal(message.status, 'sent');
        assert.equal(message.attempts, 3);
        assert.equal(hook.requests.length, 3);
        const registration = (await call('GET', '/push/registrations')).body.items.find((r: { id: number }) => r.id === reg.id);
        assert.equal(registration.lastSentAt, new Date(now).toISOString());
        assert.equal(registration.sent7d, 1);
      } finally {
        await dispatcher.stop(1000);
        await hook.close();
      }
    });

    it('sends a test mail to the account address through SMTP, with HTML and text parts', async () => {
      const sink: SmtpSink = await startSmtpSink();
      const mailApp = await startTestApp(dialect, { env: { MAIL_SMTP: '127.0.0.1', MAIL_PORT: String(sink.port), MAIL_SSL: 'false', MAIL_FROM: 'chime@example.com' } });
      try {
        const bob = await userWithToken(mailApp.url, `bob-mail-${dialect}@example.com`);
        assert.equal((await api(mailApp.url, 'GET', '/push/channels', { token: bob.token })).body.mailConfigured, true);
        const res = await api(mailApp.url, 'POST', '/push/test', { token: bob.token, body: { channel: 'email', config: {} } });
        assert.deepEqual(res.body, { ok: true });
        const [mail] = sink.messages;
        assert.deepEqual(mail!.to, [bob.email]);
        assert.equal(mail!.subject, 'Chime test message');
        assert.match(mail!.text ?? '', /If you can read this/);
        assert.match(mail!.html ?? '', /<p>If you can read this/);
      } finally {
        await mailApp.close();
        await sink.close();
      }
    });
  });
}
