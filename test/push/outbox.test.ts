// The outbox on real databases: registrations stored encrypted, enqueue (own enabled registrations
// only, idempotent with a dedup key, inside a caller's transaction), what disabling and deleting a
// registration does to waiting messages, and the retention purge that keeps queued messages.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createSecretBox } from '../../src/db/secret-box.js';
import { enqueue, outboxRepo } from '../../src/push/outbox-repo.js';
import { REGISTRATION_DISABLED, registrationsRepo } from '../../src/push/registrations-repo.js';
import { SYSTEM_JOBS, type JobDeps } from '../../src/system-jobs.js';
import { TEST_SECRET } from '../helpers/app.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/db.js';

const box = createSecretBox(TEST_SECRET);
const NOW = Date.parse('2026-11-21T08:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;
let seq = 0;

async function seedUser(knex: Knex): Promise<number> {
  const [id] = await knex('users').insert({ email: `outbox-${process.pid}-${++seq}@example.com`, password_hash: 'x', created_at: NOW, updated_at: NOW });
  return Number(id);
}

const webhook = (enabled = true) => ({ channel: 'webhook', name: `hook ${++seq}`, config: { url: 'https://example.com/hook', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, enabled });

const message = { event: 'task.failure', title: 'Check-in failed', body: 'HTTP 500' };

for (const dialect of DIALECTS) {
  describe(`push outbox (${dialect})`, () => {
    let t: TestDatabase;
    let knex: Knex;
    before(async () => {
      t = await createTestDatabase(dialect);
      knex = t.db.knex;
    });
    after(() => t.drop());

    const messages = (ids: number[]) => knex('push_messages').whereIn('id', ids).orderBy('id');

    it('stores the whole channel config encrypted and gives it back decrypted', async () => {
      const userId = await seedUser(knex);
      const repo = registrationsRepo(knex, box);
      const id = await repo.insert(userId, webhook(), NOW);
      const row = await knex('push_registrations').where({ id }).first();
      assert.match(row.config_enc, /^v1:/);
      assert.doesNotMatch(row.config_enc, /example\.com|whsec_/);
      const found = await repo.find(userId, id);
      assert.deepEqual(found?.config, webhook().config);
      assert.equal(found?.enabled, true);
      assert.equal(found?.channel, 'webhook');
      assert.equal(await repo.find(await seedUser(knex), id), undefined, "another user's registration is not found");
      assert.equal(await repo.update(userId, id, { name: 'renamed', config: { url: 'https://example.org/x', secret: 's' } }, NOW + 1), true);
      assert.deepEqual((await repo.find(userId, id))?.config, { url: 'https://example.org/x', secret: 's' });
      assert.deepEqual((await repo.listForUser(userId)).map((r) => r.name), ['renamed']);
    });

    it("queues one message per registration, only for the user's own enabled ones", async () => {
      const repo = registrationsRepo(knex, box);
      const userId = await seedUser(knex);
      const other = await seedUser(knex);
      const a = await repo.insert(userId, webhook(), NOW);
      const b = await repo.insert(userId, webhook(), NOW);
      const off = await repo.insert(userId, webhook(false), NOW);
      const foreign = await repo.insert(other, webhook(), NOW);
      const ids = await enqueue(knex, { userId, registrationIds: [a, b, off, foreign], ...message, data: { task: { id: 7 } }, taskId: 7, runId: 91 }, NOW);
      assert.equal(ids.length, 2);
      const rows = await messages(ids);
      assert.deepEqual(
        rows.map((r) => [Number(r.registration_id), Number(r.user_id), r.status, Number(r.attempts), Number(r.next_attempt_at), Number(r.task_id), Number(r.run_id)]),
        [
          [a, userId, 'queued', 0, NOW, 7, 91],
          [b, userId, 'queued', 0, NOW, 7, 91],
        ],
      );
      assert.deepEqual(JSON.parse(rows[0].data), { task: { id: 7 } });
      // null: every enabled registration of the user
      const all = await enqueue(knex, { userId, registrationIds: null, ...message }, NOW);
      assert.deepEqual((await messages(all)).map((r) => Number(r.registration_id)), [a, b]);
      assert.deepEqual(await enqueue(knex, { userId, registrationIds: [], ...message }, NOW), []);
    });

    it('with a dedup key, enqueueing again adds nothing, per registration', async () => {
      const repo = registrationsRepo(knex, box);
      const userId = await seedUser(knex);
      const a = await repo.insert(userId, webhook(), NOW);
      const b = await repo.insert(userId, webhook(), NOW);
      const key = `digest:${userId}:${NOW}`;
      const first = await enqueue(knex, { userId, registrationIds: [a], ...message, event: 'digest', dedupKey: key }, NOW);
      assert.equal(first.length, 1);
      // Inside a transaction, as the digest job does: the duplicate is skipped, the new one commits.
      const second = await knex.transaction((trx) => enqueue(trx, { userId, registrationIds: [a, b], ...message, event: 'digest', dedupKey: key }, NOW));
      assert.equal(second.length, 1);
      const rows = await knex('push_messages').where('dedup_key', 'like', `${key}:%`).orderBy('id');
      assert.deepEqual(
        rows.map((r) => [Number(r.registration_id), r.dedup_key]),
        [
          [a, `${key}:${a}`],
          [b, `${key}:${b}`],
        ],
      );
    });

    it('of two instances claiming one message, only one wins, and only once it is due', async () => {
      const userId = await seedUser(knex);
      const reg = await registrationsRepo(knex, box).insert(userId, webhook(), NOW);
      const [id] = await enqueue(knex, { userId, registrationIds: [reg], ...message }, NOW + 1000);
      const outbox = outboxRepo(knex);
      assert.equal(await outbox.claim(id!, NOW, { owner: 'a', ms: 60_000 }), false, 'not due yet');
      const claims = await Promise.all([outbox.claim(id!, NOW + 1000, { owner: 'a', ms: 60_000 }), outbox.claim(id!, NOW + 1000, { owner: 'b', ms: 60_000 })]);
      assert.deepEqual(claims, [true, false]);
      const [row] = await messages([id!]);
      assert.deepEqual([row.status, row.lease_owner, Number(row.lease_expires_at), Number(row.attempts)], ['sending', 'a', NOW + 61_000, 1]);
      assert.equal(await outbox.markSent(id!, 'b', reg, NOW + 2000), false, 'only the lease owner records the outcome');
      assert.equal(await outbox.markSent(id!, 'a', reg, NOW + 2000), true);
    });

    it('disabling a registration fails its queued messages; deleting it removes them', async () => {
      const repo = registrationsRepo(knex, box);
      const userId = await seedUser(knex);
      const a = await repo.insert(userId, webhook(), NOW);
      const b = await repo.insert(userId, webhook(), NOW);
      const [queuedA] = await enqueue(knex, { userId, registrationIds: [a], ...message }, NOW);
      const [queuedB] = await enqueue(knex, { userId, registrationIds: [b], ...message }, NOW);
      assert.equal(await repo.update(userId, a, { enabled: false }, NOW + 1), true);
      const [row] = await messages([queuedA!]);
      assert.equal(row.status, 'failed');
      assert.equal(row.last_error, REGISTRATION_DISABLED);
      assert.equal(row.next_attempt_at, null);
      assert.equal(await repo.delete(userId, b), true);
      assert.deepEqual(await messages([queuedB!]), []);
      assert.equal(await repo.delete(userId, b), false);
    });

    it('the purge job removes sent and failed messages older than the retention, and keeps queued ones', async () => {
      const repo = registrationsRepo(knex, box);
      const userId = await seedUser(knex);
      const reg = await repo.insert(userId, webhook(), NOW);
      const old = NOW - 400 * DAY; // the default retention is 365 days
      const make = async (status: string, createdAt: number) => {
        const [id] = await enqueue(knex, { userId, registrationIds: [reg], ...message }, createdAt);
        await knex('push_messages').where({ id }).update({ status, next_attempt_at: status === 'queued' ? createdAt : null });
        return id!;
      };
      const oldSent = await make('sent', old);
      const oldFailed = await make('failed', old);
      const oldQueued = await make('queued', old);
      const oldSending = await make('sending', old);
      const recentSent = await make('sent', NOW - 10 * DAY);
      const job = SYSTEM_JOBS.find((j) => j.name === 'purge-old-push-messages');
      assert.ok(job);
      const deps = { db: t.db, clock: { now: () => NOW }, runs: { markLost: async () => false } } as unknown as JobDeps;
      assert.ok((await job.run(deps)) >= 2);
      const left = (await knex('push_messages').whereIn('id', [oldSent, oldFailed, oldQueued, oldSending, recentSent]).orderBy('id').pluck('id')).map(Number);
      assert.deepEqual(left, [oldQueued, oldSending, recentSent]);
    });
  });
}
