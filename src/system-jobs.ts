// Periodic housekeeping, written as data and driven by node-cron. Each job is safe to run on every
// instance at once (deletes of expired rows).
import cron, { type ScheduledTask } from 'node-cron';
import type { Db } from './db/knex.js';
import type { Logger } from './lib/log.js';
import type { Clock } from './lib/clock.js';
import { sessionsRepo } from './accounts/session-store.js';
import { purgeExpiredRateLimits } from './accounts/rate-limit.js';

export type SystemJob = { name: string; schedule: string; run(deps: { db: Db; clock: Clock }): Promise<number> };

export const SYSTEM_JOBS: SystemJob[] = [
  { name: 'purge-expired-sessions', schedule: '17 * * * *', run: ({ db, clock }) => sessionsRepo(db.knex).purgeExpired(clock.now()) },
  { name: 'purge-expired-rate-limits', schedule: '*/15 * * * *', run: ({ db, clock }) => purgeExpiredRateLimits(db.knex, clock.now()) },
];

export function startSystemJobs(deps: { db: Db; clock: Clock; log: Logger }, jobs = SYSTEM_JOBS): { stop(): Promise<void> } {
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async () => {
        try {
          const removed = await job.run(deps);
          deps.log.debug({ job: job.name, removed }, 'system job done');
        } catch (err) {
          deps.log.error({ job: job.name, err }, 'system job failed');
        }
      },
      { name: job.name, noOverlap: true },
    ),
  );
  return {
    async stop() {
      await Promise.all(tasks.map((t) => t.destroy()));
    },
  };
}
