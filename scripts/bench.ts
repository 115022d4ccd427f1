// `npm run bench [-- --quick] [-- --db=sqlite|mysql] [-- --only=1,2,…]`: Chime's benchmarks (issue #10),
// each on SQLite and — when TEST_MYSQL_URL is set — on MariaDB/MySQL (a fresh database per scenario,
// dropped after). Prints a Markdown table per scenario and writes bench/results.json. All traffic
// goes to servers this script starts on 127.0.0.1. The scenarios are in scripts/bench/:
//   1 tick.ts       tick cost with 100 / 10,000 / 100,000 tasks (nothing due, 1,000 due)
//   2 burst.ts      2,000 tasks due at one second vs raw undici at the same concurrency
//   3 idle.ts       node-cron with one timer per task vs Chime's scheduler process, idle
//   4 dispatcher.ts queued webhook messages, then with half the first attempts failing
//   5 pages.ts      /tasks, a run page and /healthz under autocannon
//   6 scale-out.ts  two scheduler instances vs one on the burst (MariaDB only)
// What is not measured is done side by side first: the site process and the scheduler processes
// start while every database the run needs is made (databases.ts, processes.ts).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dialect } from '../src/db/knex.js';
import { log, machine, parseArgs, round, seedUsers, type BenchOptions, type ScenarioResult } from './bench/helpers.js';
import { orderDatabases } from './bench/databases.js';
import { forkWorkers, killSpareWorkers } from './bench/processes.js';
import { startSite } from './bench/site.js';
import { tickScenario } from './bench/tick.js';
import { burstScenario } from './bench/burst.js';
import { scaleOutScenario } from './bench/scale-out.js';
import { startIdle, type IdleRun } from './bench/idle.js';
import { dispatcherScenario } from './bench/dispatcher.js';
import { pagesScenario, preparePages, type PagesRun } from './bench/pages.js';
import { renderMarkdown } from './bench/report.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs(process.argv.slice(2));

