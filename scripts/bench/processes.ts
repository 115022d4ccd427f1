// The benchmark's other processes, so that each measured number belongs to one process alone:
//   site       the HTTP server the tasks GET and the webhooks POST to (a plain node:http server);
//   scheduler  the real createServices + createScheduler, wired as main.ts wires them;
//   cron       the naive baseline: one node-cron timer per task, nothing else.
// All are scripts/bench.ts started again with --role=…, under tsx like the parent. The parent talks
// to scheduler and cron children over the IPC channel: ask(message) → their answer.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import cron from 'node-cron';
import { parseConfig } from '../../src/config.js';
import { createDb } from '../../src/db/knex.js';
import { createServices } from '../../src/services.js';
import { createScheduler } from '../../src/scheduler/scheduler.js';
import { claimsRepo } from '../../src/scheduler/claims.js';
import { silentLogger } from '../../src/lib/log.js';
import { systemClock } from '../../src/lib/clock.js';
import { DAY, MB, SECRET, sleep } from './helpers.js';

const ENTRY = new URL('../bench.ts', import.meta.url);

export type ToChild = { do: 'idle'; seconds: number } | { do: 'burst' } | { do: 'stop' };
export type Idle = { cpuPct: number; cpuMs: number; rssMb: number; heapMb: number };
export type BurstEnd = { burstRssMb: number; burstCpuMs: number; launched: number; instance: string };
export type Ready = { ready: true; rssMb: number };

export type Child = { child: ChildProcess; ask<T>(m: ToChild): Promise<T>; ready: Ready; exited: Promise<unknown> };

/** Starts scripts/bench.ts --role=<role> and waits for its first message (ready). */
export async function startChild(role: 'scheduler' | 'cron', args: string[]): Promise<Child> {
  // `node --cpu-prof …` profiles the children too (NODE_OPTIONS may not carry --cpu-prof).
  const profiling = process.execArgv.filter((a) => a.startsWith('--cpu-prof'));
  const child = fork(ENTRY, [`--role=${role}`, ...args], { execArgv: ['--import', 'tsx', ...profiling], stdio: 'inherit' });
  const exited = once(child, 'exit');
  const next = <T>() => Promise.race([once(child, 'message').then(([m]) => m as T), exited.then(() => Promise.reject(new Error(`the ${role} process exited`)))]);
  const ask = <T>(m: ToChild) => {
    const answer = next<T>();
    child.send(m);
    return answer;
  };
  const ready = await next<Ready>();
  return { child, ask, ready, exited };
}

/** CPU (percent of one core) and memory of this process over `seconds` of doing nothing asked of it. */
async function idleFor(seconds: number): Promise<Idle> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await sleep(seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const mem = process.memoryUsage();
  return { cpuPct: (cpuMs / (performance.now() - wall0)) * 100, cpuMs, rssMb: mem.rss / MB, heapMb: mem.heapUsed / MB };
}

// ---- site -----------------------------------------------------------------------------------------

/**
 * GET /ping answers "ok". POST /hook answers 200, and with ?fail=half 503 to the first attempt of
 * every other message (even webhook-id numbers), so each of those is sent twice.
 */
export function siteProcess() {
  const attempted = new Set<string>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/hook')) {
        const id = String(req.headers['webhook-id'] ?? '');
        const n = Number(id.replace(/^msg_/, ''));
        // Per URL (it names the run): another database numbers its messages from 1 again.
        const key = `${req.url} ${id}`;
        if (req.url.includes('fail=half') && n % 2 === 0 && !attempted.has(key)) {
          attempted.add(key);
          res.writeHead(503).end('busy');
          return;
        }
      }
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
}

export async function startSite(): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(ENTRY, ['--role=site'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { url: `http://127.0.0.1:${message.port}`, child };
}

// ---- scheduler ------------------------------------------------------------------------------------

export async function schedulerProcess(databaseUrl: string, instanceId: string) {
  const send = (m: Ready | Idle | BurstEnd) => process.send!(m);
  const config = parseConfig({ APP_SECRET: SECRET, DATABASE_URL: databaseUrl, ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'silent', DEFAULT_TIMEZONE: 'UTC' });
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

// ---- the naive baseline ---------------------------------------------------------------------------

/**
 * `tasks` node-cron timers, each for one instant 1 to 7 days ahead (minute, hour, day of month,
 * month), like the tasks in Chime's database: nothing falls due while it is measured.
 */
export async function cronProcess(tasks: number) {
  const send = (m: Ready | Idle) => process.send!(m);
  const now = Date.now();
  const timers: unknown[] = [];
  for (let i = 0; i < tasks; i++) {
    const at = new Date(now + DAY + Math.floor(Math.random() * 6 * DAY));
    const expression = `${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} *`;
    timers.push(cron.schedule(expression, () => {}, { timezone: 'UTC', name: `task-${i}` }));
  }
  process.on('message', async (m: ToChild) => {
    if (m.do === 'idle') send(await idleFor(m.seconds));
    else process.exit(0);
  });
  send({ ready: true, rssMb: process.memoryUsage().rss / MB });
}
