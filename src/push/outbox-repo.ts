// SQL of the outbox (push_messages): enqueueing, and the dispatcher's claims, leases and outcomes.
// Every claim is a compare-and-set (status queued → sending), so of several instances exactly one
// sends a message; every outcome is written only by the lease owner still holding the message, so a
// late answer after the reaper gave the message to someone else changes nothing.
import type { Knex } from 'knex';
import { currentRequestId } from '../lib/log.js';

export type MessageStatus = 'queued' | 'sending' | 'sent' | 'failed';

export type EnqueueInput = {
  userId: number;
  /** The registrations to push to; null: all of the user's enabled registrations. */
  registrationIds: readonly number[] | null;
  event: string;
  title: string;
  body: string;
  /** An HTML rendering for email (the digest's table); other channels use the body. */
  html?: string;
  data?: Record<string, unknown>;
  taskId?: number;
  runId?: number;
  /** Makes the enqueue idempotent: stored per registration as `<dedupKey>:<registrationId>`. */
  dedupKey?: string;
};

/** A queued row the dispatcher may claim. */
export type DueMessage = { id: number; registrationId: number; nextAttemptAt: number };

/** A claimed message with what sending it needs. */
export type OutgoingMessage = {
  id: number;
  userId: number;
  registrationId: number;
  event: string;
  title: string;
  body: string;
  html: string | null;
  data: Record<string, unknown> | null;
  /** The request that caused the message, for the delivery's log lines. */
  requestId: string | null;
  attempts: number;
  createdAt: number;
  accountEmail: string | undefined;
};

export type Lease = { owner: string; ms: number };

/** MySQL's answers when two transactions lock the same rows in a different order, or wait too long. */
function isLockConflict(err: unknown): boolean {
  const e = err as { code?: string; errno?: number };
  return e?.code === 'ER_LOCK_DEADLOCK' || e?.errno === 1213 || e?.code === 'ER_LOCK_WAIT_TIMEOUT' || e?.errno === 1205 || e?.code === 'SQLITE_BUSY';
}

/**
 * Records an outcome, trying again when the database chose it as a deadlock's victim: an outcome
 * that is not written would leave the message "sending" until its lease runs out.
 */
async function retryOnDeadlock<T>(write: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (err) {
      if (i >= attempts || !isLockConflict(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * i + Math.random() * 30));
    }
  }
}

function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: string; errno?: number };
  return e?.code === 'ER_DUP_ENTRY' || e?.errno === 1062 || e?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * Queues one message per registration — only the user's own, enabled ones — and returns the new rows'
 * ids. With a dedupKey a registration that has its message already gets no second one. Takes a knex
 * or a transaction, so a caller's claim and its messages commit together.
 */
export async function enqueue(knex: Knex | Knex.Transaction, input: EnqueueInput, now: number): Promise<number[]> {
  if (input.registrationIds !== null && input.registrationIds.length === 0) return [];
  const query = knex('push_registrations').where({ user_id: input.userId, enabled: 1 });
  if (input.registrationIds !== null) query.whereIn('id', input.registrationIds);
  const registrationIds = ((await query.orderBy('id').pluck('id')) as (number | string)[]).map(Number);
  const ids: number[] = [];
  for (const registrationId of registrationIds) {
    try {
      const [id] = await knex('push_messages').insert({
        user_id: input.userId,
        registration_id: registrationId,
        event: input.event,
        task_id: input.taskId ?? null,
        run_id: input.runId ?? null,
        title: input.title,
        body: input.body,
        html: input.html ?? null,
        request_id: currentRequestId() ?? null,
        data: input.data === undefined ? null : JSON.stringify(input.data),
        status: 'queued',
        attempts: 0,
        next_attempt_at: now,
        dedup_key: input.dedupKey === undefined ? null : `${input.dedupKey}:${registrationId}`,
        created_at: now,
      });
      ids.push(Number(id));
    } catch (err) {
      // A failed statement leaves the rest of the transaction intact on SQLite and InnoDB alike.
      if (input.dedupKey !== undefined && isDuplicateKey(err)) continue;
      throw err;
    }
  }
  return ids;
}

const n = (v: number | string | null | undefined) => (v == null ? null : Number(v));

