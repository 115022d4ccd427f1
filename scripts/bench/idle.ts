// Scenario 3 — the naive baseline: N tasks as N node-cron timers in one process, against Chime's
// scheduler process with N tasks in the database; nothing due, both idle. Both processes are
// scripts/bench/child.ts under tsx with the same modules loaded (the same loader and start-up cost);
// the Chime one holds every service of createServices, as main.ts does. All of them idle at the same
// time (one process per database and the baseline): idling processes hardly compete. The figures
// are each process's own CPU time and RSS, which other work on the machine hardly moves, so --quick
// starts them before the other scenarios and lets them idle while those run (startIdle, then
// measure alongside); the full run idles alone.
import type { Dialect } from '../../src/db/knex.js';
import { growTasks, log, round, seedTasks, seedUsers, sleep, target, type BenchOptions, type ScenarioResult } from './helpers.js';
import { startChild, type Child, type Idle } from './processes.js';

/**
 * Seeds the databases and starts the processes; `measure()` waits out the warm-up, then the idle
 * window; `stop()` ends the processes and drops the databases (left to the end of a --quick run, so
 * that no other scenario is measured while they shut down).
 */
export type IdleRun = { measure(overlapped: string | null): Promise<ScenarioResult[]>; stop(): Promise<void> };

export async function startIdle(o: BenchOptions): Promise<IdleRun> {
  const tasks = o.quick ? 10_000 : 100_000;
  const seconds = o.quick ? 10 : 60;
  const warmUpMs = o.quick ? 3000 : 10_000;
  const databases = await Promise.all(o.dialects.map((d) => o.databases.take(d)));
  const children: Child[] = [];
  const cleanUp = async () => {
    await Promise.all(children.map((c) => c.ask({ do: 'stop' }).catch(() => undefined)));
    for (const c of children) if (c.child.exitCode === null) c.child.kill();
    for (const d of databases) await d.drop();
  };
  try {
    // Side by side: SQLite's seeding keeps this process busy, MariaDB's the database server.
    await Promise.all(
      databases.map(async (database) => {
        const users = await seedUsers(database.db.knex, o.siteUrl, Math.max(1, tasks / 100));
        await seedTasks(database.db.knex, users, 0, Math.min(tasks, 10_000));
        await growTasks(database.db.knex, tasks);
      }),
    );
    log(`idle: ${tasks} tasks seeded in ${o.dialects.join(' and ')}; starting ${tasks} node-cron timers and the scheduler process(es)`);
    const started = await Promise.all([startChild({ do: 'start', role: 'cron', tasks }), ...databases.map((d, i) => startChild({ do: 'start', role: 'scheduler', url: d.url, instance: `bench-idle-${i}` }))]);
    children.push(...started);
  } catch (err) {
    await cleanUp();
    throw err;
  }
  return { measure, stop: cleanUp };

  async function measure(overlapped: string | null): Promise<ScenarioResult[]> {
    // V8 tidies up after start-up (a few full collections some seconds in): not idling, so not measured.
    await sleep(warmUpMs);
    const [cron, ...chimes] = await Promise.all(children.map((c) => c.ask<Idle>({ do: 'idle', seconds })));
    log(`idle: node-cron ${round(cron!.rssMb, 0)} MB, ${round(cron!.cpuPct)} % CPU; Chime ${chimes.map((c) => `${round(c.rssMb, 0)} MB, ${round(c.cpuPct)} % CPU`).join('; ')}`);
    return o.dialects.map((dialect: Dialect, i) => {
      const chime = chimes[i]!;
      const rssRatio = round(cron!.rssMb / chime.rssMb);
      const cpuRatio = round(cron!.cpuMs / Math.max(chime.cpuMs, 0.001));
      return {
        scenario: '3. idle: node-cron vs Chime',
        db: dialect,
        figures: {
          tasks,
          'idle s': seconds,
          'node-cron RSS MB': round(cron!.rssMb, 0),
          'node-cron heap MB': round(cron!.heapMb, 0),
          'node-cron CPU %': round(cron!.cpuPct, 3),
          'Chime RSS MB': round(chime.rssMb, 0),
          'Chime heap MB': round(chime.heapMb, 0),
          'Chime CPU %': round(chime.cpuPct, 3),
          'RSS node-cron/Chime': rssRatio,
          'CPU node-cron/Chime': cpuRatio,
        },
        targets: [],
        notes: ['CPU % is of one core over the idle window; RSS at its end; both processes include tsx', ...(overlapped ? [`the idle window overlapped ${overlapped} (--quick)`] : [])],
      };
    });
  }
}
