// Scheduler benchmark: 100,000 tasks in a fresh database, of which 1,000 fall due at one instant,
// each with one GET to a local HTTP server. Prints one JSON line per database:
// {tasks, due, latencyP50Ms, latencyP99Ms, runsPerSec, idleCpuPct, rssMb, db}.
//
//   npm run bench:scheduler [-- --quick] [-- --concurrency=32 --tasks=100000 --due=1000 --idle-seconds=10
//                            --warm-up-seconds=20 --warm-up-runs=300
//                            --db=sqlite|mysql]
//
// Three processes, so that each number belongs to the scheduler alone: this one seeds the database
// and drives the burst; a child runs the real createServices + createScheduler (as main.ts wires
// them) and measures its own CPU and RSS; another child is the site the tasks call.
// Lateness = a run's started_at − its slot. Idle CPU: the scheduler process's CPU time while it idles
// over the 100,000 tasks, none due. RSS: the highest RSS of that process during the burst.
// MariaDB/MySQL is measured when TEST_MYSQL_URL is set (a temporary database is created and dropped).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import type { Knex } from 'knex';
import { createDb, type Db, type Dialect } from '../src/db/knex.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { freshDatabaseUrl } from '../test/helpers/db.js';
import { DAY, seedTasks, seedUsers } from './bench/helpers.js';
import { schedulerProcess } from './bench/scheduler-process.js';
import type { BurstEnd, Idle, Ready, ToChild } from './bench/processes.js';

/** `--name=value`, `--name value` or a bare `--flag`. */
function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) out.set(a.slice(2), argv[++i]!);
    else out.set(a.slice(2), 'true');
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
if (args.has('db') && !['sqlite', 'mysql'].includes(args.get('db')!)) {
  console.error(`--db must be sqlite or mysql (got "${args.get('db')}")`);
  process.exit(2);
}
const quick = args.has('quick');
const opt = (name: string, full: number, small: number) => Number(args.get(name) ?? (quick ? small : full));
const TASKS = opt('tasks', 100_000, 10_000);
const DUE = opt('due', 1_000, 200);
const CONCURRENCY = opt('concurrency', 32, 32);
const IDLE_SECONDS = opt('idle-seconds', 10, 3);
const WARM_UP_SECONDS = opt('warm-up-seconds', 20, 5);
/** Runs of an unmeasured first burst (other tasks than the measured ones). */
const WARM_UP_RUNS = opt('warm-up-runs', 300, 100);
const USERS = Math.max(1, Math.round(TASKS / 100));

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the scheduler process: scripts/bench/scheduler-process.ts (as `npm run bench` uses it) ----

// ---- the driver ---------------------------------------------------------------------------------

/** The site the tasks call, in its own process: answers every request at once. */
async function startSite(): Promise<{ url: string; child: ChildProcess }> {
  const code = `const s = require('node:http').createServer((q, r) => r.end('ok')); s.keepAliveTimeout = 60000;
    s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}`, child };
}

/** Users, one template each, TASKS tasks with encrypted variables, all due in 1 to 7 days (the bench's seeding). */
async function seed(knex: Knex, siteUrl: string, now: number): Promise<void> {
  const users = await seedUsers(knex, siteUrl, USERS, now);
  await seedTasks(knex, users, 0, TASKS, now);
}

