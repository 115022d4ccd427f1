// The benchmark's other processes, so that each measured number belongs to one process alone:
//   site       site.ts: the HTTP server the tasks GET and the webhooks POST to;
//   scheduler  scheduler-process.ts: the real createServices + createScheduler, as main.ts wires them;
//   cron       cron-process.ts: the naive baseline, one node-cron timer per task.
// Each is child.ts under tsx like the parent. A scheduler or cron process begins as a worker, a
// process that has loaded the modules of both and waits to be told which to be: loading them takes
// ~2 s under tsx (twice that on a busy machine), so the run forks the workers it will need at its
// start, side by side and before anything is measured (forkWorkers), and a scenario starting a
// scheduler takes one that is ready. The parent talks to them over the IPC channel: ask(message) →
// their answer.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { MB, sleep } from './helpers.js';

export const CHILD_ENTRY = new URL('./child.ts', import.meta.url);

export type Start = { do: 'start'; role: 'scheduler'; url: string; instance: string } | { do: 'start'; role: 'cron'; tasks: number };
export type ToChild = Start | { do: 'idle'; seconds: number } | { do: 'burst' } | { do: 'stop' };
export type Loaded = { loaded: true };
export type Idle = { cpuPct: number; cpuMs: number; rssMb: number; heapMb: number };
export type BurstEnd = { burstRssMb: number; burstCpuMs: number; launched: number; instance: string };
export type Ready = { ready: true; rssMb: number };

type Worker = { child: ChildProcess; ask<T>(m: ToChild): Promise<T>; exited: Promise<unknown> };
export type Child = Worker & { ready: Ready };

/** Forks child.ts --role=worker and waits until it has loaded its modules. */
async function forkWorker(): Promise<Worker> {
  // `node --cpu-prof …` profiles the children too (NODE_OPTIONS may not carry --cpu-prof).
  const profiling = process.execArgv.filter((a) => a.startsWith('--cpu-prof'));
  const child = fork(CHILD_ENTRY, ['--role=worker'], { execArgv: ['--import', 'tsx', ...profiling], stdio: 'inherit' });
  const exited = once(child, 'exit');
  const next = <T>() => Promise.race([once(child, 'message').then(([m]) => m as T), exited.then(() => Promise.reject(new Error(`a benchmark worker process (pid ${child.pid}) exited`)))]);
  const ask = <T>(m: ToChild) => {
    const answer = next<T>();
    child.send(m);
    return answer;
  };
  await next<Loaded>();
  return { child, ask, exited };
}

const spares: Promise<Worker>[] = [];

/** Forks `n` workers now, for startChild to hand out later. */
export function forkWorkers(n: number): Promise<void> {
  const forked = Array.from({ length: n }, () => forkWorker());
  // A worker that failed to start fails the startChild that takes it; until then it is not unhandled.
  for (const w of forked) w.catch(() => undefined);
  spares.push(...forked);
  return Promise.allSettled(forked).then(() => undefined);
}

/** Ends the forked workers no scenario took. */
export async function killSpareWorkers(): Promise<void> {
  const left = await Promise.allSettled(spares.splice(0));
  for (const w of left) if (w.status === 'fulfilled') w.value.child.kill();
}

/** A scheduler or node-cron process, from a forked worker (or a new one when none is left); waits until it is ready. */
export async function startChild(start: Start): Promise<Child> {
  const worker = await (spares.shift() ?? forkWorker());
  try {
    return { ...worker, ready: await worker.ask<Ready>(start) };
  } catch (err) {
    worker.child.kill();
    throw err;
  }
}

/** CPU (percent of one core) and memory of this process over `seconds` of doing nothing asked of it. */
export async function idleFor(seconds: number): Promise<Idle> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await sleep(seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const mem = process.memoryUsage();
  return { cpuPct: (cpuMs / (performance.now() - wall0)) * 100, cpuMs, rssMb: mem.rss / MB, heapMb: mem.heapUsed / MB };
}
