// Scenario 1 — the cost of a scheduler tick against the size of the tasks table. A tick is what
// scheduler.ts does each time it wakes: claims.due(now, room × 4), claimAll(the pick), earliest(now),
// measured on the real repo functions many times; the median is the figure. With nothing due the
// pick is empty (claimAll returns at once); with 1,000 due the tick claims a full pool (32), whose
// claims are then undone outside the timing so every tick sees the same 1,000.
import type { Knex } from 'knex';
import type { Dialect } from '../../src/db/knex.js';
import { claimsRepo, type DueTask } from '../../src/scheduler/claims.js';
import { systemClock } from '../../src/lib/clock.js';
import { growTasks, log, percentile, round, seedTasks, target, makeDue, makeIdle, type BenchOptions, type ScenarioResult } from './helpers.js';

/** The pool's size (WORKER_CONCURRENCY's default), as the scheduler reads room × 4 tasks. */
const ROOM = 32;
const LEASE = { owner: 'bench-tick', ms: 60_000 };

export const TICK_SIZES = [100, 10_000, 100_000] as const;

type TickTimes = { p50Ms: number; p99Ms: number; claimed: number };

async function measureTicks(knex: Knex, iterations: number, warmUp: number, now: () => number): Promise<TickTimes> {
  const claims = claimsRepo(knex);
  const times: number[] = [];
  let claimed = 0;
  for (let i = 0; i < warmUp + iterations; i++) {
    const at = now();
    const t0 = performance.now();
    const due = await claims.due(at, ROOM * 4);
    const won = await claims.claimAll(due.slice(0, ROOM), systemClock, LEASE);
    await claims.earliest(at);
    const ms = performance.now() - t0;
    if (i >= warmUp) {
      times.push(ms);
      claimed += won.length;
    }
    if (won.length) await unclaim(knex, won.map((w) => ({ task: w.task, runId: w.runId })));
  }
  times.sort((a, b) => a - b);
  return { p50Ms: round(percentile(times, 50), 3), p99Ms: round(percentile(times, 99), 3), claimed: iterations ? claimed / iterations : 0 };
}

/**
 * Gives the slots back: the tasks due again at their old slot, their runs gone. One UPDATE per slot
 * (all of them share one here), not one per task: on MariaDB 32 round trips after every tick made
 * the undoing take longer than the ticks.
 */
async function unclaim(knex: Knex, won: { task: DueTask; runId: number }[]) {
  const bySlot = new Map<number, number[]>();
  for (const { task } of won) bySlot.set(task.nextRunAt, [...(bySlot.get(task.nextRunAt) ?? []), task.id]);
  await knex.transaction(async (trx) => {
    await trx('task_runs').whereIn('id', won.map((w) => w.runId)).delete();
    for (const [slot, ids] of bySlot) {
      await trx('tasks').whereIn('id', ids).update({ next_run_at: slot, running_since: null, claimed_slot_at: null });
    }
  });
}

/**
 * Seeds the tasks table up to each size in turn (users and templates exist) and times ticks with
 * nothing due; then, at the largest size, with 1,000 due. Leaves 100,000 idle tasks behind.
 */
export async function tickScenario(o: BenchOptions, dialect: Dialect, knex: Knex, users: { userIds: number[]; templateOf: Map<number, number> }): Promise<ScenarioResult> {
  const iterations = o.quick ? 300 : 2000;
  // A tick that claims costs tens of ms on MariaDB (and its undoing a few more): fewer of them.
  const busyIterations = o.quick ? 50 : 500;
  // Before the first size: the JIT, the pool's connections and the database's caches. Later sizes
  // and the busy ticks run the same code on a warm pool, so fewer unmeasured ticks do.
  const warmUp = (first: boolean) => (first ? 100 : o.quick ? 10 : 100);
  const figures: ScenarioResult['figures'] = {};
  let seeded = 0;
  const idle: Record<number, TickTimes> = {};
  for (const size of TICK_SIZES) {
    const t0 = Date.now();
    if (seeded < 10_000) await seedTasks(knex, users, seeded, Math.min(size, 10_000));
    await growTasks(knex, size);
    seeded = size;
    if (dialect === 'mysql') await knex.raw('ANALYZE TABLE tasks');
    else await knex.raw('ANALYZE');
    log(`${dialect}: ${size} tasks seeded (${Date.now() - t0} ms)`);
    idle[size] = await measureTicks(knex, iterations, warmUp(size === TICK_SIZES[0]), () => Date.now());
    figures[`idle tick p50 ms @${size}`] = idle[size].p50Ms;
    figures[`idle tick p99 ms @${size}`] = idle[size].p99Ms;
  }

  // 1,000 due among the 100,000, a second ago: each tick reads 128 of them and claims 32.
  const all = (await knex('tasks').pluck('id')).map(Number);
  const dueIds = all.sort(() => Math.random() - 0.5).slice(0, 1000);
  const slot = Date.now() - 1000;
  await makeDue(knex, dueIds, slot);
  const busy = await measureTicks(knex, busyIterations, warmUp(false), () => Date.now());
  await makeIdle(knex, dueIds);
  figures[`tick claiming ${ROOM} of 1,000 due p50 ms @100000`] = busy.p50Ms;
  figures[`tick claiming ${ROOM} of 1,000 due p99 ms @100000`] = busy.p99Ms;
  figures['claim cost per task ms'] = round(busy.p50Ms / Math.max(1, busy.claimed), 3);

  const ratio = round(idle[100_000]!.p50Ms / idle[100]!.p50Ms);
  figures['idle tick ratio 100000/100'] = ratio;
  const at100k = idle[100_000]!.p50Ms;
  log(`${dialect}: idle tick ${idle[100]!.p50Ms} ms @100 → ${at100k} ms @100000 (×${ratio}); claiming 32 of 1,000 due ${busy.p50Ms} ms`);
  return {
    scenario: '1. tick cost vs size',
    db: dialect,
    figures,
    targets: [target('idle tick ratio 100000/100', ratio, '<', 1.5)],
    notes: [`${iterations} ticks per size after ${warmUp(true)} unmeasured (${warmUp(false)} once warm), ${busyIterations} claiming ticks; a tick = due(now, 128) + claimAll(pick) + earliest(now)`],
  };
}
