// Reading the outbox as a history: a user's messages newest first, filtered, a page at a time
// (keyset on id, index push_messages_user_id), and each registration's outcomes of the last week.
import type { Knex } from 'knex';
import type { MessageStatus } from './outbox-repo.js';

export type HistoryFilter = {
  status?: MessageStatus;
  registrationId?: number;
  event?: string;
  /** Only messages with a smaller id (the next page). */
  before?: number;
  limit: number;
};

export type HistoryMessage = {
  id: number;
  registrationId: number;
  registrationName: string;
  channel: string;
  event: string;
  taskId: number | null;
  runId: number | null;
  title: string;
  body: string;
  status: MessageStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number | null;
  createdAt: number;
  sentAt: number | null;
};

const num = (v: unknown) => (v == null ? null : Number(v));

export function historyRepo(knex: Knex) {
  return {
    /** One page, newest first; `more` says whether older messages match too. */
    async page(userId: number, filter: HistoryFilter): Promise<{ items: HistoryMessage[]; more: boolean }> {
      const query = knex('push_messages as m')
        .join('push_registrations as r', 'r.id', 'm.registration_id')
        .select(
          'm.id', 'm.registration_id', 'r.name as registration_name', 'r.channel', 'm.event', 'm.task_id', 'm.run_id',
          'm.title', 'm.body', 'm.status', 'm.attempts', 'm.last_error', 'm.next_attempt_at', 'm.created_at', 'm.sent_at',
        )
        .where('m.user_id', userId)
        .orderBy('m.id', 'desc')
        .limit(filter.limit + 1);
      if (filter.status) query.andWhere('m.status', filter.status);
      if (filter.registrationId) query.andWhere('m.registration_id', filter.registrationId);
      if (filter.event) query.andWhere('m.event', filter.event);
      if (filter.before) query.andWhere('m.id', '<', filter.before);
      const rows = (await query) as Record<string, unknown>[];
      const items = rows.slice(0, filter.limit).map((r) => ({
        id: Number(r.id),
        registrationId: Number(r.registration_id),
        registrationName: String(r.registration_name),
        channel: String(r.channel),
        event: String(r.event),
        taskId: num(r.task_id),
        runId: num(r.run_id),
        title: String(r.title),
        body: String(r.body),
        status: r.status as MessageStatus,
        attempts: Number(r.attempts),
        lastError: (r.last_error as string | null) ?? null,
        nextAttemptAt: num(r.next_attempt_at),
        createdAt: Number(r.created_at),
        sentAt: num(r.sent_at),
      }));
      return { items, more: rows.length > filter.limit };
    },

    /** Sent and failed messages per registration created since `since` (index push_messages_registration_created). */
    async weekStats(registrationIds: number[], since: number): Promise<Map<number, { sent: number; failed: number }>> {
      const stats = new Map<number, { sent: number; failed: number }>();
      if (registrationIds.length === 0) return stats;
      const rows = (await knex('push_messages')
        .select('registration_id', 'status')
        .count({ n: '*' })
        .whereIn('registration_id', registrationIds)
        .andWhere('created_at', '>=', since)
        .whereIn('status', ['sent', 'failed'])
        .groupBy('registration_id', 'status')) as { registration_id: number | string; status: string; n: number | string }[];
      for (const row of rows) {
        const entry = stats.get(Number(row.registration_id)) ?? { sent: 0, failed: 0 };
        if (row.status === 'sent') entry.sent = Number(row.n);
        else entry.failed = Number(row.n);
        stats.set(Number(row.registration_id), entry);
      }
      return stats;
    },
  };
}

export type HistoryRepo = ReturnType<typeof historyRepo>;
