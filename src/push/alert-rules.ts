// Which pushes a finished run causes (SEMANTICS §4). Pure: the run's outcome and the task's streak
// in, the events and the task's new "failure pushed in this streak" flag out. One run causes at most
// one event: a recovery replaces the success notice, a disabling replaces the failure notice.
import type { PushDefaults } from './settings-schema.js';

export type TaskEvent = 'task.success' | 'task.failure' | 'task.recovered' | 'task.disabled';

export type RuleInput = {
  /** The task's settings: its override over the user's defaults. */
  settings: Pick<PushDefaults, 'manualSuccess' | 'manualFailure' | 'autoSuccess' | 'autoFailure' | 'failureThreshold' | 'repeat' | 'notifyRecovery'>;
  /** The task's own switch (QD's per-task push switch). */
  taskPushEnabled: boolean;
  trigger: 'manual' | 'auto';
  ok: boolean;
  /** Automatic failures in a row after this run (a manual failure does not count; a success resets). */
  consecutiveFailures: number;
  /** Whether the streak this run continues or ends had pushed a failure. */
  failurePushed: boolean;
  /** This run's failure disabled the task. */
  disabledNow: boolean;
};

export type RuleOutcome = { event: TaskEvent | null; failurePushed: boolean };

export function pushForRun(input: RuleInput): RuleOutcome {
  const { settings: s, ok, trigger } = input;
  // The flag follows what was pushed; with the task's push off nothing is, so nothing recovers.
  if (!input.taskPushEnabled) return { event: null, failurePushed: ok ? false : input.failurePushed };
  if (ok) {
    if (input.failurePushed && s.notifyRecovery) return { event: 'task.recovered', failurePushed: false };
    const wanted = trigger === 'manual' ? s.manualSuccess : s.autoSuccess;
    return { event: wanted ? 'task.success' : null, failurePushed: false };
  }
  if (input.disabledNow) return { event: 'task.disabled', failurePushed: true };
  if (trigger === 'manual') {
    // A manual failure is pushed when asked for, but it is not part of the automatic streak.
    return { event: s.manualFailure ? 'task.failure' : null, failurePushed: input.failurePushed };
  }
  const n = input.consecutiveFailures;
  const reached = s.autoFailure && n >= s.failureThreshold && (s.repeat === 'every' || n === s.failureThreshold);
  return { event: reached ? 'task.failure' : null, failurePushed: input.failurePushed || reached };
}