export function outboxRepo(knex: Knex) {
  /** Writes an outcome only while `owner` still holds the message. */
  const held = (id: number, owner: string) => knex('push_messages').where({ id, status: 'sending', lease_owner: owner });

  return {
    /** Queued messages due at `now`, earliest first, leaving out registrations busy in this process. */
    async due(now: number, limit: number, skipRegistrations: number[] = []): Promise<DueMessage[]> {
      const query = knex('push_messages').select('id', 'registration_id', 'next_attempt_at').where({ status: 'queued' }).andWhere('next_attempt_at', '<=', now);
      if (skipRegistrations.length) query.whereNotIn('registration_id', skipRegistrations);
      const rows = await query.orderBy([{ column: 'next_attempt_at' }, { column: 'id' }]).limit(limit);
      return rows.map((r) => ({ id: Number(r.id), registrationId: Number(r.registration_id), nextAttemptAt: Number(r.next_attempt_at) }));
    },

    /** The earliest next attempt after `after`, or null: when the loop must look again. */
    async earliest(after: number): Promise<number | null> {
      const row = (await knex('push_messages').where({ status: 'queued' }).andWhere('next_attempt_at', '>', after).min({ at: 'next_attempt_at' }).first()) as
        | { at: number | string | null }
        | undefined;
      return n(row?.at);
    },

    /** Claims a due message for one attempt; false when another instance got it first. */
    async claim(id: number, now: number, lease: Lease): Promise<boolean> {
      const changed = await knex('push_messages')
        .where({ id, status: 'queued' })
        .andWhere('next_attempt_at', '<=', now)
        .update({ status: 'sending', lease_owner: lease.owner, lease_expires_at: now + lease.ms, attempts: knex.raw('attempts + 1') });
      return changed === 1;
    },

    /** A claimed message with its owner's email; undefined when it went away (registration deleted). */
    async load(id: number): Promise<OutgoingMessage | undefined> {
      const r = await knex('push_messages as m')
        .leftJoin('users as u', 'u.id', 'm.user_id')
        .select('m.id', 'm.user_id', 'm.registration_id', 'm.event', 'm.title', 'm.body', 'm.html', 'm.data', 'm.request_id', 'm.attempts', 'm.created_at', 'u.email')
        .where('m.id', id)
        .first();
      if (!r) return undefined;
      return {
        id: Number(r.id),
        userId: Number(r.user_id),
        registrationId: Number(r.registration_id),
        event: r.event,
        title: r.title,
        body: r.body,
        html: r.html ?? null,
        requestId: r.request_id ?? null,
        data: r.data == null ? null : (JSON.parse(r.data) as Record<string, unknown>),
        attempts: Number(r.attempts),
        createdAt: Number(r.created_at),
        accountEmail: r.email ?? undefined,
      };
    },

    /**
     * When the registration may send again under a limit of `perMinute` in any 60 s: null now, or the
     * moment the oldest of the last `perMinute` sends leaves the window.
     */
    async rateLimitedUntil(registrationId: number, perMinute: number, now: number): Promise<number | null> {
      const sent = (await knex('push_messages')
        .where({ registration_id: registrationId })
        .andWhere('sent_at', '>', now - 60_000)
        .orderBy('sent_at', 'desc')
        .limit(perMinute)
        .pluck('sent_at')) as (number | string)[];
      return sent.length < perMinute ? null : Math.min(...sent.map(Number)) + 60_000;
    },

    async markSent(id: number, owner: string, registrationId: number, now: number): Promise<boolean> {
      return retryOnDeadlock(() => knex.transaction(async (trx) => {
        const changed = await held(id, owner)
          .transacting(trx)
          .update({ status: 'sent', sent_at: now, next_attempt_at: null, lease_owner: null, lease_expires_at: null });
        if (changed === 1) await trx('push_registrations').where({ id: registrationId }).update({ last_sent_at: now });
        return changed === 1;
      }));
    },

    /** A message that will not be sent: its error, and the registration's last error when it is about the channel. */
    async markFailed(id: number, owner: string, error: string, now: number, registrationId?: number): Promise<boolean> {
      return retryOnDeadlock(() => knex.transaction(async (trx) => {
        const changed = await held(id, owner)
          .transacting(trx)
          .update({ status: 'failed', last_error: error, next_attempt_at: null, lease_owner: null, lease_expires_at: null });
        if (changed === 1 && registrationId !== undefined) {
          await trx('push_registrations').where({ id: registrationId }).update({ last_error: error, last_error_at: now });
        }
        return changed === 1;
      }));
    },

    /** Back to the queue for another attempt at `at`. */
    async retryAt(id: number, owner: string, at: number, error: string): Promise<boolean> {
      return retryOnDeadlock(async () => (await held(id, owner).update({ status: 'queued', next_attempt_at: at, last_error: error, lease_owner: null, lease_expires_at: null })) === 1);
    },

    /** Over the rate limit: back to the queue for `at`, and the claim does not count as an attempt. */
    async postpone(id: number, owner: string, at: number): Promise<boolean> {
      return retryOnDeadlock(async () => (await held(id, owner).update({ status: 'queued', next_attempt_at: at, attempts: knex.raw('attempts - 1'), lease_owner: null, lease_expires_at: null })) === 1);
    },

    /**
     * Renews the leases of the messages this instance is sending right now — those ids only, so a
     * message whose outcome could not be recorded (its send ended) is not kept alive forever.
     */
    async heartbeat(owner: string, ids: readonly number[], now: number, leaseMs: number): Promise<number> {
      if (ids.length === 0) return 0;
      return knex('push_messages').whereIn('id', [...ids]).where({ status: 'sending', lease_owner: owner }).update({ lease_expires_at: now + leaseMs });
    },

    /**
     * Messages of a process that stopped renewing its lease go back to the queue, due now. The
     * expired ids are read first and updated by id, so the update locks only those rows (a range
     * update on MySQL would lock rows other instances are writing outcomes to, and deadlock).
     */
    async reapExpired(now: number): Promise<number> {
      const ids = (await knex('push_messages').where({ status: 'sending' }).andWhere('lease_expires_at', '<', now).limit(500).pluck('id')) as (number | string)[];
      if (ids.length === 0) return 0;
      return knex('push_messages')
        .whereIn('id', ids.map(Number))
        .where({ status: 'sending' })
        .andWhere('lease_expires_at', '<', now)
        .update({ status: 'queued', next_attempt_at: now, lease_owner: null, lease_expires_at: null });
    },

    /** Gives up this instance's leases (shutdown): another instance's reaper takes them at once. */
    async releaseLeases(owner: string, now: number): Promise<number> {
      return knex('push_messages').where({ status: 'sending', lease_owner: owner }).update({ lease_expires_at: now - 1 });
    },

    /** Sent and failed messages created before `before`, in batches; queued and sending ones stay. */
    async purgeFinished(before: number, batch = 5000): Promise<number> {
      let removed = 0;
      for (;;) {
        const ids = (await knex('push_messages').where('created_at', '<', before).whereIn('status', ['sent', 'failed']).limit(batch).pluck('id')) as number[];
        if (ids.length === 0) return removed;
        removed += await knex('push_messages').whereIn('id', ids).delete();
      }
    },
  };
}

export type OutboxRepo = ReturnType<typeof outboxRepo>;
