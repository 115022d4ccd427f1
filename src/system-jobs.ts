// Periodic housekeeping, written as data and driven by node-cron. Each job is safe to run on every
// instance at once: deletes of expired rows, and lost runs claimed with a compare-and-set.
import cron, { type ScheduledTask } from 'node-cron';
import type { Db } from './db/knex.js';
import type { Logger } from './lib/log.js';
import type { Clock } from './lib/clock.js';
import { sessionsRepo } from './accounts/session-store.js';
import { purgeExpiredRateLimits } from './accounts/rate-limit.js';
import { passwordResetsRepo } from './accounts/password-reset.js';
import { siteSettingsRepo } from './accounts/site-settings.js';
import { claimsRepo } from './scheduler/claims.js';
import { outboxRepo } from './push/outbox-repo.js';
import type { RunsService } from './runs/service.js';

export type JobDeps = { db: Db; clock: Clock; runs: Pick<RunsService, 'markLost'> };
export type SystemJob = { name: string; schedule: string; run(deps: JobDeps): Promise<number> };

const DAY_MS = 24 * 60 * 60 * 1000;
const PURGE_BATCH = 5000;

export const SYSTEM_JOBS: SystemJob[] = [
  { name: 'purge-expired-sessions', schedule: '17 * * * *', run: ({ db, clock }) => sessionsRepo(db.knex).purgeExpired(clock.now()) },
  { name: 'purge-expired-rate-limits', schedule: '*/15 * * * *', run: ({ db, clock }) => purgeExpiredRateLimits(db.knex, clock.now()) },
  { name: 'purge-expired-password-resets', schedule: '23 * * * *', run: ({ db, clock }) => passwordResetsRepo(db.knex).purgeExpired(clock.now()) },
  {
    // Runs of a process that died: their lease ran out. Each becomes `lost` (an automatic failure).
    name: 'reap-lost-runs',
    schedule: '*/15 * * * * *',
    async run({ db, clock, runs }) {
      let reaped = 0;
      for (const run of await claimsRepo(db.knex).expired(clock.now(), 200)) if (await runs.markLost(run)) reaped++;
      return reaped;
    },
  },
  {
    // Runs older than the site's log retention, in batches so no statement holds the table long.
    name: 'purge-old-runs',
    schedule: '41 3 * * *',
    async run({ db, clock }) {
      const { logRetentionDays } = await siteSettingsRepo(db.knex).get();
      const before = clock.now() - logRetentionDays * DAY_MS;
      let removed = 0;
      for (;;) {
        const ids = (await db.knex('task_runs').where('started_at', '<', before).whereNot({ status: 'running' }).limit(PURGE_BATCH).pluck('id')) as number[];
        if (ids.length === 0) return removed;
        removed += await db.knex('task_runs').whereIn('id', ids).delete();
      }
    },
  },
  {
    // Push history (sent and failed messages) with the same retention as runs; queued ones wait on.
    name: 'purge-old-push-messages',
    schedule: '47 3 * * *',
    async run({ db, clock }) {
      const { logRetentionDays } = await siteSettingsRepo(db.knex).get();
      return outboxRepo(db.knex).purgeFinished(clock.now() - logRetentionDays * DAY_MS, PURGE_BATCH);
    },
  },
];

export function startSystemJobs(deps: JobDeps & { log: Logger }, jobs = SYSTEM_JOBS): { stop(): Promise<void> } {
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async () => {
        try {
          const count = await job.run(deps);
          deps.log.debug({ job: job.name, count }, 'system job done');
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
