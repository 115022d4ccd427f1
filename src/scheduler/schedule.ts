// Schedule math (SEMANTICS.md §2 Schedules, §3 Retries): when a task runs next. Pure functions of
// the instants they are given (epoch ms); no clock, no timers, no database. Cron parsing and checks
// are in schedule-cron.ts, time zones and DST in schedule-zone.ts.
import { cronMatcher, cronProblem } from './schedule-cron.js';
import { nextZonedSlot } from './schedule-zone.js';

export { cronProblem };

export type Schedule =
  | { type: 'manual' }
  | { type: 'cron'; expression: string; timezone?: string }
  | { type: 'daily'; time: string; timezone?: string } // "HH:MM" or "HH:MM:SS"
  | { type: 'interval'; seconds: number }; // >= 60
export type RandomDelay = { min: number; max: number }; // seconds, 0 <= min <= max <= 604800

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const MAX_RANDOM_DELAY_S = 604_800;

const DAILY_TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/** Undefined when `time` is "HH:MM" or "HH:MM:SS" (00-23, 00-59, 00-59); else a short English reason. */
export function dailyTimeProblem(time: string): string | undefined {
  return DAILY_TIME.test(time) ? undefined : 'the time must be HH:MM or HH:MM:SS, from 00:00 to 23:59:59';
}

/** A daily time as the cron expression it equals: "08:05" → "0 5 8 * * *". */
function dailyAsCron(time: string): string {
  const m = DAILY_TIME.exec(time);
  if (!m) throw new RangeError(`invalid daily time "${time}": ${dailyTimeProblem(time)}`);
  return `${Number(m[3] ?? 0)} ${Number(m[2])} ${Number(m[1])} * * *`;
}

function intervalMs(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 60) throw new RangeError(`an interval must be a whole number of seconds, at least 60 (got ${seconds})`);
  return seconds * 1000;
}

/**
 * The first regular slot strictly after `after` (a slot equal to `after` does not count), or null
 * for manual. Cron and daily are read in the schedule's own time zone, else in `tz` (the user's or
 * the default, resolved by the caller). Interval: after + seconds*1000. Throws RangeError for an
 * invalid schedule or time zone: those are refused when a task is saved (tasks/schema.ts).
 */
export function nextRegularSlot(schedule: Schedule, tz: string, after: number): number | null {
  if (!Number.isFinite(after)) throw new RangeError(`not an instant: ${after}`);
  switch (schedule.type) {
    case 'manual':
      return null;
    case 'interval':
      return after + intervalMs(schedule.seconds);
    case 'cron':
    case 'daily': {
      const expression = schedule.type === 'cron' ? schedule.expression : dailyAsCron(schedule.time);
      return nextZonedSlot(cronMatcher(expression), schedule.timezone ?? tz, after);
    }
  }
}

/** The next `count` regular slots after `from`, for the task form's preview. Interval: from + k*N. Manual: none. */
export function previewSlots(schedule: Schedule, tz: string, from: number, count = 5): number[] {
  const slots: number[] = [];
  if (schedule.type === 'interval') {
    const step = intervalMs(schedule.seconds);
    for (let k = 1; k <= count; k++) slots.push(from + k * step);
    return slots;
  }
  let cursor = from;
  while (slots.length < count) {
    const slot = nextRegularSlot(schedule, tz, cursor);
    if (slot === null) break;
    slots.push(slot);
    cursor = slot;
  }
  return slots;
}

/**
 * Moves a slot later by a uniform random amount in [min, max] seconds (ms resolution). `random`
 * returns [0, 1) like Math.random; the result is clamped so a bad generator cannot leave the range.
 */
export function withRandomDelay(slot: number, delay: RandomDelay | undefined, random: () => number = Math.random): number {
  if (!delay) return slot;
  const { min, max } = delay;
  if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && min <= max && max <= MAX_RANDOM_DELAY_S)) {
    throw new RangeError(`a random delay needs 0 <= min <= max <= ${MAX_RANDOM_DELAY_S} seconds (got ${min}..${max})`);
  }
  if (max === min) return slot + min * 1000;
  const r = Math.min(Math.max(random(), 0), 1);
  const ms = Math.round((min + r * (max - min)) * 1000);
  return slot + Math.min(Math.max(ms, min * 1000), max * 1000);
}

// QD's backoff, indexed by the consecutive automatic failures before this one.
const QD_BACKOFF_MS = [10 * MINUTE_MS, 110 * MINUTE_MS, 4 * HOUR_MS, 6 * HOUR_MS, 11 * HOUR_MS] as const;

/** QD's backoff when intervalSeconds is null: 0 → 10 min, 1 → 110 min, 2 → 4 h, 3 → 6 h, 4+ → 11 h; else intervalSeconds*1000. */
export function retryDelayMs(failuresBefore: number, intervalSeconds: number | null): number {
  if (intervalSeconds !== null) return intervalSeconds * 1000;
  const index = Math.min(Math.max(Math.floor(failuresBefore), 0), QD_BACKOFF_MS.length - 1);
  return QD_BACKOFF_MS[index]!;
}

/**
 * When to retry after an automatic failure that finished at `finishedAt`: finishedAt + retryDelayMs,
 * but never later than the next regular slot (`nextRegular`; null for manual) and, for an interval
 * task, never later than finishedAt + N. isRetry is false when the regular slot (or the interval)
 * comes first or at the same instant: then the regular run is what happens. `at` is never before
 * `finishedAt` (a regular slot that already passed means "right away").
 */
export function retryAt(opts: { schedule: Schedule; finishedAt: number; failuresBefore: number; intervalSeconds: number | null; nextRegular: number | null }): { at: number; isRetry: boolean } {
  const { schedule, finishedAt } = opts;
  const retry = finishedAt + retryDelayMs(opts.failuresBefore, opts.intervalSeconds);
  let cap = opts.nextRegular ?? Infinity;
  if (schedule.type === 'interval') cap = Math.min(cap, finishedAt + intervalMs(schedule.seconds));
  if (retry < cap) return { at: retry, isRetry: true };
  return { at: Math.max(cap, finishedAt), isRetry: false };
}

/**
 * The next automatic run after a run claimed for `slot`, started at `startedAt`, finished at
 * `finishedAt` (SEMANTICS §2). Slots after the claimed one that came due before the run started
 * (downtime, a late start) are skipped; a slot that came due while it ran runs once, right after
 * (finishedAt); otherwise the next slot after finishedAt. Interval: finishedAt + N. Manual: null.
 * The result is a regular slot: the caller adds the random delay.
 */
export function nextAfterRun(schedule: Schedule, tz: string, run: { slot: number; startedAt: number; finishedAt: number }): number | null {
  switch (schedule.type) {
    case 'manual':
      return null;
    case 'interval':
      return run.finishedAt + intervalMs(schedule.seconds);
    case 'cron':
    case 'daily': {
      const next = nextRegularSlot(schedule, tz, Math.max(run.slot, run.startedAt));
      if (next === null) return null;
      return next <= run.finishedAt ? run.finishedAt : next;
    }
  }
}
