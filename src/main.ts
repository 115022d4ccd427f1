// config → db (migrate) → app → system jobs → listen; SIGTERM/SIGINT drain and close.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from './config.js';
import { createDb } from './db/knex.js';
import { migrateToLatest } from './db/migrate.js';
import { createLogger } from './lib/log.js';
import { systemClock } from './lib/clock.js';
import { createApp } from './app.js';
import { startSystemJobs } from './system-jobs.js';
import { createServices } from './services.js';
import { createScheduler } from './scheduler/scheduler.js';
import { claimsRepo } from './scheduler/claims.js';
import { pidFile } from './cli/backup.js';

// In-flight requests get this long to finish after SIGTERM before their connections are cut.
const DRAIN_TIMEOUT_MS = 10_000;
// Runs and pushes under way get this long; the leases of those still going are then released.
const SCHEDULER_DRAIN_MS = 30_000;

async function main() {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Chime cannot start; fix these settings (environment or .env):\n${err.problems.join('\n')}`);
      process.exit(1);
    }
    throw err;
  }
  const { config, warnings } = loaded;
  const log = createLogger(config.logLevel, config.logFormat);
  for (const warning of warnings) log.warn(warning);

  const db = createDb(config.databaseUrl, { log });
  const applied = await migrateToLatest(db, { log: (msg) => log.info(msg) });
  if (applied.length) log.info({ migrations: applied }, 'migrations applied');

  const services = createServices({ config, db, clock: systemClock, log });
  const app = createApp({ config, db, log, clock: systemClock, services });
  const jobs = startSystemJobs({ db, clock: systemClock, log, runs: services.runs });
  const scheduler = createScheduler({
    claims: claimsRepo(db.knex),
    runs: services.runs,
    clock: systemClock,
    log,
    concurrency: config.workerConcurrency,
    perUserConcurrency: config.workerConcurrencyPerUser,
    lease: services.lease,
  });
  await scheduler.start();
  await services.dispatcher.start();
  await services.digests.start();
  services.loops.set('scheduler', scheduler.lastTickAt);
  services.loops.set('push dispatcher', services.dispatcher.lastTickAt);
  services.loops.set('digest job', services.digests.lastTickAt);
  const server = http.createServer(app);
  let stopping = false;
  // Once stopping, a keep-alive connection is closed as soon as its response is done, instead of
  // idling until keepAliveTimeout and holding up the exit.
  server.on('request', (_req, res) => res.on('close', () => stopping && server.closeIdleConnections()));
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  // Tells `npm run cli -- restore` that Chime is running on this data folder.
  const pidPath = pidFile(config);
  fs.writeFileSync(pidPath, `${process.pid}\n`);
  const { port } = server.address() as AddressInfo;
  log.info({ port, host: config.host, db: db.dialect }, `Chime listening on http://${config.host}:${port}`);

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: no new connections or runs, finishing those in flight');
    services.loops.clear(); // /readyz answers 503 from now on, so a load balancer stops sending work
    // The digest job stops first, so the digests it just queued still go out with the dispatcher's drain.
    const drained = Promise.all([scheduler.stop(SCHEDULER_DRAIN_MS), services.digests.stop().then(() => services.dispatcher.stop(SCHEDULER_DRAIN_MS))]);
    const forced = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS).unref();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    clearTimeout(forced);
    await drained;
    await jobs.stop();
    await services.http.close();
    services.mailer?.close();
    await db.close();
    fs.rmSync(pidPath, { force: true });
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  console.error(`Chime failed to start: ${(err as Error).message}`);
  process.exit(1);
});
