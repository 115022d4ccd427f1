// The entry of the benchmark's child processes (see processes.ts): `--role=site|worker`. The site
// loads only node:http. A worker loads the scheduler process's modules and the node-cron baseline's
// alike, so the two processes scenario 3 compares carry the same code and their RSS differs by what
// each does with its tasks; then it waits for a start message naming what it is to be.
import { parseArgs } from './helpers.js';
import type { Loaded, Start } from './processes.js';

const role = parseArgs(process.argv.slice(2)).get('role');
if (role === 'site') (await import('./site.js')).siteProcess();
else if (role === 'worker') {
  const [{ schedulerProcess }, { cronProcess }] = await Promise.all([import('./scheduler-process.js'), import('./cron-process.js')]);
  process.once('message', (m: Start) => void (m.role === 'scheduler' ? schedulerProcess(m.url, m.instance) : cronProcess(m.tasks)));
  process.send!({ loaded: true } satisfies Loaded);
} else throw new Error(`scripts/bench/child.ts: unknown --role "${role}"`);
