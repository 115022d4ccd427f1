// Scenario 2 — a burst: N tasks (one GET each) due at the same second, run by the real scheduler in
// its own process (or several: scenario 6). Lateness as in bench-scheduler: a run's started_at − its
// slot; runs/s from the first start to the last finish. Beside it, in the same run, raw undici GETs
// to the same server at the same concurrency: the ceiling a runner on this machine could reach.
import type { Knex } from 'knex';
import { Agent, request } from 'undici';
import type { Dialect } from '../../src/db/knex.js';
import { parseConfig } from '../../src/config.js';
import { count, log, makeDue, makeIdle, percentile, round, sleep, target, until, type BenchOptions, type ScenarioResult } from './helpers.js';
import { startChild, type BurstEnd } from './processes.js';

/** WORKER_CONCURRENCY as the scheduler process reads it (its default). */
export const CONCURRENCY = parseConfig({ APP_SECRET: 'x'.repeat(32) }).workerConcurrency;

export type BurstOutcome = {
  runs: number;
  failed: number;
  runsPerSec: number;
  latenessP50Ms: number;
  latenessP99Ms: number;
  latenessMaxMs: number;
  /** The same task run more than once for this slot. */
  duplicates: number;
  perInstance: Record<string, number>;
  cpuMsPerRun: number;
  rssMb: number;
};

/**
 * How long a new scheduler process idles before the burst is set up: start-up's garbage collections
 * settle. --quick waits only the slot's lead (1.5 s of idling, the scheduler's first ticks).
 */
export const burstWarmUpMs = (o: BenchOptions) => (o.quick ? 0 : 5000);

/** Makes `ids` due at one slot 1.5 s ahead with `instances` scheduler processes running, waits for every run. */
export async function runBurst(knex: Knex, databaseUrl: string, ids: number[], instances: number, warmUpMs: number): Promise<BurstOutcome> {
  const children = await Promise.all(Array.from({ length: instances }, (_, i) => startChild({ do: 'start', role: 'scheduler', url: databaseUrl, instance: `bench-${String.fromCharCode(97 + i)}` })));
  try {
    await sleep(warmUpMs);
    const before = Number((await knex('task_runs').max({ m: 'id' }).first())?.m ?? 0);
    // Further ahead than the scheduler's longest sleep (1 s) and makeDue: it has seen the slot before it comes.
    const slot = Date.now() + 1500;
    for (const c of children) c.child.send({ do: 'burst' });
    await makeDue(knex, ids, slot);
    await until(async () => (await count(knex('task_runs').where('id', '>', before).whereNot({ status: 'running' }))) >= ids.length, 180_000, `${ids.length} runs`, 200);
    const ends = await Promise.all(children.map((c) => c.ask<BurstEnd>({ do: 'stop' })));
    await Promise.all(children.map((c) => c.exited));

    const runs = (await knex('task_runs').where('id', '>', before).select('task_id', 'started_at', 'finished_at', 'status')) as Record<string, unknown>[];
    const failed = runs.filter((r) => r.status !== 'success').length;
    const lateness = runs.map((r) => Number(r.started_at) - slot).sort((a, b) => a - b);
    const firstStarted = Math.min(...runs.map((r) => Number(r.started_at)));
    const lastFinished = Math.max(...runs.map((r) => Number(r.finished_at)));
    const perTask = new Map<number, number>();
    for (const r of runs) perTask.set(Number(r.task_id), (perTask.get(Number(r.task_id)) ?? 0) + 1);
    const perInstance = Object.fromEntries(ends.map((e) => [e.instance, e.launched]));
    const cpuMs = ends.reduce((s, e) => s + e.burstCpuMs, 0);
    return {
      runs: runs.length,
      failed,
      runsPerSec: round((runs.length / (lastFinished - firstStarted)) * 1000, 0),
      latenessP50Ms: percentile(lateness, 50),
      latenessP99Ms: percentile(lateness, 99),
      latenessMaxMs: lateness.at(-1)!,
      duplicates: [...perTask.values()].filter((n) => n > 1).length,
      perInstance,
      cpuMsPerRun: round(cpuMs / runs.length),
      rssMb: round(Math.max(...ends.map((e) => e.burstRssMb)), 0),
    };
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill();
    await makeIdle(knex, ids);
  }
}

/** `total` GETs through one undici Agent by `concurrency` workers; requests per second. */
export async function rawUndici(url: string, total: number, concurrency: number): Promise<number> {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const get = async () => {
    const res = await request(url, { dispatcher: agent });
    await res.body.text();
  };
  try {
    const worker = async (n: number) => {
      for (let i = 0; i < n; i++) await get();
    };
    // Warm: connections open, code compiled, as the scheduler process's are after its warm-up.
    await Promise.all(Array.from({ length: concurrency }, () => worker(5)));
    const t0 = performance.now();
    let left = total;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) await get();
      }),
    );
    return round((total / (performance.now() - t0)) * 1000, 0);
  } finally {
    await agent.close();
  }
}

export async function burstScenario(o: BenchOptions, dialect: Dialect, knex: Knex, databaseUrl: string): Promise<{ result: ScenarioResult; outcome: BurstOutcome; ids: number[] }> {
  const size = o.quick ? 300 : 2000;
  const ids = (await knex('tasks').orderBy('id').limit(size).pluck('id')).map(Number);
  const outcome = await runBurst(knex, databaseUrl, ids, 1, burstWarmUpMs(o));
  const raw = await rawUndici(`${o.siteUrl}/ping?token=raw`, Math.max(o.quick ? 1000 : 2000, ids.length), CONCURRENCY);
  const efficiency = round(outcome.runsPerSec / raw);
  log(`${dialect}: burst of ${ids.length}: ${outcome.runsPerSec} runs/s (raw undici ${raw} req/s, ×${efficiency}), lateness p50 ${outcome.latenessP50Ms} p99 ${outcome.latenessP99Ms} max ${outcome.latenessMaxMs} ms, ${outcome.cpuMsPerRun} ms CPU per run`);
  if (outcome.failed) log(`${dialect}: ${outcome.failed} runs did not succeed`);
  return {
    outcome,
    ids,
    result: {
      scenario: '2. burst',
      db: dialect,
      figures: {
        'due at one second': ids.length,
        'runs/s': outcome.runsPerSec,
        'lateness p50 ms': outcome.latenessP50Ms,
        'lateness p99 ms': outcome.latenessP99Ms,
        'lateness max ms': outcome.latenessMaxMs,
        'raw undici req/s': raw,
        'efficiency Chime/raw': efficiency,
        'scheduler CPU ms per run': outcome.cpuMsPerRun,
        'scheduler RSS MB': outcome.rssMb,
        'runs not successful': outcome.failed,
      },
      targets: [target('efficiency Chime/raw', efficiency, '>=', 0.5)],
      notes: [`concurrency ${CONCURRENCY} (WORKER_CONCURRENCY) for both; the tasks table holds the 100,000 tasks of scenario 1`],
    },
  };
}
