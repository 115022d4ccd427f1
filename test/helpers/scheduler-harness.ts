// A scheduler of one instance wired as main.ts wires it (real claims, real runs service, real timers)
// against a test database, plus a local site whose answers tests can delay or hold.
import type { Knex } from 'knex';
import { createScheduler, type Scheduler, type SchedulerOptions } from '../../src/scheduler/scheduler.js';
import { claimsRepo, type ClaimsRepo } from '../../src/scheduler/claims.js';
import { createServices } from '../../src/services.js';
import { silentLogger } from '../../src/lib/log.js';
import { systemClock } from '../../src/lib/clock.js';
import type { TestDatabase } from './db.js';
import { testConfig } from './app.js';
import { startServer, type TestServer } from './http-servers.js';

export type SchedulerUnderTest = { scheduler: Scheduler; claims: ClaimsRepo; calls: { due: number; claim: number; claimsAtOnce: number; mostClaimsAtOnce: number }; owner: string };

let instances = 0;

/**
 * A started scheduler; `calls` counts the loop's looks at the table and its claim batches (and the
 * most that were under way at once); `claimDelayMs` slows each batch down; `claimsFail` makes each fail.
 */
export async function startScheduler(
  database: TestDatabase,
  options: Partial<Omit<SchedulerOptions, 'claims' | 'runs' | 'lease'>> & { leaseMs?: number; claimDelayMs?: number; claimsFail?: boolean } = {},
): Promise<SchedulerUnderTest> {
  const { leaseMs, claimDelayMs, claimsFail, ...rest } = options;
  const owner = `test-instance-${++instances}`;
  const config = testConfig(database.url, { ALLOW_PRIVATE_NETWORK: 'true' });
  const services = createServices({ config, db: database.db, instanceId: owner });
  const real = claimsRepo(database.db.knex);
  const calls = { due: 0, claim: 0, claimsAtOnce: 0, mostClaimsAtOnce: 0 };
  const claims: ClaimsRepo = {
    ...real,
    due: (...args) => {
      calls.due++;
      return real.due(...args);
    },
    // The loop claims what it picked in one batch: each batch counts as one claim.
    claimAll: async (...args) => {
      calls.claim++;
      calls.mostClaimsAtOnce = Math.max(calls.mostClaimsAtOnce, ++calls.claimsAtOnce);
      try {
        if (claimDelayMs) await new Promise((resolve) => setTimeout(resolve, claimDelayMs));
        if (claimsFail) throw new Error('the claim failed');
        return await real.claimAll(...args);
      } finally {
        calls.claimsAtOnce--;
      }
    },
  };
  const scheduler = createScheduler({
    claims,
    runs: services.runs,
    clock: systemClock,
    log: silentLogger,
    concurrency: 8,
    perUserConcurrency: 8,
    lease: { owner, ms: leaseMs ?? services.lease.ms },
    ...rest,
  });
  await scheduler.start();
  return { scheduler, claims: real, calls, owner };
}

export type Site = TestServer & {
  /** Requests to /hold/<name> wait until release(name) (or close). */
  release(name: string): void;
  /** Times the site answered each path, in order. */
  answered: { path: string; at: number }[];
};

/** /ok answers at once, /slow/<ms>/… after <ms> ms, /hold/<name> when released. */
export async function startSite(): Promise<Site> {
  const held = new Map<string, (() => void)[]>();
  const answered: { path: string; at: number }[] = [];
  const answer = (path: string, res: import('node:http').ServerResponse) => {
    answered.push({ path, at: Date.now() });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  };
  const server = await startServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const [, kind, arg] = path.split('/');
    if (kind === 'slow') setTimeout(() => answer(path, res), Number(arg));
    else if (kind === 'hold') held.set(arg!, [...(held.get(arg!) ?? []), () => answer(path, res)]);
    else answer(path, res);
  });
  const release = (name: string) => {
    for (const go of held.get(name) ?? []) go();
    held.delete(name);
  };
  const closeServer = server.close;
  return Object.assign(server, {
    release,
    answered,
    close: async () => {
      for (const name of [...held.keys()]) release(name);
      await closeServer();
    },
  });
}

/** Tasks earlier tests left behind must not run in the next one: no next run, no run under way. */
export async function quiet(knex: Knex) {
  await knex('tasks').update({ next_run_at: null, running_since: null, claimed_slot_at: null });
  await knex('task_runs').where({ status: 'running' }).update({ status: 'failure', lease_owner: null, lease_expires_at: null });
}
