// The rule table of SEMANTICS §4: which finished run pushes what.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pushForRun, type RuleInput, type TaskEvent } from '../../src/push/alert-rules.js';
import { DEFAULT_PUSH_DEFAULTS, type PushDefaults } from '../../src/push/settings-schema.js';

/** Feeds a sequence of outcomes ('ok', 'fail', 'manual-ok', 'manual-fail', 'disable') and returns the events. */
function play(sequence: string[], settings: Partial<PushDefaults> = {}, taskPushEnabled = true): (TaskEvent | null)[] {
  let streak = 0;
  let failurePushed = false;
  return sequence.map((step) => {
    const manual = step.startsWith('manual-');
    const ok = step.endsWith('ok');
    if (ok) streak = 0;
    else if (!manual) streak += 1;
    const input: RuleInput = {
      settings: { ...DEFAULT_PUSH_DEFAULTS, ...settings },
      taskPushEnabled,
      trigger: manual ? 'manual' : 'auto',
      ok,
      consecutiveFailures: streak,
      failurePushed,
      disabledNow: step === 'disable',
    };
    const out = pushForRun(input);
    failurePushed = out.failurePushed;
    return out.event;
  });
}

const F = 'task.failure', R = 'task.recovered', S = 'task.success', D = 'task.disabled';

describe('push rules', () => {
  it('defaults: every automatic failure pushes, the success after them recovers, plain successes are quiet', () => {
    assert.deepEqual(play(['ok', 'fail', 'fail', 'ok', 'ok']), [null, F, F, R, null]);
  });

  it('threshold 3, every: from the third failure in a row on', () => {
    assert.deepEqual(play(['fail', 'fail', 'fail', 'fail', 'ok'], { failureThreshold: 3 }), [null, null, F, F, R]);
  });

  it('threshold 3, once: only the third; a streak that never reached it recovers silently', () => {
    assert.deepEqual(play(['fail', 'fail', 'fail', 'fail', 'fail', 'ok'], { failureThreshold: 3, repeat: 'once' }), [null, null, F, null, null, R]);
    assert.deepEqual(play(['fail', 'fail', 'ok'], { failureThreshold: 3, repeat: 'once' }), [null, null, null]);
  });

  it('threshold 1, once: the first failure of each streak', () => {
    assert.deepEqual(play(['fail', 'fail', 'ok', 'fail'], { repeat: 'once' }), [F, null, R, F]);
  });

  it('recovery only after a pushed alert, and only when asked for', () => {
    assert.deepEqual(play(['fail', 'ok'], { autoFailure: false }), [null, null]);
    assert.deepEqual(play(['fail', 'ok'], { notifyRecovery: false }), [F, null]);
    assert.deepEqual(play(['fail', 'ok'], { notifyRecovery: false, autoSuccess: true }), [F, S]);
  });

  it('the disabled notice is always pushed, in place of that run’s failure notice', () => {
    assert.deepEqual(play(['fail', 'disable'], { autoFailure: false }), [null, D]);
    assert.deepEqual(play(['fail', 'disable', 'manual-ok']), [F, D, R]);
  });

  it('manual runs push only when their switches are on, and a manual failure is not part of the streak', () => {
    assert.deepEqual(play(['manual-ok', 'manual-fail']), [null, null]);
    assert.deepEqual(play(['manual-ok', 'manual-fail'], { manualSuccess: true, manualFailure: true }), [S, F]);
    assert.deepEqual(play(['fail', 'manual-fail', 'fail'], { failureThreshold: 2, repeat: 'once' }), [null, null, F]);
    assert.deepEqual(play(['fail', 'manual-ok'], {}), [F, R]);
  });

  it('nothing at all when the task’s push is off, and no recovery for what was never pushed', () => {
    assert.deepEqual(play(['fail', 'disable', 'ok', 'manual-ok'], { manualSuccess: true }, false), [null, null, null, null]);
  });
});
