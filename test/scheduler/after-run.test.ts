// What a finished run changes on its task (SEMANTICS.md §2–3), on fixed instants: the streak, QD's
// retry backoff capped by the next regular slot, disabling after too many failures, re-enabling
// after a manual success, lost runs, and a slot that came due while the task ran.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { afterRun, disabledReasonText, firstSlot, type FinishedRun } from '../../src/scheduler/after-run.js';
import type { Task } from '../../src/tasks/repo.js';

const at = (iso: string) => {
  const t = Date.parse(iso);
  assert.ok(Number.isFinite(t), `bad fixture ${iso}`);
  return t;
};
const iso = (t: number | null | undefined) => (t == null ? t : new Date(t).toISOString());
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const TZ = 'UTC';

/** A task that ran for the 08:00 slot of a daily 08:00 schedule, enabled, no failures so far. */
function task(over: Partial<Task> = {}): Task {
  return {
    id: 1,
    userId: 1,
    templateId: 1,
    name: 'check-in',
    enabled: true,
    variables: {},
    persisted: {},
    schedule: { type: 'daily', time: '08:00' },
    randomDelay: null,
    retry: { count: 8, intervalSeconds: null },
    push: { enabled: true },
    nextRunAt: null,
    nextTrigger: 'auto',
    runningSince: at('2026-03-02T08:00:00.200Z'),
    claimedSlotAt: at('2026-03-02T08:00:00Z'),
    version: 3,
    consecutiveFailures: 0,
    failurePushed: false,
    successCount: 0,
    failureCount: 0,
    lastSuccessAt: null,
    lastFailureAt: null,
    lastRunId: null,
    createdAt: at('2026-01-01T00:00:00Z'),
    updatedAt: at('2026-01-01T00:00:00Z'),
    ...over,
  };
}

const STARTED = at('2026-03-02T08:00:00.200Z');
const FINISHED = at('2026-03-02T08:00:02Z');
const ERROR = 'step 1/1 failed: HTTP status 500';

function run(over: Partial<FinishedRun> = {}): FinishedRun {
  return { trigger: 'auto', success: true, error: null, startedAt: STARTED, finishedAt: FINISHED, ...over };
}
const failed = (over: Partial<FinishedRun> = {}) => run({ success: false, error: ERROR, ...over });
const never = () => assert.fail('no random delay expected here');

describe('after an automatic success', () => {
  it('resets the streak and goes to the next regular slot', () => {
    assert.deepEqual(afterRun(task({ consecutiveFailures: 5, nextTrigger: 'retry' }), run(), TZ, never), {
      consecutiveFailures: 0,
      nextRunAt: at('2026-03-03T08:00:00Z'),
      nextTrigger: 'auto',
    });
  });

  it('moves the next slot by the random delay, within its bounds', () => {
    const delayed = (r: number) => afterRun(task({ randomDelay: { min: 60, max: 120 } }), run(), TZ, () => r).nextRunAt;
    const slot = at('2026-03-03T08:00:00Z');
    assert.equal(delayed(0), slot + 60 * SEC);
    assert.equal(delayed(0.5), slot + 90 * SEC);
    assert.equal(delayed(0.999999), slot + 120 * SEC);
    for (let i = 0; i < 200; i++) {
      const next = afterRun(task({ randomDelay: { min: 60, max: 120 } }), run(), TZ).nextRunAt!;
      assert.ok(next >= slot + 60 * SEC && next <= slot + 120 * SEC, iso(next)!);
    }
  });

  it('an interval task counts N seconds from the end of the run', () => {
    const changes = afterRun(task({ schedule: { type: 'interval', seconds: 3600 } }), run(), TZ, never);
    assert.equal(changes.nextRunAt, FINISHED + HOUR);
  });

  it('a late start skips the slots that passed before it, and runs the next one', () => {
    const cron = task({ schedule: { type: 'cron', expression: '*/5 * * * *' }, claimedSlotAt: at('2026-03-02T08:00:00Z') });
    const late = run({ startedAt: at('2026-03-02T08:12:00Z'), finishedAt: at('2026-03-02T08:12:01Z') });
    assert.equal(iso(afterRun(cron, late, TZ, never).nextRunAt), '2026-03-02T08:15:00.000Z');
  });
});

describe('a slot that came due during the run', () => {
  const every5 = task({ schedule: { type: 'cron', expression: '*/5 * * * *' }, randomDelay: { min: 30, max: 60 } });
  const long = { startedAt: at('2026-03-02T08:00:00Z'), finishedAt: at('2026-03-02T08:12:00Z') };

  it('runs right after it, once, without the random delay, however many slots it spanned', () => {
    assert.deepEqual(afterRun(every5, run(long), TZ, never), { consecutiveFailures: 0, nextRunAt: long.finishedAt, nextTrigger: 'auto' });
  });

  it('runs right after a failed run too, as a regular run rather than a retry', () => {
    assert.deepEqual(afterRun(every5, failed(long), TZ, never), { consecutiveFailures: 1, nextRunAt: long.finishedAt, nextTrigger: 'auto' });
  });
});

