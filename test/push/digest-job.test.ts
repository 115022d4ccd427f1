// The digest job on real databases with a fixed clock: a due anchor queues one digest per chosen
// registration (each body fitting its channel) and moves one interval on; after downtime one digest
// covers the most recent window; nothing to say moves the anchor only; a crash before the commit
// leaves the anchor for the next look; several instances at once queue each digest once; "send now"
// and the preview; and the real path out: the dispatcher mails the HTML table through an SMTP sink
// and posts the webhook's digest data to a local receiver.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import type { Knex } from 'knex';
import { createSecretBox } from '../../src/db/secret-box.js';
import { createHttpClient, type HttpClient } from '../../src/lib/http.js';
import { silentLogger, type Logger } from '../../src/lib/log.js';
import { createMailer } from '../../src/lib/mailer.js';
import { CHANNELS } from '../../src/push/channels/registry.js';
import { buildDigest, measure } from '../../src/push/digest.js';
import { createDigestJob, type DigestJob, type DigestJobOptions } from '../../src/push/digest-job.js';
import { createDispatcher } from '../../src/push/dispatcher.js';
import { enqueue } from '../../src/push/outbox-repo.js';
import { registrationsRepo } from '../../src/push/registrations-repo.js';
import { pushSettingsRepo } from '../../src/push/settings-repo.js';
import { DEFAULT_PUSH_DEFAULTS } from '../../src/push/settings-schema.js';
import { TEST_SECRET } from '../helpers/app.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startPushReceiver } from '../helpers/push-receiver.js';
import { eventually, seedTask, seedTemplate, seedUser } from '../helpers/scheduler-fixtures.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

const box = createSecretBox(TEST_SECRET);
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const W_END = Date.parse('2026-11-21T08:00:00.000Z');
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** A logger that keeps what was logged as errors. */
function recordingLogger(errors: string[]): Logger {
  const none = () => {};
  return { error: (o: { err?: unknown }, msg?: string) => errors.push(`${msg}: ${String(o?.err)}`), warn: none, info: none, debug: none, trace: none, fatal: none } as unknown as Logger;
}

type WorkerInput = { url: string; now: number; barrier: SharedArrayBuffer; instances: number };

/**
 * Runs one tick in each of `instances` worker threads, each with its own connections (a blocked SQLite
 * writer then waits in its own thread, as it would in its own process), all starting together.
 */
