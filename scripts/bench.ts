// `npm run bench [-- --quick] [-- --db=sqlite|mysql] [-- --only=1,2,…]`: Chime's benchmarks (issue #10),
// each on SQLite and — when TEST_MYSQL_URL is set — on MariaDB/MySQL (a fresh database per run,
// dropped after). Prints a Markdown table per scenario and writes bench/results.json. All traffic
// goes to servers this script starts on 127.0.0.1. The scenarios are in scripts/bench/:
//   1 tick.ts       tick cost with 100 / 10,000 / 100,000 tasks (nothing due, 1,000 due)
//   2 burst.ts      2,000 tasks due at one second vs raw undici at the same concurrency
//   3 idle.ts       node-cron with one timer per task vs Chime's scheduler process, idle
//   4 dispatcher.ts queued webhook messages, then with half the first attempts failing
//   5 pages.ts      /tasks, a run page and /healthz under autocannon
//   6 scale-out.ts  two scheduler instances vs one on the burst (MariaDB only)
// The same file is also each child process (--role=site|scheduler|cron, see scripts/bench/processes.ts).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dialect } from '../src/db/knex.js';
import { benchDatabase, log, machine, parseArgs, round, seedUsers, type BenchOptions, type ScenarioResult } from './bench/helpers.js';
import { cronProcess, schedulerProcess, siteProcess, startSite } from './bench/processes.js';
import { tickScenario } from './bench/tick.js';
import { burstScenario } from './bench/burst.js';
import { scaleOutScenario } from './bench/scale-out.js';
import { startIdle } from './bench/idle.js';
import { dispatcherScenario } from './bench/dispatcher.js';
import { pagesScenario } from './bench/pages.js';
import { renderMarkdown } from './bench/report.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs(process.argv.slice(2));
const role = args.get('role');

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

  const site = await startSite();
  const o: BenchOptions = { quick, dialects, siteUrl: site.url };
  const results: ScenarioResult[] = [];
  const attempt = async (scenario: string, db: ScenarioResult['db'], run: () => Promise<ScenarioResult | ScenarioResult[]>) => {
    try {
      results.push(...[await run()].flat());
    } catch (err) {
      log(`${scenario} on ${db} failed: ${(err as Error).stack ?? String(err)}`);
      results.push({ scenario, db, figures: { error: (err as Error).message }, targets: [], notes: [] });
    }
  };
  try {
    for (const dialect of dialects) {
      if (!only.has(1) && !only.has(2) && !only.has(6)) break;
      // Scenarios 1, 2 and 6 share a database per dialect: the 100,000 tasks of 1 are the table 2 and 6 run in.
      const database = await benchDatabase(dialect);
      try {
        const users = await seedUsers(database.db.knex, site.url, 1000);
        // Scenario 1 seeds the 100,000 tasks, so it runs whenever 2 or 6 does.
        await attempt('1. tick cost vs size', dialect, () => tickScenario(o, dialect, database.db.knex, users));
        if (only.has(2) || only.has(6)) {
          let burst: Awaited<ReturnType<typeof burstScenario>> | undefined;
          await attempt('2. burst', dialect, async () => (burst = await burstScenario(o, dialect, database.db.knex, database.url)).result);
          if (dialect === 'mysql' && only.has(6) && burst) await attempt('6. scale-out', dialect, () => scaleOutScenario(o, database.db.knex, database.url, burst!.ids, burst!.outcome));
        }
      } finally {
        await database.drop();
      }
    }
    // --quick: the idle processes idle while scenarios 4 and 5 run (see scripts/bench/idle.ts).
    let idle: Promise<void> | undefined;
    if (only.has(3)) {
      const overlapped = quick && (only.has(4) || only.has(5)) ? 'scenarios 4 and 5' : null;
      // Started (seeded, processes up) before anything else runs: start-up is not idling.
      const started = await startIdle(o).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      idle = attempt('3. idle: node-cron vs Chime', 'none', async () => {
        if (started instanceof Error) throw started;
        return started.measure(overlapped);
      });
      if (!overlapped) await idle;
    }
    if (only.has(4)) for (const dialect of dialects) await attempt('4. dispatcher', dialect, () => dispatcherScenario(o, dialect));
    if (only.has(5)) for (const dialect of dialects) await attempt('5. pages under load', dialect, () => pagesScenario(o, dialect));
    await idle;
  } finally {
    site.child.kill();
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

if (role === 'site') siteProcess();
else if (role === 'scheduler') await schedulerProcess(args.get('url')!, args.get('instance') ?? `bench-${process.pid}`);
else if (role === 'cron') await cronProcess(Number(args.get('tasks')));
else await main();