async function main() {
  const chosen = args.get('db');
  if (chosen && !['sqlite', 'mysql'].includes(chosen)) throw new Error(`--db must be sqlite or mysql (got "${chosen}")`);
  if (chosen === 'mysql' && !process.env.TEST_MYSQL_URL) throw new Error('--db=mysql needs TEST_MYSQL_URL, e.g. mysql://root@127.0.0.1:3306/test (a temporary database is made on that server)');
  const dialects: Dialect[] = chosen ? [chosen as Dialect] : process.env.TEST_MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite'];
  const only = new Set((args.get('only') ?? '1,2,3,4,5,6').split(',').map(Number));
  const quick = args.has('quick');
  const startedAt = Date.now();
  const before = machine();
  log(`${before.cpuCount} × ${before.cpuModel}, node ${before.node}, load ${before.loadAverage.join(' ')}${quick ? ', quick' : ''}; ${dialects.join(' + ')}`);

  // One database per dialect for each of: scenarios 1, 2 and 6 (they share one); 3; 4; 5.
  const tickTableRuns = only.has(1) || only.has(2) || only.has(6);
  const burstRuns = only.has(2) || only.has(6);
  const perDialect = [tickTableRuns, only.has(3), only.has(4), only.has(5)].filter(Boolean).length;
  const databases = orderDatabases(new Map(dialects.map((d) => [d, perDialect])));
  // Scheduler and node-cron processes: per dialect one for the burst (2, run for 6 too) and one for
  // idling (3) beside the node-cron baseline; two for scale-out (6, MariaDB only).
  const workers = (burstRuns ? dialects.length : 0) + (only.has(3) ? dialects.length + 1 : 0) + (only.has(6) && dialects.includes('mysql') ? 2 : 0);
  const workersForked = forkWorkers(workers);
  const siteStarted = startSite();

  const results: ScenarioResult[] = [];
  const attempt = async (scenario: string, db: ScenarioResult['db'], run: () => Promise<ScenarioResult | ScenarioResult[]>) => {
    try {
      results.push(...[await run()].flat());
    } catch (err) {
      log(`${scenario} on ${db} failed: ${(err as Error).stack ?? String(err)}`);
      results.push({ scenario, db, figures: { error: (err as Error).message }, targets: [], notes: [] });
    }
  };
  // Scenario 3's processes and scenario 5's apps, when started ahead (--quick); stopped at the end.
  let idleStarted: Promise<IdleRun> | undefined;
  const pagesAhead = new Map<Dialect, Promise<PagesRun>>();
  try {
    const site = await siteStarted;
    const o: BenchOptions = { quick, dialects, siteUrl: site.url, databases };
    // --quick: scenario 3's processes start now and idle while all the other scenarios run (see
    // scripts/bench/idle.ts); scenario 5's apps start now too and wait for their turn.
    const overlapIdle = quick && only.has(3) && [1, 2, 4, 5, 6].some((n) => only.has(n));
    if (overlapIdle) idleStarted = startIdle(o);
    for (const dialect of quick && only.has(5) ? dialects : []) pagesAhead.set(dialect, preparePages(o, dialect));
    // Nothing is measured while a database is being made (a migration is heavy work for the server)
    // or a process starts. A failure to start is reported by the scenario's attempt below.
    await Promise.all([databases.ready, workersForked, idleStarted, ...pagesAhead.values()].map((p) => p?.catch(() => undefined)));
    log(`start-up done: ${perDialect} database(s) per dialect, the site, ${workers} scheduler/node-cron process(es)${pagesAhead.size ? ', the app(s) of scenario 5' : ''}`);

    /** Scenario 3 measured once its processes are up (start-up is not idling). */
    const measureIdle = (started: Promise<IdleRun>, overlapped: string | null) => attempt('3. idle: node-cron vs Chime', 'none', async () => (await started).measure(overlapped));
    const idleMeasured = idleStarted && measureIdle(idleStarted, 'the other scenarios');

    for (const dialect of tickTableRuns ? dialects : []) {
      // Scenarios 1, 2 and 6 share a database per dialect: the 100,000 tasks of 1 are the table 2 and 6 run in.
      const database = await databases.take(dialect);
      try {
        const users = await seedUsers(database.db.knex, site.url, 1000);
        // Scenario 1 seeds the 100,000 tasks, so it runs whenever 2 or 6 does.
        await attempt('1. tick cost vs size', dialect, () => tickScenario(o, dialect, database.db.knex, users));
        if (burstRuns) {
          let burst: Awaited<ReturnType<typeof burstScenario>> | undefined;
          await attempt('2. burst', dialect, async () => (burst = await burstScenario(o, dialect, database.db.knex, database.url)).result);
          if (dialect === 'mysql' && only.has(6) && burst) await attempt('6. scale-out', dialect, () => scaleOutScenario(o, database.db.knex, database.url, burst!.ids, burst!.outcome));
        }
      } finally {
        await database.drop();
      }
    }
    if (only.has(3) && !overlapIdle) {
      const started = startIdle(o);
      try {
        await measureIdle(started, null);
      } finally {
        await started.then((run) => run.stop()).catch(() => undefined);
      }
    }
    if (only.has(4)) for (const dialect of dialects) await attempt('4. dispatcher', dialect, () => dispatcherScenario(o, dialect));
    for (const dialect of only.has(5) ? dialects : []) {
      const prepared = pagesAhead.get(dialect);
      pagesAhead.delete(dialect);
      await attempt('5. pages under load', dialect, () => pagesScenario(o, dialect, prepared));
    }
    await idleMeasured;
  } finally {
    await Promise.all([idleStarted, ...pagesAhead.values()].map((p) => p?.then((run) => run.stop()).catch(() => undefined)));
    await siteStarted.then((site) => site.child.kill()).catch(() => undefined);
    await killSpareWorkers();
    await databases.dropUntaken();
  }
  if (!dialects.includes('mysql') && only.has(6)) results.push({ scenario: '6. scale-out', db: 'mysql', figures: { skipped: 'needs TEST_MYSQL_URL' }, targets: [], notes: [] });

  const after = machine();
  const report = { mode: quick ? 'quick' : 'full', durationS: round((Date.now() - startedAt) / 1000, 1), machine: { ...before, loadAverageAfter: after.loadAverage }, scenarios: results };
  fs.mkdirSync(path.join(PROJECT_ROOT, 'bench'), { recursive: true });
  fs.writeFileSync(path.join(PROJECT_ROOT, 'bench/results.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(renderMarkdown(report));
  log(`done in ${report.durationS} s; bench/results.json written`);
  // Keep-alive sockets and pools of the scenarios would hold the process for seconds more.
  process.exit(results.some((r) => 'error' in r.figures) ? 1 : 0);
}

await main();