describe('after an automatic failure', () => {
  // Daily at 08:00, so the next regular slot (tomorrow) is later than any backoff step.
  const backoff: [number, number][] = [
    [0, 10 * MIN],
    [1, 110 * MIN],
    [2, 4 * HOUR],
    [3, 6 * HOUR],
    [4, 11 * HOUR],
    [7, 11 * HOUR],
  ];
  for (const [before, delay] of backoff) {
    it(`with ${before} failures before it, retries ${delay / MIN} min later (QD's backoff)`, () => {
      assert.deepEqual(afterRun(task({ consecutiveFailures: before }), failed(), TZ, never), {
        consecutiveFailures: before + 1,
        nextRunAt: FINISHED + delay,
        nextTrigger: 'retry',
      });
    });
  }

  it('never retries later than the next regular slot: then that slot runs, as a regular run', () => {
    const hourly = task({ schedule: { type: 'cron', expression: '0 * * * *' } });
    assert.deepEqual(afterRun(hourly, failed(), TZ, never), { consecutiveFailures: 1, nextRunAt: FINISHED + 10 * MIN, nextTrigger: 'retry' });
    assert.deepEqual(afterRun({ ...hourly, consecutiveFailures: 1 }, failed(), TZ, never), {
      consecutiveFailures: 2,
      nextRunAt: at('2026-03-02T09:00:00Z'),
      nextTrigger: 'auto',
    });
  });

  it('the regular slot that caps a retry gets its random delay', () => {
    const hourly = task({ schedule: { type: 'cron', expression: '0 * * * *' }, randomDelay: { min: 10, max: 10 }, consecutiveFailures: 2 });
    assert.equal(afterRun(hourly, failed(), TZ).nextRunAt, at('2026-03-02T09:00:10Z'));
  });

  it('an interval task retries no later than N seconds after the failure', () => {
    const interval = task({ schedule: { type: 'interval', seconds: 3600 }, consecutiveFailures: 1 });
    assert.deepEqual(afterRun(interval, failed(), TZ, never), { consecutiveFailures: 2, nextRunAt: FINISHED + HOUR, nextTrigger: 'auto' });
  });

  it('a fixed retry.intervalSeconds replaces the backoff, whatever the streak', () => {
    for (const before of [0, 3, 6]) {
      const fixed = task({ retry: { count: 8, intervalSeconds: 300 }, consecutiveFailures: before });
      assert.deepEqual(afterRun(fixed, failed(), TZ, never), { consecutiveFailures: before + 1, nextRunAt: FINISHED + 5 * MIN, nextTrigger: 'retry' });
    }
  });

  it('a failed retry counts like any automatic failure', () => {
    assert.deepEqual(afterRun(task({ consecutiveFailures: 1, nextTrigger: 'retry' }), failed({ trigger: 'retry' }), TZ, never), {
      consecutiveFailures: 2,
      nextRunAt: FINISHED + 110 * MIN,
      nextTrigger: 'retry',
    });
  });
});

describe('disabling after too many failures', () => {
  it('with retry.count 8, the 8th failure in a row still retries and the 9th disables the task', () => {
    assert.equal(afterRun(task({ consecutiveFailures: 7 }), failed(), TZ, never).nextTrigger, 'retry');
    const changes = afterRun(task({ consecutiveFailures: 8 }), failed(), TZ, never);
    assert.deepEqual(changes, {
      consecutiveFailures: 9,
      enabled: false,
      disabledBy: 'failures',
      disabledReason: ERROR,
      nextRunAt: null,
      nextTrigger: 'auto',
    });
    assert.equal(disabledReasonText({ ...task(), ...changes }), `failed 9 times in a row: ${ERROR}`);
  });

  it('with retry.count -1, never disables', () => {
    const forever = task({ retry: { count: -1, intervalSeconds: null }, consecutiveFailures: 1000 });
    assert.deepEqual(afterRun(forever, failed(), TZ, never), { consecutiveFailures: 1001, nextRunAt: FINISHED + 11 * HOUR, nextTrigger: 'retry' });
  });

  it('with retry.count 0, disables on the first failure', () => {
    const changes = afterRun(task({ retry: { count: 0, intervalSeconds: null } }), failed(), TZ, never);
    assert.equal(changes.enabled, false);
    assert.equal(changes.disabledBy, 'failures');
    assert.equal(changes.nextRunAt, null);
    assert.equal(changes.consecutiveFailures, 1);
  });

  it('a task the user disabled keeps its own reason, without the count', () => {
    assert.equal(disabledReasonText(task({ enabled: false, disabledBy: 'user', disabledReason: 'on holiday', consecutiveFailures: 3 })), 'on holiday');
    assert.equal(disabledReasonText(task({ enabled: false, disabledBy: 'user' })), undefined);
  });

  it('a task disabled while it ran gets no next run, and its streak is left alone', () => {
    assert.deepEqual(afterRun(task({ enabled: false, disabledBy: 'user', consecutiveFailures: 2 }), failed(), TZ, never), { nextRunAt: null });
    assert.deepEqual(afterRun(task({ enabled: false, disabledBy: 'user' }), run(), TZ, never), { nextRunAt: null });
  });
});

