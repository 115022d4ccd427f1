// The delivery history's chart: a user's messages per day and status. Days are the user's own
// (midnight in their time zone), so the route passes the day boundaries and SQL only buckets.
import type { Knex } from 'knex';
import type { MessageStatus } from './outbox-repo.js';

export type DayCounts = Record<MessageStatus, number>;

export function historyChartRepo(knex: Knex) {
  return {
    /**
     * Counts per day for `bounds` = [start of day 1, start of day 2, …, end of the last day]: one
     * grouped statement over the (user_id, created_at, status) index. Returns one entry per day.
     */
    async dailyCounts(userId: number, bounds: number[]): Promise<DayCounts[]> {
      const days = bounds.length - 1;
      const out = Array.from({ length: Math.max(days, 0) }, (): DayCounts => ({ queued: 0, sending: 0, sent: 0, failed: 0 }));
      if (days < 1) return out;
      const cases = bounds.slice(1).map(() => 'WHEN created_at < ? THEN ?').join(' ');
      const bindings = bounds.slice(1).flatMap((b, i) => [b, i]);
      const rows = (await knex('push_messages')
        .select(knex.raw(`CASE ${cases} END AS day`, bindings), 'status')
        .count({ n: '*' })
        .where({ user_id: userId })
        .andWhere('created_at', '>=', bounds[0]!)
        .andWhere('created_at', '<', bounds[days]!)
        .groupBy('day', 'status')) as { day: number | string; status: MessageStatus; n: number | string }[];
      for (const row of rows) {
        const entry = out[Number(row.day)];
        if (entry && row.status in entry) entry[row.status] += Number(row.n);
      }
      return out;
    },
  };
}

export type HistoryChartRepo = ReturnType<typeof historyChartRepo>;
