// The scheduler process: the real createServices + createScheduler, wired as main.ts wires them,
// against the database at `databaseUrl`. Answers the parent's idle, burst and stop messages.
import { parseConfig } from '../../src/config.js';
import { createDb } from '../../src/db/knex.js';
import { createServices } from '../../src/services.js';
import { createScheduler } from '../../src/scheduler/scheduler.js';
import { claimsRepo } from '../../src/scheduler/claims.js';
import { silentLogger } from '../../src/lib/log.js';
import { systemClock } from '../../src/lib/clock.js';
import { MB, SECRET } from './helpers.js';
import { idleFor, type BurstEnd, type Idle, type Ready, type ToChild } from './processes.js';

/** `concurrency`: WORKER_CONCURRENCY, when not the default. */
export async function schedulerProcess(databaseUrl: string, instanceId: string, concurrency?: number) {
  const send = (m: Ready | Idle | BurstEnd) => process.send!(m);
  const env: Record<string, string> = { APP_SECRET: SECRET, DATABASE_URL: databaseUrl, ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'silent', DEFAULT_TIMEZONE: 'UTC' };
  if (concurrency !== undefined) env.WORKER_CONCURRENCY = String(concurrency);
  const config = parseConfig(env);
  const db = createDb(databaseUrl);
  const services = createServices({ config, db, instanceId });
  let launched = 0;
  const scheduler = createScheduler({
    claims: claimsRepo(db.knex),
    // Counted, to see how the instances of scenario 6 shared the slots.
    runs: { executeClaimed: (run) => (launched++, services.runs.executeClaimed(run)) },
    clock: systemClock,
    log: silentLogger,
    concurrency: config.workerConcurrency,
    perUserConcurrency: config.workerConcurrencyPerUser,
    lease: services.lease,
  });
  await scheduler.start();
  let sampler: NodeJS.Timeout | undefined;
  let rss = 0;
  let burstCpu0 = process.cpuUsage();
  process.on('message', async (m: ToChild) => {
    if (m.do === 'idle') send(await idleFor(m.seconds));
    else if (m.do === 'burst') {
      rss = process.memoryUsage().rss;
      burstCpu0 = process.cpuUsage();
      sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 25);
    } else {
      clearInterval(sampler);
      const cpu = process.cpuUsage(burstCpu0);
      await scheduler.stop(10_000);
      send({ burstRssMb: rss / MB, burstCpuMs: (cpu.user + cpu.system) / 1000, launched, instance: instanceId });
      await services.http.close();
      await db.close();
      process.disconnect();
    }
  });
  send({ ready: true, rssMb: process.memoryUsage().rss / MB });
}