/** Makes the tasks due at one slot, 1.5 s ahead, and waits until all their runs have ended; the slot. */
async function burst(knex: Knex, ids: number[]): Promise<number> {
  const slot = Math.ceil((Date.now() + 1500) / 1000) * 1000;
  for (let i = 0; i < ids.length; i += 500) await knex('tasks').whereIn('id', ids.slice(i, i + 500)).update({ next_run_at: slot });
  const deadline = Date.now() + 120_000;
  for (;;) {
    await sleep(250);
    let ended = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const row = (await knex('task_runs').whereIn('task_id', ids.slice(i, i + 500)).whereNot({ status: 'running' }).count({ n: '*' }).first()) as { n: number | string };
      ended += Number(row.n);
    }
    if (ended >= ids.length) return slot;
    if (Date.now() > deadline) throw new Error(`only ${ended} of ${ids.length} runs ended in 2 minutes`);
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Starts the scheduler process and gives a way to ask it something and wait for the answer. */
async function startSchedulerProcess(databaseUrl: string) {
  // `node --cpu-prof …` profiles the scheduler process too (NODE_OPTIONS may not carry --cpu-prof).
  const profiling = process.execArgv.filter((a) => a.startsWith('--cpu-prof'));
  const child = fork(new URL(import.meta.url), ['--scheduler-process', `--url=${databaseUrl}`, ...process.argv.slice(2)], { execArgv: ['--import', 'tsx', ...profiling], stdio: 'inherit' });
  const next = () => once(child, 'message').then(([m]) => m as unknown);
  const ask = (m: ToChild) => {
    const answer = next();
    child.send(m);
    return answer;
  };
  const ready = (await next()) as Ready;
  return { child, ask, rssBeforeMb: ready.rssMb };
}

async function bench(dialect: Dialect, siteUrl: string) {
  const database = await freshDatabaseUrl(dialect);
  const db: Db = createDb(database.url);
  try {
    await migrateToLatest(db);
    const seeding = Date.now();
    await seed(db.knex, siteUrl, Date.now());
    log(`${dialect}: ${TASKS} tasks seeded in ${Date.now() - seeding} ms`);

    const scheduler = await startSchedulerProcess(database.url);
    const allIds = (await db.knex('tasks').select('id').orderBy('id').limit(DUE + WARM_UP_RUNS)).map((r) => Number(r.id));
    const ids = allIds.slice(0, DUE);
    // A server has run tasks before it meets a burst: a first, unmeasured one compiles the run path
    // (V8 optimises a function once it is hot), as it would be by the time a real burst comes.
    const warmUpIds = allIds.slice(DUE);
    await burst(db.knex, warmUpIds);
    // Their next slots (every 30 min for some) must not fall into what is measured.
    for (let i = 0; i < warmUpIds.length; i += 500) await db.knex('tasks').whereIn('id', warmUpIds.slice(i, i + 500)).update({ next_run_at: Date.now() + 7 * DAY });
    // V8 tidies up after start-up (full collections and background compiles for 10–20 s; measured: 1.7 %
    // of a core 10 s in, 0.5 % 30 s in): not idling, so not measured.
    await sleep(WARM_UP_SECONDS * 1000);
    const { cpuPct: idleCpuPct } = (await scheduler.ask({ do: 'idle', seconds: IDLE_SECONDS })) as Idle;

    // The burst: DUE tasks (of as many users) get the same slot.
    scheduler.child.send({ do: 'burst' } satisfies ToChild);
    const slot = await burst(db.knex, ids);
    const { burstRssMb, burstCpuMs } = (await scheduler.ask({ do: 'stop' })) as BurstEnd;
    await once(scheduler.child, 'exit');

    const runs = (await db.knex('task_runs').select('started_at', 'finished_at', 'status').whereIn('task_id', ids)) as { started_at: number | string; finished_at: number | string; status: string }[];
    const failures = runs.filter((r) => r.status !== 'success').length;
    if (failures) log(`${dialect}: ${failures} runs did not succeed`);
    const lateness = runs.map((r) => Number(r.started_at) - slot).sort((a, b) => a - b);
    const lastFinished = Math.max(...runs.map((r) => Number(r.finished_at)));
    const firstStarted = Math.min(...runs.map((r) => Number(r.started_at)));
    // CPU time per run is what limits throughput on a busy machine, and load distorts it less than wall time.
    log(`${dialect}: scheduler process CPU during the burst ${Math.round(burstCpuMs)} ms, ${(burstCpuMs / runs.length).toFixed(2)} ms per run`);
    log(`${dialect}: scheduler process RSS ${Math.round(scheduler.rssBeforeMb)} MB after loading (tsx included), first run ${lateness[0]} ms after the slot, last ${lateness.at(-1)} ms`);
    return {
      tasks: TASKS,
      due: ids.length,
      latencyP50Ms: percentile(lateness, 50),
      latencyP99Ms: percentile(lateness, 99),
      runsPerSec: Math.round((runs.length / (lastFinished - firstStarted)) * 1000),
      idleCpuPct: Math.round(idleCpuPct * 100) / 100,
      rssMb: Math.round(burstRssMb),
      db: dialect,
    };
  } finally {
    await db.close();
    await database.drop();
  }
}

if (args.has('scheduler-process')) {
  await schedulerProcess(args.get('url')!, `bench-${process.pid}`, CONCURRENCY);
} else {
  const chosen = args.get('db');
  const dialects: Dialect[] = chosen ? [chosen as Dialect] : process.env.TEST_MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite'];
  if (dialects.includes('mysql') && !process.env.TEST_MYSQL_URL) {
    console.error('--db=mysql needs TEST_MYSQL_URL, e.g. mysql://root@127.0.0.1:3306/test (a temporary database is made on that server)');
    process.exit(2);
  }
  const site = await startSite();
  log(`${os.cpus().length} CPUs, node ${process.version}, concurrency ${CONCURRENCY}${quick ? ', quick' : ''}`);
  try {
    for (const dialect of dialects) console.log(JSON.stringify(await bench(dialect, site.url)));
  } finally {
    site.child.kill();
  }
}
