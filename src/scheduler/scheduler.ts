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

/** Claim transactions under way at once: a second one is made while the first waits for the database. */
const MAX_CLAIMS_IN_FLIGHT = 2;
/** Due tasks read at once at least: the rest of a backlog is served from them, not read again. */
const READ_AHEAD = 200;

export function createScheduler(o: SchedulerOptions): Scheduler {
  const maxSleep = o.maxSleepMs ?? 1000;
  const random = o.random ?? Math.random;
  /** Runs per user, those being claimed included. */
  const perUser = new Map<number, number>();
  const inFlight = new Set<Promise<unknown>>();
  /** Claims under way: their promises, and the tasks they are claiming. */
  const claiming = new Set<Promise<void>>();
  const claimingIds = new Set<number>();
  /**
   * Due tasks read before and not yet picked, earliest first. While they can fill the free room (a
   * backlog), the loop picks from them instead of reading the table again for every few runs that end.
   * Tasks due later than the read cannot be due earlier than these; one taken or edited meanwhile
   * loses its compare-and-set and drops out.
   */
  let readAhead: DueTask[] = [];
  let timer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let ticking = false;
  /** Settles when the tick under way ends: a claim it is making may still start a run. */
  let tickDone: Promise<void> = Promise.resolve();
  let again = false;
  let stopped = true;
  let lastTick = 0;

  /** When the pending timer fires (performance.now()), Infinity when none is pending. */
  let wakeAt = Infinity;

  /** Wakes the loop in `delayMs` at most — never later than a wake-up asked for already (a run or claim ending meanwhile). */
  function schedule(delayMs: number) {
    if (stopped) return;
    const delay = Math.max(0, Math.min(delayMs, maxSleep));
    if (performance.now() + delay >= wakeAt) return;
    clearTimeout(timer);
    wakeAt = performance.now() + delay;
    timer = setTimeout(() => {
      wakeAt = Infinity;
      void tick();
    }, delay);
  }

  const busy = () => inFlight.size + claimingIds.size;

  function countUser(userId: number, delta: number) {
    const n = (perUser.get(userId) ?? 0) + delta;
    if (n > 0) perUser.set(userId, n);
    else perUser.delete(userId);
  }

  /** Due tasks in order, but at most `perUserConcurrency` running per user, up to the free room. */
  function pickFairly(due: DueTask[], room: number): DueTask[] {
    const picked: DueTask[] = [];
    const planned = new Map<number, number>();
    for (const task of due) {
      if (picked.length >= room) break;
      if (claimingIds.has(task.id)) continue;
      const n = (perUser.get(task.userId) ?? 0) + (planned.get(task.userId) ?? 0);
      if (n >= o.perUserConcurrency) continue;
      planned.set(task.userId, (planned.get(task.userId) ?? 0) + 1);
      picked.push(task);
    }
    return picked;
  }

  /** Runs a claimed task (already counted for its user); `startedAt` is the claim's time, which its run row records as its start. */
  function launch(task: DueTask, runId: number, startedAt: number) {
    const job = o.runs
      .executeClaimed({ taskId: task.id, runId, trigger: task.nextTrigger, startedAt })
      .catch((err) => o.log.error({ err, taskId: task.id, runId }, 'scheduled run failed inside Chime'))
      .finally(() => {
        inFlight.delete(job);
        countUser(task.userId, -1);
        schedule(0); // room again: look for more due work
      });
    inFlight.add(job);
  }

  /**
   * Claims the picked tasks in one transaction and starts the runs won, without holding up the loop:
   * while it waits for the database, the next tick may pick other tasks and claim them alongside.
   */
  function claim(picked: DueTask[]) {
    for (const task of picked) {
      claimingIds.add(task.id);
      countUser(task.userId, 1);
    }
    const done: Promise<void> = o.claims
      .claimAll(picked, o.clock, o.lease)
      .then(
        (won) => {
          const wonIds = new Set(won.map((c) => c.task.id));
          for (const task of picked) if (!wonIds.has(task.id)) countUser(task.userId, -1);
          for (const { task, runId, startedAt } of won) launch(task, runId, startedAt);
          schedule(0); // the tasks lost left room (the timer fires after the clean-up below)
        },
        (err) => {
          for (const task of picked) countUser(task.userId, -1);
          readAhead = [];
          o.log.error({ err }, 'claiming due tasks failed; trying again shortly');
          schedule(maxSleep); // not at once: a claim that keeps failing must not spin the loop
        },
      )
      .finally(() => {
        for (const task of picked) claimingIds.delete(task.id);
        claiming.delete(done);
      });
    claiming.add(done);
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
      const room = o.concurrency - busy();
      if (room > 0 && claiming.size < MAX_CLAIMS_IN_FLIGHT) {
        let picked = pickFairly(readAhead, room);
        if (picked.length < room) {
          // Users at their cap are not read at all, and more than the room is read, so that neither a
          // capped user's backlog nor a user reaching the cap in this batch holds up the users after them.
          const capped = [...perUser].filter(([, n]) => n >= o.perUserConcurrency).map(([userId]) => userId);
          const limit = Math.max(room * 4, READ_AHEAD);
          const due = await o.claims.due(now, limit, capped);
          readAhead = due;
          picked = pickFairly(due, room);
          if (due.length >= limit) sleep = 0;
        }
        const pickedIds = new Set(picked.map((t) => t.id));
        readAhead = readAhead.filter((t) => !pickedIds.has(t.id));
        // One transaction for the whole pick: a burst of due tasks is claimed with one commit.
        if (picked.length > 0 && !stopped) claim(picked);
      }
      // Due tasks left unclaimed wait for a run to end (which wakes the loop), not for the clock.
      // Not asked when the loop comes back at once anyway: a claim ending or more due, or the pool full.
      if (sleep > 0 && claiming.size === 0 && busy() < o.concurrency) {
        const earliest = await o.claims.earliest(now);
        if (earliest !== null) sleep = Math.min(sleep, earliest - o.clock.now());
      }
    } catch (err) {
      readAhead = [];
      o.log.error({ err }, 'scheduler tick failed; trying again shortly');
    } finally {
      ticking = false;
      endTick();
      if (again) {
        again = false;
        sleep = 0;
      }
      if (busy() >= o.concurrency) sleep = maxSleep; // full: a finishing run wakes us
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
      wakeAt = Infinity;
      const deadline = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
      // The tick under way may start a claim, and a claim under way starts runs: those are waited for too.
      const settled = tickDone.then(() => Promise.allSettled([...claiming])).then(() => Promise.allSettled([...inFlight]));
      await Promise.race([settled, deadline]);
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
