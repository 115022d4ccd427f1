// The scheduler of one instance. It sleeps until the earliest due task (at most a second: other
// instances and edits change the table too), claims due tasks with compare-and-set updates, and runs
// them in a bounded pool with a per-user cap, so one user's hundred tasks cannot starve the others.
// One timer in all: never a timer per task. Leases keep runs of a dead process from hanging forever.
import type { Logger } from '../lib/log.js';
import type { Clock } from '../lib/clock.js';
import type { RunsService } from '../runs/service.js';
import type { ClaimsRepo, DueTask } from './claims.js';

export type SchedulerOptions = {
  claims: ClaimsRepo;
  runs: Pick<RunsService, 'executeClaimed'>;
  clock: Clock;
  log: Logger;
  concurrency: number;
  perUserConcurrency: number;
  lease: { owner: string; ms: number };
  /** Longest sleep between looks at the table. */
  maxSleepMs?: number;
  /** Slots missed by more than this (downtime) run once, spread over `catchUpSpreadMs` after start. */
  catchUpGraceMs?: number;
  catchUpSpreadMs?: number;
  random?: () => number;
};

export type Scheduler = {
  start(): Promise<void>;
  /** Stops claiming, waits up to `graceMs` for runs under way, gives up the leases of the rest. */
  stop(graceMs?: number): Promise<void>;
  /** Look at the table now (a task became due sooner than the scheduler knew). */
  poke(): void;
  /** Runs under way in this instance. */
  running(): number;
  /** When the loop last looked at the table (for readiness checks). */
  lastTickAt(): number;
};

export function createScheduler(o: SchedulerOptions): Scheduler {
  const maxSleep = o.maxSleepMs ?? 1000;
  const random = o.random ?? Math.random;
  const perUser = new Map<number, number>();
  const inFlight = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let ticking = false;
  /** Settles when the tick under way ends: a claim it is making may still start a run. */
  let tickDone: Promise<void> = Promise.resolve();
  let again = false;
  let stopped = true;
  let lastTick = 0;

  function schedule(delayMs: number) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), Math.max(0, Math.min(delayMs, maxSleep)));
  }

  /** Due tasks in order, but at most `perUserConcurrency` running per user, up to the free room. */
  function pickFairly(due: DueTask[], room: number): DueTask[] {
    const picked: DueTask[] = [];
    const planned = new Map<number, number>();
    for (const task of due) {
      if (picked.length >= room) break;
      const n = (perUser.get(task.userId) ?? 0) + (planned.get(task.userId) ?? 0);
      if (n >= o.perUserConcurrency) continue;
      planned.set(task.userId, (planned.get(task.userId) ?? 0) + 1);
      picked.push(task);
    }
    return picked;
  }

  /** Runs a claimed task; `startedAt` is the claim's time, which its run row records as its start. */
  function launch(task: DueTask, runId: number, startedAt: number) {
    perUser.set(task.userId, (perUser.get(task.userId) ?? 0) + 1);
    const job = o.runs
      .executeClaimed({ taskId: task.id, runId, trigger: task.nextTrigger, startedAt })
      .catch((err) => o.log.error({ err, taskId: task.id, runId }, 'scheduled run failed inside Chime'))
      .finally(() => {
        inFlight.delete(job);
        const left = (perUser.get(task.userId) ?? 1) - 1;
        if (left > 0) perUser.set(task.userId, left);
        else perUser.delete(task.userId);
        schedule(0); // room again: look for more due work
      });
    inFlight.add(job);
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    let endTick!: () => void;
    tickDone = new Promise((resolve) => (endTick = resolve));
    let sleep = maxSleep;
    try {
      const now = o.clock.now();
      lastTick = now;
      const room = o.concurrency - inFlight.size;
      if (room > 0) {
        // Users at their cap are not read at all, and more than the room is read, so that neither a
        // capped user's backlog nor a user reaching the cap in this batch holds up the users after them.
        const capped = [...perUser].filter(([, n]) => n >= o.perUserConcurrency).map(([userId]) => userId);
        const due = await o.claims.due(now, room * 4, capped);
        const picked = pickFairly(due, room);
        // One transaction for the whole pick: a burst of due tasks is claimed with one commit.
        if (picked.length > 0 && !stopped) {
          for (const { task, runId, startedAt } of await o.claims.claimAll(picked, o.clock, o.lease)) launch(task, runId, startedAt);
        }
        if (due.length >= room * 4) sleep = 0;
      }
      // Due tasks left unclaimed wait for a run to end (which wakes the loop), not for the clock.
      // Not asked when the loop comes back at once or only when a run ends (the pool is full).
      if (sleep > 0 && inFlight.size < o.concurrency) {
        const earliest = await o.claims.earliest(now);
        if (earliest !== null) sleep = Math.min(sleep, earliest - o.clock.now());
      }
    } catch (err) {
      o.log.error({ err }, 'scheduler tick failed; trying again shortly');
    } finally {
      ticking = false;
      endTick();
      if (again) {
        again = false;
        sleep = 0;
      }
      if (inFlight.size >= o.concurrency) sleep = maxSleep; // full: a finishing run wakes us
      schedule(sleep);
    }
  }

  /** After downtime: every slot missed by more than the grace runs once, spread over a minute. */
  async function catchUp() {
    const now = o.clock.now();
    const spread = o.catchUpSpreadMs ?? 60_000;
    for (;;) {
      const overdue = await o.claims.overdue(now - (o.catchUpGraceMs ?? 5 * 60_000), 500);
      if (overdue.length === 0) return;
      for (const t of overdue) await o.claims.reschedule(t.id, t.version, now + Math.floor(random() * spread));
    }
  }

  return {
    async start() {
      stopped = false;
      await catchUp();
      // One heartbeat for all runs of this instance, a third of the lease apart.
      heartbeat = setInterval(() => {
        o.claims.heartbeat(o.lease.owner, o.clock.now(), o.lease.ms).catch((err) => o.log.error({ err }, 'lease heartbeat failed'));
      }, Math.max(1000, Math.floor(o.lease.ms / 3)));
      heartbeat.unref();
      schedule(0);
    },

    async stop(graceMs = 30_000) {
      stopped = true;
      clearTimeout(timer);
      const deadline = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
      // The tick under way may be claiming a task: its run is waited for too.
      await Promise.race([tickDone.then(() => Promise.allSettled([...inFlight])), deadline]);
      clearInterval(heartbeat);
      if (inFlight.size > 0) {
        const released = await o.claims.releaseLeases(o.lease.owner, o.clock.now());
        o.log.warn({ released }, 'stopped with runs under way; their leases were released');
      }
    },

    poke() {
      schedule(0);
    },

    running: () => inFlight.size,
    lastTickAt: () => lastTick,
  };
}
