// The dispatcher on real databases, sending through the real webhook and ntfy channels to a local
// fake receiver, with a fake clock that the tests move: the exact request, the retry schedule,
// Retry-After, permanent failures, the per-minute limit, a dead process's lease, two dispatchers
// sharing the outbox, and a hanging channel that must not hold up the others.
import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createDb, type Db } from '../../src/db/knex.js';
import { createSecretBox } from '../../src/db/secret-box.js';
import { createHttpClient, type HttpClient } from '../../src/lib/http.js';
import { silentLogger } from '../../src/lib/log.js';
import { systemClock } from '../../src/lib/clock.js';
import type { Channel } from '../../src/push/channel.js';
import { CHANNELS } from '../../src/push/channels/registry.js';
import { signWebhook } from '../../src/push/channels/webhook.js';
import { createDispatcher, type Dispatcher, type DispatcherOptions } from '../../src/push/dispatcher.js';
import { enqueue, outboxRepo } from '../../src/push/outbox-repo.js';
import { REGISTRATION_DISABLED, registrationsRepo } from '../../src/push/registrations-repo.js';
import { TEST_SECRET } from '../helpers/app.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startPushReceiver, type PushReceiver } from '../helpers/push-receiver.js';

const box = createSecretBox(TEST_SECRET);
const T0 = Date.parse('2026-11-21T08:00:00.000Z');
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SEC = 1000;
const MIN = 60 * SEC;
let seq = 0;

