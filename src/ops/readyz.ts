// Readiness: 200 only when this instance can do its work — the database answers, its migrations are
// current, and the background loops (scheduler, dispatcher, digest job) have looked at their tables
// recently. 503 with the reasons otherwise, so a load balancer takes the instance out. /healthz stays
// the liveness check (the process and the database answer).
import type { RequestHandler } from 'express';
import { pingDb, type Db } from '../db/knex.js';
import { migrationsCurrent } from '../db/migrate.js';
import type { Clock } from '../lib/clock.js';

/** A loop's last look at its table (epoch ms; 0: never). Loops register when they start. */
export type Loops = Map<string, () => number>;

/** Loops look at least every second; this leaves room for a slow tick under load. */
export const LOOP_STALE_MS = 30_000;

export function readyz({ db, loops, clock }: { db: Db; loops: Loops; clock: Clock }): RequestHandler {
  return async (_req, res) => {
    const problems: string[] = [];
    try {
      await pingDb(db);
      if (!(await migrationsCurrent(db))) problems.push('migrations are not current');
    } catch {
      problems.push('the database does not answer');
    }
    const now = clock.now();
    if (loops.size === 0) problems.push('the background loops have not started');
    for (const [name, lastTickAt] of loops) {
      const last = lastTickAt();
      if (last === 0) problems.push(`${name} has not run yet`);
      else if (now - last > LOOP_STALE_MS) problems.push(`${name} last ran ${Math.round((now - last) / 1000)} s ago`);
    }
    if (problems.length) res.status(503).json({ ok: false, problems });
    else res.json({ ok: true });
  };
}
