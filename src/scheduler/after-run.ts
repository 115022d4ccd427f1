// What a finished run changes on its task (SEMANTICS.md §2–3): the streak, retries with QD's
// backoff, disabling after too many failures, re-enabling after a manual success, the next slot.
// Pure: the caller reads the task, calls this, and writes the result with the run.
import type { Task, TaskWrite } from '../tasks/repo.js';
import type { RunTrigger } from '../runs/repo.js';
import { nextAfterRun, nextRegularSlot, retryAt, withRandomDelay } from './schedule.js';

export type FinishedRun = {
  trigger: RunTrigger;
  success: boolean;
  /** The run's error, kept as the disabled reason when failures disable the task. */
  error: string | null;
  startedAt: number;
  finishedAt: number;
};

/** The next regular slot for a task enabled (or re-enabled) now: with `runNow`, right away. */
export function firstSlot(task: Pick<Task, 'schedule' | 'randomDelay'>, tz: string, now: number, runNow = false, random = Math.random): number | null {
  if (task.schedule.type === 'manual') return null;
  if (runNow) return now;
  const slot = nextRegularSlot(task.schedule, tz, now);
  return slot === null ? null : withRandomDelay(slot, task.randomDelay ?? undefined, random);
}

export function afterRun(task: Task, run: FinishedRun, tz: string, random = Math.random): TaskWrite {
  if (run.trigger === 'manual') {
    // A manual run never moves the schedule, and its failure is not part of the automatic streak.
    if (!run.success) return {};
    const changes: TaskWrite = { consecutiveFailures: 0 };
    if (!task.enabled && task.disabledBy === 'failures') {
      Object.assign(changes, { enabled: true, disabledBy: undefined, disabledReason: undefined, nextTrigger: 'auto' as const });
      changes.nextRunAt = firstSlot(task, tz, run.finishedAt, false, random);
    }
    return changes;
  }

  // Automatic (scheduled, retry, or lost).
  const regular = nextAfterRun(task.schedule, tz, { slot: task.claimedSlotAt ?? run.startedAt, startedAt: run.startedAt, finishedAt: run.finishedAt });
  // A slot that came due during the run runs right after it; later slots get the random delay.
  const nextRegular = regular !== null && regular > run.finishedAt ? withRandomDelay(regular, task.randomDelay ?? undefined, random) : regular;
  if (!task.enabled) return { nextRunAt: null };
  if (run.success) return { consecutiveFailures: 0, nextRunAt: nextRegular, nextTrigger: 'auto' };

  const failuresBefore = task.consecutiveFailures;
  const failures = failuresBefore + 1;
  // With the default 8: disabled on the 9th failure in a row; with 0 (never retry), on the first.
  if (task.retry.count !== -1 && failures > task.retry.count) {
    return {
      consecutiveFailures: failures,
      enabled: false,
      disabledBy: 'failures',
      disabledReason: run.error ?? 'failed',
      nextRunAt: null,
      nextTrigger: 'auto',
    };
  }
  const { at, isRetry } = retryAt({ schedule: task.schedule, finishedAt: run.finishedAt, failuresBefore, intervalSeconds: task.retry.intervalSeconds, nextRegular });
  return { consecutiveFailures: failures, nextRunAt: at, nextTrigger: isRetry ? 'retry' : 'auto' };
}

/** "failed 9 times in a row: <last error>" — how a task disabled by its failures explains itself. */
export function disabledReasonText(task: Pick<Task, 'disabledBy' | 'disabledReason' | 'consecutiveFailures'>): string | undefined {
  if (!task.disabledReason) return undefined;
  if (task.disabledBy !== 'failures') return task.disabledReason;
  const times = task.consecutiveFailures === 1 ? 'once' : `${task.consecutiveFailures} times in a row`;
  return `failed ${times}: ${task.disabledReason}`;
}