async function seedUser(knex: Knex): Promise<number> {
  const [id] = await knex('users').insert({ email: `dispatch-${process.pid}-${++seq}@example.com`, password_hash: 'x', created_at: T0, updated_at: T0 });
  return Number(id);
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 10_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const dialect of DIALECTS) {
  describe(`push dispatcher (${dialect})`, () => {
    let t: TestDatabase;
    let knex: Knex;
    let http: HttpClient;
    let receiver: PushReceiver;
    const clock = { at: T0, now() { return this.at; } };
    const dispatchers: Dispatcher[] = [];

    before(async () => {
      t = await createTestDatabase(dialect);
      knex = t.db.knex;
      http = createHttpClient({ allowPrivateNetwork: true });
    });
    after(async () => {
      await http.close();
      await t.drop();
    });
    beforeEach(async () => {
      clock.at = T0;
      receiver = await startPushReceiver();
    });
    afterEach(async () => {
      await Promise.all(dispatchers.splice(0).map((d) => d.stop(2000)));
      await receiver.close();
    });

    const dispatcher = (over: Partial<DispatcherOptions> = {}) => {
      const d = createDispatcher({ knex, box, http, clock, log: silentLogger, concurrency: 4, lease: { owner: 'test-a', ms: 60_000 }, ...over });
      dispatchers.push(d);
      return d;
    };
    const webhookRegistration = async (userId: number, path = '/hook') =>
      registrationsRepo(knex, box).insert(userId, { channel: 'webhook', name: 'hook', config: { url: `${receiver.url}${path}`, secret: SECRET } }, T0);
    const queue = async (userId: number, registrationId: number, over: { title?: string; data?: Record<string, unknown> } = {}) => {
      const [id] = await enqueue(knex, { userId, registrationIds: [registrationId], event: 'task.failure', title: over.title ?? 'Check-in failed', body: 'HTTP 500', data: over.data, taskId: 7, runId: 91 }, clock.now());
      return id!;
    };
    const row = (id: number) => knex('push_messages').where({ id }).first();
    const registration = (id: number) => knex('push_registrations').where({ id }).first();

    it('sends a message once, with the exact webhook request, and marks it sent', async () => {
      const userId = await seedUser(knex);
      const reg = await webhookRegistration(userId, '/hooks/chime?x=1');
      const id = await queue(userId, reg, { data: { task: { id: 7, name: 'Daily' } } });
      clock.at = T0 + 5 * SEC;
      const d = dispatcher();
      await d.drain();
      await d.drain();
      assert.equal(receiver.requests.length, 1);
      const req = receiver.last();
      assert.equal(req.method, 'POST');
      assert.equal(req.url, '/hooks/chime?x=1');
      assert.deepEqual(req.json(), {
        type: 'task.failure',
        timestamp: new Date(T0).toISOString(),
        data: { task: { id: 7, name: 'Daily' }, title: 'Check-in failed', body: 'HTTP 500' },
      });
      assert.equal(req.headers['webhook-id'], `msg_${id}`);
      const ts = Math.floor((T0 + 5 * SEC) / 1000);
      assert.equal(req.headers['webhook-timestamp'], String(ts));
      assert.equal(req.headers['webhook-signature'], signWebhook(SECRET, `msg_${id}`, ts, req.text));
      const m = await row(id);
      assert.deepEqual([m.status, Number(m.attempts), Number(m.sent_at), m.lease_owner, m.last_error], ['sent', 1, T0 + 5 * SEC, null, null]);
      assert.equal(Number((await registration(reg)).last_sent_at), T0 + 5 * SEC);
    });

    it('retries transient failures after 30 s, 2 min, 10 min, 1 h, 6 h, then fails', async () => {
      receiver.answer({ status: 500, body: 'upstream down' });
      const userId = await seedUser(knex);
      const reg = await webhookRegistration(userId);
      const id = await queue(userId, reg);
      const d = dispatcher();
      await d.drain();
      let at = T0;
      for (const [i, delay] of [30 * SEC, 2 * MIN, 10 * MIN, 60 * MIN, 6 * 60 * MIN].entries()) {
        const m = await row(id);
        assert.deepEqual([m.status, Number(m.attempts), Number(m.next_attempt_at), m.last_error], ['queued', i + 1, at + delay, 'HTTP 500: upstream down']);
        clock.at = at + delay - 1; // not yet
        await d.drain();
        assert.equal(receiver.requests.length, i + 1);
        at = clock.at = at + delay;
        await d.drain();
        assert.equal(receiver.requests.length, i + 2);
      }
      const m = await row(id);
      assert.deepEqual([m.status, Number(m.attempts), m.next_attempt_at, m.last_error], ['failed', 6, null, 'HTTP 500: upstream down']);
      const r = await registration(reg);
      assert.deepEqual([r.last_error, Number(r.last_error_at)], ['HTTP 500: upstream down', at]);
      clock.at += 24 * 60 * MIN;
      await d.drain();
      assert.equal(receiver.requests.length, 6);
    });

    it("honours Retry-After when it is longer than the backoff, and keeps the backoff when it is shorter", async () => {
      const userId = await seedUser(knex);
      const reg = await webhookRegistration(userId);
      const id = await queue(userId, reg);
      const d = dispatcher();
      receiver.answer({ status: 429, body: 'slow down', headers: { 'retry-after': '3600' } });
      await d.drain();
      assert.equal(Number((await row(id)).next_attempt_at), T0 + 3600 * SEC);
      clock.at = T0 + 3600 * SEC;
      receiver.answer({ status: 503, headers: { 'retry-after': '5' } });
      await d.drain();
      assert.equal(Number((await row(id)).next_attempt_at), clock.at + 2 * MIN);
      clock.at += 2 * MIN;
      receiver.answer({ status: 204 });
      await d.drain();
      assert.deepEqual([(await row(id)).status, receiver.requests.length], ['sent', 3]);
    });

    it("fails at once on a permanent error, with the channel's explanation", async () => {
      receiver.answer({ status: 401, body: { code: 40101, http: 401, error: 'unauthorized', link: 'https://ntfy.sh/docs/publish/' } });
      const userId = await seedUser(knex);
      const reg = await registrationsRepo(knex, box).insert(userId, { channel: 'ntfy', name: 'phone', config: { serverUrl: receiver.url, topic: 'alerts', token: 'tk_bad' } }, T0);
      const id = await queue(userId, reg);
      const d = dispatcher();
      await d.drain();
      assert.equal(receiver.last().headers.authorization, 'Bearer tk_bad');
      assert.equal((receiver.last().json() as { topic: string }).topic, 'alerts');
      const m = await row(id);
      assert.deepEqual([m.status, Number(m.attempts), m.last_error], ['failed', 1, 'ntfy: unauthorized (HTTP 401)']);
      const r = await registration(reg);
      assert.deepEqual([r.last_error, Number(r.last_error_at), r.last_sent_at], ['ntfy: unauthorized (HTTP 401)', T0, null]);
      clock.at += 60 * MIN;
      await d.drain();
      assert.equal(receiver.requests.length, 1);
    });

    it('counts an exception other than a DeliveryError as transient', async () => {
      const broken: Channel = { ...CHANNELS.webhook, send: async () => { throw new TypeError('boom'); } };
      const userId = await seedUser(knex);
      const reg = await webhookRegistration(userId);
      const id = await queue(userId, reg);
      await dispatcher({ channels: { webhook: broken } }).drain();
      const m = await row(id);
      assert.deepEqual([m.status, Number(m.next_attempt_at), m.last_error], ['queued', T0 + 30 * SEC, 'unexpected error: boom']);
    });

    it('with a limit of 2 a minute, the 3rd message waits for the next minute and none is dropped', async () => {
      const limited: Channel = { ...CHANNELS.webhook, limits: { ...CHANNELS.webhook.limits, perMinute: 2 } };
      const userId = await seedUser(knex);
      const reg = await webhookRegistration(userId);
      const other = await webhookRegistration(userId, '/other');
      const ids = [await queue(userId, reg, { title: 'one' }), await queue(userId, reg, { title: 'two' }), await queue(userId, reg, { title: 'three' })];
      const otherId = await queue(userId, other, { title: 'elsewhere' });
      const d = dispatcher({ channels: { webhook: limited } });
      await d.drain();
      const titles = () => receiver.requests.filter((r) => r.path === '/hook').map((r) => (r.json() as { data: { title: string } }).data.title);
      assert.deepEqual(titles(), ['one', 'two']);
      assert.equal((await row(otherId)).status, 'sent', 'another registration has its own limit');
      const third = await row(ids[2]!);
      assert.deepEqual([third.status, Number(third.next_attempt_at), Number(third.attempts)], ['queued', T0 + MIN, 0]);
      clock.at = T0 + MIN - 1;
      await d.drain();
      assert.deepEqual(titles(), ['one', 'two']);
      clock.at = T0 + MIN;
      await d.drain();
      assert.deepEqual(titles(), ['one', 'two', 'three']);
      assert.deepEqual((await knex('push_messages').whereIn('id', ids).orderBy('id')).map((m) => [m.status, Number(m.attempts)]), [
        ['sent', 1],
        ['sent', 1],
        ['sent', 1],
      ]);
    });

    it('a message claimed by a process that died is sent by another once the lease runs out', async () => {
      const userId = await seedUser(knex);
      const reg = await webhookRegistration(userId);
      const id = await queue(userId, reg);
      assert.equal(await outboxRepo(knex).claim(id, T0, { owner: 'dead-a', ms: 60_000 }), true); // never finishes
      const b = dispatcher({ lease: { owner: 'live-b', ms: 60_000 } });
      await b.drain();
      assert.equal(receiver.requests.length, 0, 'the lease still holds');
      clock.at = T0 + 60_001;
      await b.drain();
      assert.equal(receiver.requests.length, 1);
      const m = await row(id);
      assert.deepEqual([m.status, Number(m.attempts), Number(m.sent_at)], ['sent', 2, T0 + 60_001]);
      // The dead process's late answer changes nothing.
      assert.equal(await outboxRepo(knex).markFailed(id, 'dead-a', 'too late', clock.now(), reg), false);
      assert.equal((await row(id)).status, 'sent');
    });

    it('the heartbeat renews only the sends under way, so a message whose outcome was lost goes back to the queue', async () => {
      const userId = await seedUser(knex);
      const reg = await webhookRegistration(userId);
      const [stuck, live] = [await queue(userId, reg), await queue(userId, reg)];
      const outbox = outboxRepo(knex);
      // Both claimed by this instance; only `live` is still being sent (the other's outcome write failed).
      assert.equal(await outbox.claim(stuck, T0, { owner: 'same', ms: 60_000 }), true);
      assert.equal(await outbox.claim(live, T0, { owner: 'same', ms: 60_000 }), true);
      assert.equal(await outbox.heartbeat('same', [live], T0 + 50_000, 60_000), 1);
      assert.equal(await outbox.reapExpired(T0 + 60_001), 1);
      assert.deepEqual([(await row(stuck)).status, (await row(live)).status], ['queued', 'sending']);
    });

    it('a disabled registration fails its waiting messages instead of sending them', async () => {
      const userId = await seedUser(knex);
      const reg = await webhookRegistration(userId);
      const id = await queue(userId, reg);
      await knex('push_registrations').where({ id: reg }).update({ enabled: 0 }); // between enqueue and send
      await dispatcher().drain();
      assert.equal(receiver.requests.length, 0);
      const m = await row(id);
      assert.deepEqual([m.status, m.last_error], ['failed', REGISTRATION_DISABLED]);
    });

    it('a hanging channel does not hold up the other registrations', async () => {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let hung = 0;
      const hanging: Channel = { ...CHANNELS.webhook, type: 'hanging', send: async () => { hung++; await released; } };
      const userId = await seedUser(knex);
      const slow = await registrationsRepo(knex, box).insert(userId, { channel: 'hanging', name: 'slow', config: { url: `${receiver.url}/x`, secret: SECRET } }, T0);
      const fast = await webhookRegistration(userId);
      const slowIds = [await queue(userId, slow), await queue(userId, slow), await queue(userId, slow)];
      const fastIds = [await queue(userId, fast), await queue(userId, fast), await queue(userId, fast)];
      const d = dispatcher({ concurrency: 2, channels: { webhook: CHANNELS.webhook, hanging } });
      await d.start();
      await waitFor('the fast messages', async () => (await knex('push_messages').whereIn('id', fastIds).where({ status: 'sent' }).count({ n: '*' }))[0]!.n == 3);
      assert.equal(hung, 1, 'one send at a time per registration');
      assert.deepEqual((await knex('push_messages').whereIn('id', slowIds).orderBy('id')).map((m) => m.status), ['sending', 'queued', 'queued']);
      release();
      await waitFor('the slow messages', async () => (await knex('push_messages').whereIn('id', slowIds).where({ status: 'sent' }).count({ n: '*' }))[0]!.n == 3);
    });

    it('two dispatchers on one database send each of 50 messages exactly once', async () => {
      let second: Db | undefined;
      try {
        second = createDb(t.url); // a second process's own connections
        clock.at = Date.now(); // both run on the real clock
        // Earlier tests leave messages waiting at fake times around T0, which the real clock may
        // have passed: this test counts sends, so it starts from an empty outbox.
        await knex('push_messages').delete();
        const userId = await seedUser(knex);
        const regs = [];
        for (let i = 0; i < 5; i++) regs.push(await webhookRegistration(userId, `/r${i}`));
        const ids: number[] = [];
        for (let i = 0; i < 50; i++) ids.push(await queue(userId, regs[i % 5]!, { title: `m${i}` }));
        const sentBy = { a: 0, b: 0 };
        const counting = (name: 'a' | 'b'): HttpClient['request'] => (req) => (sentBy[name]++, http.request(req));
        const a = dispatcher({ clock: systemClock, lease: { owner: 'a', ms: 60_000 }, http: { request: counting('a') } });
        const b = dispatcher({ knex: second.knex, clock: systemClock, lease: { owner: 'b', ms: 60_000 }, http: { request: counting('b') } });
        await Promise.all([a.start(), b.start()]);
        await waitFor('50 sent', async () => (await knex('push_messages').whereIn('id', ids).where({ status: 'sent' }).count({ n: '*' }))[0]!.n == 50);
        await Promise.all([a.stop(2000), b.stop(2000)]);
        assert.equal(receiver.requests.length, 50);
        assert.equal(sentBy.a + sentBy.b, 50);
        assert.ok(sentBy.a > 0 && sentBy.b > 0, `both dispatchers took a share (a ${sentBy.a}, b ${sentBy.b})`);
        assert.equal(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size, 50);
        const rows = await knex('push_messages').whereIn('id', ids);
        assert.ok(rows.every((m) => Number(m.attempts) === 1));
      } finally {
        await second?.close();
      }
    });
  });
}