describe('a lost run (its process died)', () => {
  const lost = (over: Partial<FinishedRun> = {}) => run({ success: false, error: 'the run was lost', finishedAt: at('2026-03-02T08:01:30Z'), ...over });

  it('counts as an automatic failure: the streak grows and a retry follows', () => {
    assert.deepEqual(afterRun(task({ consecutiveFailures: 2 }), lost(), TZ, never), {
      consecutiveFailures: 3,
      nextRunAt: at('2026-03-02T08:01:30Z') + 4 * HOUR,
      nextTrigger: 'retry',
    });
  });

  it('is the 9th failure in a row like any other', () => {
    const changes = afterRun(task({ consecutiveFailures: 8 }), lost(), TZ, never);
    assert.equal(changes.enabled, false);
    assert.equal(disabledReasonText({ ...task(), ...changes }), 'failed 9 times in a row: the run was lost');
  });
});

describe('after a manual run', () => {
  it('a failure changes nothing: not the schedule, not the streak, not even at the limit', () => {
    assert.deepEqual(afterRun(task({ nextRunAt: at('2026-03-03T08:00:00Z') }), failed({ trigger: 'manual' }), TZ, never), {});
    assert.deepEqual(afterRun(task({ consecutiveFailures: 8 }), failed({ trigger: 'manual' }), TZ, never), {});
  });

  it('a success resets the streak and leaves the schedule alone', () => {
    assert.deepEqual(afterRun(task({ consecutiveFailures: 4, nextRunAt: FINISHED + HOUR, nextTrigger: 'retry' }), run({ trigger: 'manual' }), TZ, never), { consecutiveFailures: 0 });
  });

  it('a success re-enables a task that failures disabled, with its next run recomputed', () => {
    const disabled = task({ enabled: false, disabledBy: 'failures', disabledReason: ERROR, consecutiveFailures: 9, nextRunAt: null, claimedSlotAt: null });
    const finishedAt = at('2026-03-05T12:00:00Z');
    assert.deepEqual(afterRun(disabled, run({ trigger: 'manual', startedAt: finishedAt - SEC, finishedAt }), TZ, never), {
      consecutiveFailures: 0,
      enabled: true,
      disabledBy: undefined,
      disabledReason: undefined,
      nextTrigger: 'auto',
      nextRunAt: at('2026-03-06T08:00:00Z'),
    });
    const delayed = afterRun({ ...disabled, randomDelay: { min: 0, max: 100 } }, run({ trigger: 'manual', finishedAt }), TZ, () => 0.5);
    assert.equal(delayed.nextRunAt, at('2026-03-06T08:00:50Z'));
  });

  it('a success does not re-enable a task the user disabled', () => {
    const byUser = task({ enabled: false, disabledBy: 'user', consecutiveFailures: 2, nextRunAt: null });
    assert.deepEqual(afterRun(byUser, run({ trigger: 'manual' }), TZ, never), { consecutiveFailures: 0 });
  });
});

describe('the first slot of a new or re-enabled task', () => {
  const now = at('2026-03-02T09:30:00Z');
  it('is the next regular slot after now, with the random delay', () => {
    assert.equal(firstSlot(task(), TZ, now, false, never), at('2026-03-03T08:00:00Z'));
    assert.equal(firstSlot(task({ randomDelay: { min: 60, max: 60 } }), TZ, now), at('2026-03-03T08:01:00Z'));
    assert.equal(firstSlot(task({ schedule: { type: 'interval', seconds: 600 } }), TZ, now, false, never), now + 10 * MIN);
  });
  it('is now with runNow, and never for a manual task', () => {
    assert.equal(firstSlot(task({ randomDelay: { min: 60, max: 60 } }), TZ, now, true, never), now);
    assert.equal(firstSlot(task({ schedule: { type: 'manual' } }), TZ, now, true, never), null);
  });
});