async function tickTogether(url: string, now: number, instances: number): Promise<string[][]> {
  const module = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
  // Worker threads do not inherit tsx's loader: register it first, then load the job.
  const boot = `
    const { workerData, parentPort } = require('node:worker_threads');
    import('tsx/esm/api').then(async (tsx) => {
      tsx.register();
      const { createDb } = await import(${module('../../src/db/knex.ts')});
      const { createDigestJob } = await import(${module('../../src/push/digest-job.ts')});
      const errors = [];
      const log = { error: (o, m) => errors.push(m + ': ' + String(o && o.err)), warn() {}, info() {}, debug() {} };
      const db = createDb(workerData.url);
      const job = createDigestJob({ knex: db.knex, clock: { now: () => workerData.now }, log, defaultTimezone: 'UTC' });
      await db.knex.raw('select 1'); // connected before the start
      const ready = new Int32Array(workerData.barrier);
      if (Atomics.add(ready, 0, 1) + 1 === workerData.instances) Atomics.notify(ready, 0);
      else while (Atomics.load(ready, 0) < workerData.instances) Atomics.wait(ready, 0, Atomics.load(ready, 0), 1000);
      await job.tick();
      await db.close();
      parentPort.postMessage(errors);
    }).catch((err) => parentPort.postMessage([String(err)]));
  `;
  const barrier = new SharedArrayBuffer(4);
  return Promise.all(
    Array.from({ length: instances }, () => {
      const workerData: WorkerInput = { url, now, barrier, instances };
      return new Promise<string[]>((resolve, reject) => {
        const worker = new Worker(boot, { eval: true, workerData });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
}

for (const dialect of DIALECTS) {
  describe(`digest job (${dialect})`, () => {
    let t: TestDatabase;
    let knex: Knex;
    let http: HttpClient;
    const clock = { at: W_END, now() { return this.at; } };
    let pokes = 0;

    before(async () => {
      t = await createTestDatabase(dialect);
      knex = t.db.knex;
      http = createHttpClient({ allowPrivateNetwork: true });
    });
    after(async () => {
      await http.close();
      await t.drop();
    });
    beforeEach(() => {
      clock.at = W_END;
      pokes = 0;
    });

    const job = (over: Partial<DigestJobOptions> = {}): DigestJob =>
      createDigestJob({ knex, clock, log: silentLogger, defaultTimezone: 'UTC', poke: () => pokes++, ...over });

    /** A user with tasks "Task 1" … "Task n", each with runs at the given times (a failure every third). */
    async function owner(tasks: { runs: number[]; log?: string; name?: string }[] = [{ runs: [W_END - HOUR] }]) {
      const userId = await seedUser(knex, W_END - 10 * DAY);
      const templateId = await seedTemplate(knex, userId, 'https://example.com/ping', W_END - 10 * DAY);
      const taskIds: number[] = [];
      for (const [i, spec] of tasks.entries()) {
        const id = await seedTask(knex, userId, templateId, { name: spec.name ?? `Task ${String(i + 1).padStart(2, '0')}`, nextRunAt: null }, W_END - 10 * DAY);
        taskIds.push(id);
        for (const [j, at] of spec.runs.entries()) {
          await knex('task_runs').insert({ task_id: id, user_id: userId, trigger: 'auto', status: j % 3 === 2 ? 'failure' : 'success', started_at: at - 1000, finished_at: at, duration_ms: 1000, log: spec.log ?? `run ${j + 1}` });
        }
      }
      return { userId, taskIds };
    }
    const register = (userId: number, channel: string, config: Record<string, unknown>, enabled = true) =>
      registrationsRepo(knex, box).insert(userId, { channel, name: `${channel} ${Math.random()}`, config, enabled }, W_END - 10 * DAY);
    const digestOn = (userId: number, anchor: number | null, over: { intervalSeconds?: number; registrationIds?: number[] | null; enabled?: boolean } = {}) =>
      pushSettingsRepo(knex).save(
        userId,
        DEFAULT_PUSH_DEFAULTS,
        { enabled: over.enabled ?? true, firstAt: '08:00:00', intervalSeconds: over.intervalSeconds ?? 86400, timezone: null, registrationIds: over.registrationIds ?? null },
        anchor,
        W_END - 10 * DAY,
      );
    const anchorOf = async (userId: number) => (await pushSettingsRepo(knex).get(userId)).digest.nextAt;
    const messagesOf = async (userId: number) => (await knex('push_messages').where({ user_id: userId }).orderBy('id')) as Record<string, any>[];

    it('when the anchor is due, queues one digest per chosen registration, each fitting its channel, and moves the anchor one interval on', async () => {
      // Long Chinese names: a WeCom robot counts bytes (three per character), and 30 of them outgrow it.
      const name = (i: number) => `第${String(i).padStart(2, '0')}号：每日签到并领取积分奖励（会员中心、论坛、云盘、社区、商城、读书、音乐与视频等所有站点的全部账号）`;
      const { userId } = await owner(Array.from({ length: 30 }, (_, i) => ({ name: name(i + 1), runs: [W_END - 3 * HOUR, W_END - 2 * HOUR, W_END - HOUR] })));
      const email = await register(userId, 'email', { to: 'me@example.com' });
      const wecom = await register(userId, 'wecom_bot', { key: 'k' });
      const hook = await register(userId, 'webhook', { url: 'https://example.com/hook', secret: SECRET });
      const off = await register(userId, 'webhook', { url: 'https://example.com/off', secret: SECRET }, false);
      await register(userId, 'ntfy', { topic: 'not-chosen' });
      await digestOn(userId, W_END, { registrationIds: [email, wecom, hook, off] });
      clock.at = W_END + 5000;
      await job({ baseUrl: 'https://chime.example.com' }).tick();

      const expected = (await buildDigest(knex, { userId, windowStart: W_END - DAY, windowEnd: W_END, language: 'en', zone: 'UTC', baseUrl: 'https://chime.example.com' }))!;
      const rows = await messagesOf(userId);
      assert.deepEqual(rows.map((m) => [Number(m.registration_id), m.event, m.status, m.dedup_key, Number(m.next_attempt_at)]), [
        [email, 'digest', 'queued', `digest:${userId}:${W_END}:${email}`, W_END + 5000],
        [wecom, 'digest', 'queued', `digest:${userId}:${W_END}:${wecom}`, W_END + 5000],
        [hook, 'digest', 'queued', `digest:${userId}:${W_END}:${hook}`, W_END + 5000],
      ]);
      assert.ok(rows.every((m) => m.title === expected.title && m.task_id === null && m.run_id === null));
      const [mail, robot, webhook] = rows;
      assert.equal(mail!.body, expected.text(CHANNELS.email.limits.maxText));
      assert.equal(mail!.html, expected.html);
      assert.ok(mail!.body.includes(`${name(30)}: 2 succeeded, 1 failed`));
      assert.equal(robot!.body, expected.text(CHANNELS.wecom_bot.limits.maxText));
      assert.ok(measure(`${robot!.title}\n\n${robot!.body}`) <= CHANNELS.wecom_bot.limits.maxText);
      assert.match(robot!.body, /… and \d+ more tasks$/);
      assert.equal(robot!.html, null, 'HTML only for email');
      assert.deepEqual(JSON.parse(webhook!.data), expected.data);
      assert.equal(await anchorOf(userId), W_END + DAY);
      assert.equal(pokes, 1);

      clock.at = W_END + DAY - 1;
      await job().tick();
      assert.equal((await messagesOf(userId)).length, 3, 'nothing more until the next anchor');
    });

    it('after 3 days of downtime sends one digest of the most recent complete window and sets the next anchor one interval later', async () => {
      const { userId } = await owner([{ runs: [W_END - 2 * DAY - HOUR, W_END - DAY - HOUR, W_END - HOUR, W_END + HOUR] }]);
      await register(userId, 'webhook', { url: 'https://example.com/hook', secret: SECRET });
      await digestOn(userId, W_END - 3 * DAY);
      clock.at = W_END + 2 * HOUR;
      const j = job();
      await j.tick();
      await j.tick();
      const rows = await messagesOf(userId);
      assert.equal(rows.length, 1);
      const data = JSON.parse(rows[0]!.data);
      assert.deepEqual([data.windowStart, data.windowEnd], [new Date(W_END - DAY).toISOString(), new Date(W_END).toISOString()]);
      assert.deepEqual(data.tasks.map((x: any) => [x.successes, x.failures, x.runs.map((r: any) => r.finishedAt)]), [[0, 1, [new Date(W_END - HOUR).toISOString()]]]);
      assert.equal(await anchorOf(userId), W_END + DAY);
    });

    it('with nothing to say, a digest switched off or a disabled account, only moves the anchor', async () => {
      const { userId } = await owner([]);
      await register(userId, 'webhook', { url: 'https://example.com/hook', secret: SECRET });
      await digestOn(userId, W_END);
      const other = (await owner()).userId;
      await register(other, 'webhook', { url: 'https://example.com/hook', secret: SECRET });
      await digestOn(other, W_END, { enabled: false }); // an anchor the settings should not have left
      const nobody = (await owner()).userId; // no registration at all
      await digestOn(nobody, W_END);
      const disabled = (await owner()).userId; // an account the admin disabled
      await register(disabled, 'webhook', { url: 'https://example.com/hook', secret: SECRET });
      await digestOn(disabled, W_END);
      await knex('users').where({ id: disabled }).update({ status: 'disabled' });
      clock.at = W_END + 1;
      await job().tick();
      for (const id of [userId, other, nobody, disabled]) assert.deepEqual(await messagesOf(id), []);
      for (const id of [userId, nobody, disabled]) assert.equal(await anchorOf(id), W_END + DAY);
      assert.equal(await anchorOf(other), null, 'a stray anchor of a digest that is off is cleared');
      assert.equal(pokes, 0);
    });

    it('a crash before the commit leaves the anchor as it was, and the next look sends the window exactly once', async () => {
      const { userId } = await owner();
      const a = await register(userId, 'webhook', { url: 'https://example.com/a', secret: SECRET });
      const b = await register(userId, 'webhook', { url: 'https://example.com/b', secret: SECRET });
      await digestOn(userId, W_END);
      clock.at = W_END + 1000;
      const errors: string[] = [];
      let calls = 0;
      const crashing: typeof enqueue = async (trx, input, now) => {
        const ids = await enqueue(trx, input, now); // the first message is written, then the process "dies"
        if (++calls === 2) throw new Error('connection lost');
        return ids;
      };
      await job({ enqueue: crashing, log: recordingLogger(errors) }).tick();
      assert.equal(calls, 2);
      assert.match(errors.join('\n'), /connection lost/);
      assert.equal(await anchorOf(userId), W_END, 'rolled back with the messages');
      assert.deepEqual(await messagesOf(userId), []);
      assert.equal(pokes, 0);

      clock.at = W_END + 2000;
      await job().tick();
      assert.deepEqual((await messagesOf(userId)).map((m) => [Number(m.registration_id), m.dedup_key]), [
        [a, `digest:${userId}:${W_END}:${a}`],
        [b, `digest:${userId}:${W_END}:${b}`],
      ]);
      assert.equal(await anchorOf(userId), W_END + DAY);
    });

    it('a digest that keeps failing is tried again after 5 s, then 10 s, not at every look, and sent once it works', async () => {
      const { userId } = await owner();
      await register(userId, 'webhook', { url: 'https://example.com/r', secret: SECRET });
      await digestOn(userId, W_END);
      const errors: string[] = [];
      let broken = true;
      let attempts = 0;
      const flaky: typeof enqueue = async (trx, input, now) => {
        attempts++;
        if (broken) throw new Error('disk full');
        return enqueue(trx, input, now);
      };
      const one = job({ enqueue: flaky, log: recordingLogger(errors) });
      const lookAt = async (ms: number) => {
        clock.at = W_END + ms;
        await one.tick();
      };
      await lookAt(1000);
      await lookAt(2000);
      await lookAt(5000);
      assert.equal(attempts, 1, 'not again before 5 s have passed');
      await lookAt(6000);
      assert.equal(attempts, 2);
      await lookAt(12_000);
      assert.equal(attempts, 2, 'then 10 s');
      broken = false;
      await lookAt(16_000);
      assert.equal(attempts, 3);
      assert.equal(errors.length, 2);
      assert.equal((await messagesOf(userId)).length, 1);
      assert.equal(await anchorOf(userId), W_END + DAY);
    });

    it('three instances ticking at once queue exactly one digest per registration per window', async () => {
      await knex('push_settings').update({ digest_next_at: null }); // earlier tests' users stay out of it
      const users: { userId: number; regs: number[] }[] = [];
      for (let i = 0; i < 6; i++) {
        const { userId } = await owner([{ runs: [W_END - HOUR, W_END - 2 * HOUR] }, { runs: [] }]);
        const regs = [await register(userId, 'webhook', { url: 'https://example.com/a', secret: SECRET }), await register(userId, 'email', {})];
        await digestOn(userId, W_END - (i % 2) * DAY);
        users.push({ userId, regs });
      }
      const errors = await tickTogether(t.url, W_END + 1000, 3);
      assert.deepEqual(errors.flat(), []);
      for (const { userId, regs } of users) {
        const rows = await messagesOf(userId);
        assert.deepEqual(rows.map((m) => Number(m.registration_id)), regs, `user ${userId}`);
        assert.deepEqual(rows.map((m) => m.dedup_key), regs.map((r) => `digest:${userId}:${W_END}:${r}`));
        assert.equal(await anchorOf(userId), W_END + DAY);
      }
    });

    it('"send now" queues the last interval at once, leaves the anchor alone, and a double click in one second queues nothing more', async () => {
      const { userId } = await owner([{ runs: [W_END - 30 * 60_000, W_END - 2 * HOUR] }]);
      const reg = await register(userId, 'webhook', { url: 'https://example.com/hook', secret: SECRET });
      await digestOn(userId, W_END + 5 * HOUR, { intervalSeconds: 3600 });
      const j = job();
      clock.at = W_END + 200;
      assert.deepEqual(await j.sendNow(userId), { windowStart: W_END - HOUR, windowEnd: W_END, queued: 1, outcome: 'queued' });
      clock.at = W_END + 900;
      assert.deepEqual(await j.sendNow(userId), { windowStart: W_END - HOUR, windowEnd: W_END, queued: 0, outcome: 'already_queued' });
      clock.at = W_END + 1200;
      assert.equal((await j.sendNow(userId)).queued, 1, 'the next second is a new click');
      const rows = await messagesOf(userId);
      assert.deepEqual(rows.map((m) => m.dedup_key), [`digest-now:${userId}:${W_END}:${reg}`, `digest-now:${userId}:${W_END + 1000}:${reg}`]);
      const data = JSON.parse(rows[0]!.data);
      assert.deepEqual(data.tasks.map((x: any) => x.successes + x.failures), [1], 'only the last hour');
      assert.equal(await anchorOf(userId), W_END + 5 * HOUR);
      assert.equal(pokes, 2);

      const lonely = (await owner()).userId;
      assert.equal((await j.sendNow(lonely)).outcome, 'no_registrations');
      const idle = (await owner([])).userId;
      await register(idle, 'webhook', { url: 'https://example.com/hook', secret: SECRET });
      assert.equal((await j.sendNow(idle)).outcome, 'nothing_to_send');
    });

    it('previews the digest under way: from one interval before the anchor to now, or the last interval when off', async () => {
      const { userId } = await owner([{ runs: [W_END - 3 * HOUR, W_END + HOUR] }]);
      await digestOn(userId, W_END + DAY);
      clock.at = W_END + 2 * HOUR;
      const j = job();
      const preview = await j.preview(userId);
      assert.deepEqual([preview?.windowStart, preview?.windowEnd], [W_END, W_END + 2 * HOUR]);
      assert.deepEqual(preview?.data.tasks.map((x) => x.runs.map((r) => r.finishedAt)), [[new Date(W_END + HOUR).toISOString()]]);
      await digestOn(userId, null, { enabled: false });
      const off = await j.preview(userId);
      assert.deepEqual([off?.windowStart, off?.windowEnd, off?.successes], [W_END + 2 * HOUR - DAY, W_END + 2 * HOUR, 2]);
      // A first anchor more than one interval ahead: that window has not begun, so the last interval.
      await digestOn(userId, W_END + 20 * HOUR, { intervalSeconds: 3600 });
      const early = await j.preview(userId);
      assert.deepEqual([early?.windowStart, early?.windowEnd], [W_END + HOUR, W_END + 2 * HOUR]);
      assert.equal(await j.preview((await owner([])).userId), null);
      assert.deepEqual(await messagesOf(userId), [], 'a preview sends nothing');
    });

    it('started, the loop handles a due digest by itself and stops cleanly', async () => {
      const { userId } = await owner();
      await register(userId, 'webhook', { url: 'https://example.com/hook', secret: SECRET });
      await digestOn(userId, W_END);
      clock.at = W_END + 1;
      const j = job({ maxSleepMs: 20 });
      await j.start();
      try {
        await eventually(async () => (await messagesOf(userId)).length === 1, 5000, 'the digest');
        assert.equal(j.lastTickAt(), W_END + 1);
      } finally {
        await j.stop();
      }
    });

    it('through the real dispatcher: email gets a multipart mail with the HTML table, the webhook gets the digest data', async () => {
      const sink = await startSmtpSink({ starttls: false });
      const receiver = await startPushReceiver();
      const mailer = createMailer({ host: sink.host, port: sink.port, ssl: false, starttls: false, from: 'Chime <chime@example.com>' })!;
      try {
        const { userId, taskIds } = await owner([{ runs: [W_END - 3 * HOUR, W_END - 2 * HOUR, W_END - HOUR], log: 'signed in & got <5> points' }, { runs: [] }]);
        await register(userId, 'email', { to: 'me@example.com' });
        await register(userId, 'webhook', { url: `${receiver.url}/digest`, secret: SECRET });
        await digestOn(userId, W_END);
        clock.at = W_END + 1000;
        await job({ baseUrl: 'https://chime.example.com' }).tick();
        // Only this test's messages go out (earlier tests queued mail for their own users).
        await knex('push_messages').whereNot({ user_id: userId }).where({ status: 'queued' }).update({ status: 'failed' });
        const dispatcher = createDispatcher({ knex, box, http, clock, log: silentLogger, concurrency: 2, lease: { owner: 'digest-test', ms: 60_000 }, mail: (m) => mailer.send(m) });
        await dispatcher.drain();
        assert.deepEqual((await messagesOf(userId)).map((m) => [m.status, m.last_error]), [['sent', null], ['sent', null]]);

        assert.equal(sink.messages.length, 1);
        const mail = sink.messages[0]!;
        assert.deepEqual(mail.to, ['me@example.com']);
        assert.match(mail.headers.get('content-type') ?? '', /^multipart\/alternative/);
        assert.equal(mail.subject, 'Chime digest · 2 ✓ 1 ✗ · Nov 20, 08:00 – Nov 21, 08:00');
        const html = mail.html ?? '';
        assert.match(html, /<table[^>]*>/);
        assert.match(html, new RegExp(`<a href="https://chime.example.com/tasks/${taskIds[0]}">Task 01</a></td><td[^>]*>2</td><td[^>]*><strong[^>]*>1</strong></td><td[^>]*>signed in &amp; got &lt;5&gt; points</td>`));
        assert.match(html, new RegExp(`<a href="https://chime.example.com/tasks/${taskIds[1]}">Task 02</a></td><td[^>]*colspan="3">Did not run in this period</td>`));
        assert.match(mail.text ?? '', /^Task 01: 2 succeeded, 1 failed\n {2}.+ · Scheduled · Failed · signed in & got <5> points$/m);
        assert.match(mail.text ?? '', /^Task 02: did not run in this period$/m);

        assert.equal(receiver.requests.length, 1);
        const body = receiver.last().json() as { type: string; timestamp: string; data: Record<string, any> };
        assert.equal(body.type, 'digest');
        assert.equal(body.timestamp, new Date(W_END + 1000).toISOString());
        assert.deepEqual(Object.keys(body.data).sort(), ['body', 'tasks', 'title', 'windowEnd', 'windowStart']);
        assert.deepEqual([body.data.windowStart, body.data.windowEnd], [new Date(W_END - DAY).toISOString(), new Date(W_END).toISOString()]);
        assert.deepEqual(body.data.tasks.map((x: any) => [x.id, x.name, x.successes, x.failures, x.runs.length]), [
          [taskIds[0], 'Task 01', 2, 1, 3],
          [taskIds[1], 'Task 02', 0, 0, 0],
        ]);
        assert.deepEqual(Object.keys(body.data.tasks[0].runs[0]).sort(), ['finishedAt', 'id', 'log', 'status', 'trigger']);
        assert.equal(body.data.title, mail.subject);
        assert.match(body.data.body, /Task 01: 2 succeeded, 1 failed/);
      } finally {
        mailer.close();
        await sink.close();
        await receiver.close();
      }
    });
  });
}
