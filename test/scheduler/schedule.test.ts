// Schedule math (SEMANTICS.md §2–3) on fixed instants: cron and daily slots in IANA zones across
// DST, intervals, the random delay, QD's retry backoff and what follows a finished run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cronProblem, dailyTimeProblem, nextAfterRun, nextRegularSlot, previewSlots, retryAt, retryDelayMs, withRandomDelay, type Schedule } from '../../src/scheduler/schedule.js';

const at = (iso: string) => {
  const t = Date.parse(iso);
  assert.ok(Number.isFinite(t), `bad fixture ${iso}`);
  return t;
};
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString().replace('.000Z', 'Z'));
const cron = (expression: string, timezone?: string): Schedule => ({ type: 'cron', expression, ...(timezone ? { timezone } : {}) });
const daily = (time: string, timezone?: string): Schedule => ({ type: 'daily', time, ...(timezone ? { timezone } : {}) });
/** The next `n` slots after `from`, as ISO strings without milliseconds. */
const slots = (schedule: Schedule, tz: string, from: string, n: number) => previewSlots(schedule, tz, at(from), n).map(iso);
const MIN = 60_000;
const HOUR = 60 * MIN;

describe('cronProblem', () => {
  const valid = ['*/15 * * * *', '0 9 13 * FRI', '30 */10 * * * *', '0 8-10,17 * * MON-FRI', '0 0 1 jan,Jul *', '0 12 * * 7', '0 12 * * FRI-SUN', '0 0 29 2 *', '0 0 30 2 MON', '0-30/10 9 * * *', '  0   9 * * *  '];
  for (const expression of valid) {
    it(`accepts ${JSON.stringify(expression)}`, () => assert.equal(cronProblem(expression), undefined));
  }
  const invalid: [string, string][] = [
    ['0 9 * *', 'a cron expression has 5 fields (minute hour day month weekday), or 6 with seconds first'],
    ['0 0 9 * * * 2027', 'a cron expression has 5 fields (minute hour day month weekday), or 6 with seconds first'],
    ['', 'a cron expression has 5 fields (minute hour day month weekday), or 6 with seconds first'],
    ['@daily', 'a cron expression has 5 fields (minute hour day month weekday), or 6 with seconds first'],
    ['0 24 * * *', 'the hour field must be 0-23'],
    ['60 * * * *', 'the minute field must be 0-59'],
    ['60 0 * * * *', 'the second field must be 0-59'],
    ['0 0 0 * *', 'the day field must be 1-31'],
    ['0 0 32 * *', 'the day field must be 1-31'],
    ['0 0 * 13 *', 'the month field must be 1-12 or JAN-DEC'],
    ['0 0 * FOO *', 'the month field must be 1-12 or JAN-DEC'],
    ['0 0 * * 8', 'the weekday field must be 0-7 or SUN-SAT'],
    ['0 0 * * MONDAY', 'the weekday field must be 0-7 or SUN-SAT'],
    ['0 0 L * *', 'the day field must be 1-31'],
    ['0 0 * * 1#2', 'the weekday field must be 0-7 or SUN-SAT'],
    ['0 0 ? * MON', 'the day field uses ?, which is not supported: use *'],
    ['5-1 * * * *', 'the minute range 5-1 goes backwards'],
    ['0 0 * * FRI-MON', 'the weekday range FRI-MON goes backwards'],
    ['*/0 * * * *', 'the minute step must be 1-59'],
    ['0 */24 * * *', 'the hour step must be 1-23'],
    ['5/10 * * * *', 'the minute field needs * or a range before a step (*/10 or a-b/10)'],
    ['0 0 1,,15 * *', 'the day field has an empty list item'],
    ['0 0 30 2 *', 'none of the chosen days exists in the chosen months'],
    ['0 0 31 4,6,9,11 *', 'none of the chosen days exists in the chosen months'],
  ];
  for (const [expression, reason] of invalid) {
    it(`refuses ${JSON.stringify(expression)}: ${reason}`, () => assert.equal(cronProblem(expression), reason));
  }
  it('nextRegularSlot refuses an invalid expression with the same reason', () => {
    assert.throws(() => nextRegularSlot(cron('0 24 * * *'), 'UTC', at('2026-04-01T00:00:00Z')), /the hour field must be 0-23/);
  });
});

describe('cron slots (UTC)', () => {
  // 2026-04-01 is a Wednesday; April 13 is a Monday.
  const cases: [string, string, string, string[]][] = [
    ['every 15 minutes', '*/15 * * * *', '2026-04-01T10:07:00Z', ['2026-04-01T10:15:00Z', '2026-04-01T10:30:00Z', '2026-04-01T10:45:00Z', '2026-04-01T11:00:00Z']],
    ['6 fields: leading seconds', '30 */10 * * * *', '2026-04-01T10:00:00Z', ['2026-04-01T10:00:30Z', '2026-04-01T10:10:30Z', '2026-04-01T10:20:30Z']],
    ['day and weekday both restricted: OR', '0 9 13 * FRI', '2026-04-01T00:00:00Z', ['2026-04-03T09:00:00Z', '2026-04-10T09:00:00Z', '2026-04-13T09:00:00Z', '2026-04-17T09:00:00Z', '2026-04-24T09:00:00Z']],
    ['weekday only (day is *)', '0 9 * * FRI', '2026-04-01T00:00:00Z', ['2026-04-03T09:00:00Z', '2026-04-10T09:00:00Z', '2026-04-17T09:00:00Z']],
    ['day only (weekday is *)', '0 9 13 * *', '2026-04-01T00:00:00Z', ['2026-04-13T09:00:00Z', '2026-05-13T09:00:00Z']],
    // Only a literal * leaves a day field unrestricted (croner's rule; Vixie also counts */2).
    ['*/2 counts as restricted', '0 9 */2 * FRI', '2026-04-01T00:00:00Z', ['2026-04-01T09:00:00Z', '2026-04-03T09:00:00Z', '2026-04-05T09:00:00Z']],
    ['ranges and lists', '0 8-10,17 * * MON-FRI', '2026-04-03T00:00:00Z', ['2026-04-03T08:00:00Z', '2026-04-03T09:00:00Z', '2026-04-03T10:00:00Z', '2026-04-03T17:00:00Z', '2026-04-06T08:00:00Z']],
    ['range with a step', '0-30/10 9 * * *', '2026-04-01T00:00:00Z', ['2026-04-01T09:00:00Z', '2026-04-01T09:10:00Z', '2026-04-01T09:20:00Z', '2026-04-01T09:30:00Z', '2026-04-02T09:00:00Z']],
    ['month names, any case', '0 0 1 jan,JUL *', '2026-02-01T00:00:00Z', ['2026-07-01T00:00:00Z', '2027-01-01T00:00:00Z']],
    ['weekday 7 is Sunday', '0 12 * * 7', '2026-04-01T00:00:00Z', ['2026-04-05T12:00:00Z', '2026-04-12T12:00:00Z']],
    ['weekday 0 is Sunday', '0 12 * * 0', '2026-04-01T00:00:00Z', ['2026-04-05T12:00:00Z', '2026-04-12T12:00:00Z']],
    ['a range ending in SUN', '0 12 * * FRI-SUN', '2026-04-01T00:00:00Z', ['2026-04-03T12:00:00Z', '2026-04-04T12:00:00Z', '2026-04-05T12:00:00Z', '2026-04-10T12:00:00Z']],
    ['SUN-SUN is Sunday only', '0 12 * * SUN-SUN', '2026-04-01T00:00:00Z', ['2026-04-05T12:00:00Z', '2026-04-12T12:00:00Z']],
    ['29 February waits for a leap year', '0 0 29 2 *', '2026-01-01T00:00:00Z', ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z']],
  ];
  for (const [name, expression, from, expected] of cases) {
    it(`${name}: ${expression}`, () => assert.deepEqual(slots(cron(expression), 'UTC', from, expected.length), expected));
  }

  it('a slot equal to `after` does not count; milliseconds before it do', () => {
    assert.equal(iso(nextRegularSlot(cron('15 30 9 * * *'), 'UTC', at('2026-04-01T09:30:15Z'))), '2026-04-02T09:30:15Z');
    assert.equal(iso(nextRegularSlot(cron('15 30 9 * * *'), 'UTC', at('2026-04-01T09:30:14.999Z'))), '2026-04-01T09:30:15Z');
  });
});

describe('time zones and DST', () => {
  const cases: [string, Schedule, string, string, string[]][] = [
    // Spring forward: 02:00 EST → 03:00 EDT at 07:00Z on 2026-03-08.
    ['New York, daily in the skipped hour runs at the jump', daily('02:30'), 'America/New_York', '2026-03-07T12:00:00Z', ['2026-03-08T07:00:00Z', '2026-03-09T06:30:00Z']],
    ['New York, the same as a cron', cron('30 2 * * *'), 'America/New_York', '2026-03-07T12:00:00Z', ['2026-03-08T07:00:00Z', '2026-03-09T06:30:00Z']],
    // croner by itself skips 02:30 here (a list is not "fixed time" to it).
    ['New York, a list hour in the skipped hour', cron('30 2,14 * * *'), 'America/New_York', '2026-03-08T00:00:00Z', ['2026-03-08T07:00:00Z', '2026-03-08T18:30:00Z']],
    ['New York, */15 readings 02:00-02:45 become one run at 03:00', cron('*/15 * * * *'), 'America/New_York', '2026-03-08T06:20:00Z', ['2026-03-08T06:30:00Z', '2026-03-08T06:45:00Z', '2026-03-08T07:00:00Z', '2026-03-08T07:15:00Z']],
    // croner by itself skips 02:30 here, and runs 01:30 twice on the fall-back night below.
    ['New York, hourly at :30: the skipped 02:30 runs at 03:00', cron('30 * * * *'), 'America/New_York', '2026-03-08T06:00:00Z', ['2026-03-08T06:30:00Z', '2026-03-08T07:00:00Z', '2026-03-08T07:30:00Z']],
    // Fall back: 02:00 EDT → 01:00 EST at 06:00Z on 2026-11-01.
    ['New York, hourly at :30: the repeated 01:30 runs once', cron('30 * * * *'), 'America/New_York', '2026-11-01T05:00:00Z', ['2026-11-01T05:30:00Z', '2026-11-01T07:30:00Z']],
    ['New York, daily in the repeated hour runs once (EDT)', daily('01:30'), 'America/New_York', '2026-10-31T12:00:00Z', ['2026-11-01T05:30:00Z', '2026-11-02T06:30:00Z']],
    // croner by itself runs this one at 05:30Z and again at 06:30Z.
    ['New York, a list hour in the repeated hour runs once', cron('30 1,13 * * *'), 'America/New_York', '2026-11-01T00:00:00Z', ['2026-11-01T05:30:00Z', '2026-11-01T18:30:00Z']],
    ['New York, */30 runs each wall-clock reading once', cron('*/30 * * * *'), 'America/New_York', '2026-11-01T04:50:00Z', ['2026-11-01T05:00:00Z', '2026-11-01T05:30:00Z', '2026-11-01T07:00:00Z', '2026-11-01T07:30:00Z']],
    ['New York, after falls in the second 01:xx', daily('01:30'), 'America/New_York', '2026-11-01T06:15:00Z', ['2026-11-02T06:30:00Z']],
    ['New York, every second resumes at 02:00 EST', cron('* * * * * *'), 'America/New_York', '2026-11-01T06:30:00Z', ['2026-11-01T07:00:00Z', '2026-11-01T07:00:01Z']],
    // Berlin: 02:00 CET → 03:00 CEST at 01:00Z on 2026-03-29; 03:00 CEST → 02:00 CET at 01:00Z on 2026-10-25.
    ['Berlin, daily in the skipped hour', daily('02:30'), 'Europe/Berlin', '2026-03-28T12:00:00Z', ['2026-03-29T01:00:00Z', '2026-03-30T00:30:00Z']],
    ['Berlin, cron in the skipped hour', cron('0 30 2 * * *'), 'Europe/Berlin', '2026-03-28T12:00:00Z', ['2026-03-29T01:00:00Z', '2026-03-30T00:30:00Z']],
    ['Berlin, daily in the repeated hour runs once (CEST)', daily('02:30'), 'Europe/Berlin', '2026-10-24T12:00:00Z', ['2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z']],
    ['Berlin, cron in the repeated hour runs once', cron('30 2 * * *'), 'Europe/Berlin', '2026-10-24T12:00:00Z', ['2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z']],
    ['Berlin, hourly skips the repeated 02:00', cron('0 * * * *'), 'Europe/Berlin', '2026-10-24T23:30:00Z', ['2026-10-25T00:00:00Z', '2026-10-25T02:00:00Z']],
    ['Shanghai, 08:00 is 00:00Z', daily('08:00'), 'Asia/Shanghai', '2026-03-31T23:59:59Z', ['2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z']],
    ['Shanghai, with seconds', daily('08:00:30'), 'Asia/Shanghai', '2026-04-01T00:00:00Z', ['2026-04-01T00:00:30Z']],
    ['the schedule’s own zone wins over the fallback', daily('08:00', 'Asia/Shanghai'), 'America/New_York', '2026-04-01T00:00:00Z', ['2026-04-02T00:00:00Z']],
  ];
  for (const [name, schedule, tz, from, expected] of cases) {
    it(name, () => assert.deepEqual(slots(schedule, tz, from, expected.length), expected));
  }

  it('daily "HH:MM[:SS]" is checked: 00-23, 00-59, 00-59', () => {
    for (const ok of ['00:00', '23:59', '08:05:09', '23:59:59']) assert.equal(dailyTimeProblem(ok), undefined, ok);
    for (const bad of ['24:00', '12:60', '12:00:60', '8:00', '08:00:', 'noon', '']) assert.equal(dailyTimeProblem(bad), 'the time must be HH:MM or HH:MM:SS, from 00:00 to 23:59:59', bad);
    assert.throws(() => nextRegularSlot(daily('24:00'), 'UTC', 0), RangeError);
  });
});

describe('interval, manual and the preview', () => {
  const every = (seconds: number): Schedule => ({ type: 'interval', seconds });
  it('interval: after + N, and the preview counts from + k*N', () => {
    assert.equal(nextRegularSlot(every(90), 'UTC', at('2026-04-01T10:00:00Z')), at('2026-04-01T10:01:30Z'));
    assert.deepEqual(slots(every(3600), 'Asia/Shanghai', '2026-04-01T10:00:00Z', 3), ['2026-04-01T11:00:00Z', '2026-04-01T12:00:00Z', '2026-04-01T13:00:00Z']);
    assert.throws(() => nextRegularSlot(every(59), 'UTC', 0), RangeError);
  });
  it('manual has no slots', () => {
    assert.equal(nextRegularSlot({ type: 'manual' }, 'UTC', 0), null);
    assert.deepEqual(previewSlots({ type: 'manual' }, 'UTC', 0), []);
  });
  it('the preview gives 5 increasing slots in the task’s zone, across a DST change', () => {
    // Weekdays 09:00 in Berlin from Thursday 2026-03-26: CET (08:00Z) until the 29th, then CEST (07:00Z).
    const preview = previewSlots(cron('0 9 * * MON-FRI'), 'Europe/Berlin', at('2026-03-26T00:00:00Z'));
    assert.deepEqual(preview.map(iso), ['2026-03-26T08:00:00Z', '2026-03-27T08:00:00Z', '2026-03-30T07:00:00Z', '2026-03-31T07:00:00Z', '2026-04-01T07:00:00Z']);
    assert.ok(preview.every((t, i) => i === 0 || t > preview[i - 1]!));
  });
});

describe('random delay', () => {
  const slot = at('2026-04-01T09:00:00Z');
  const delay = { min: 60, max: 600 };
  it('moves the slot by min at random 0, by max as random approaches 1, and in between', () => {
    assert.equal(withRandomDelay(slot, undefined), slot);
    assert.equal(withRandomDelay(slot, delay, () => 0), slot + 60_000);
    assert.equal(withRandomDelay(slot, delay, () => 1 - 2 ** -53), slot + 600_000);
    assert.equal(withRandomDelay(slot, delay, () => 0.5), slot + 330_000);
    assert.equal(withRandomDelay(slot, { min: 30, max: 30 }, () => 0.9), slot + 30_000);
  });
  it('never leaves [min, max], even with a generator that misbehaves', () => {
    let seed = 42;
    const lcg = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const moved = withRandomDelay(slot, delay, lcg) - slot;
      assert.ok(moved >= 60_000 && moved <= 600_000, `moved ${moved}`);
    }
    assert.equal(withRandomDelay(slot, delay, () => 1.7), slot + 600_000);
    assert.equal(withRandomDelay(slot, delay, () => -3), slot + 60_000);
  });
  it('refuses a delay outside 0 <= min <= max <= 604800', () => {
    for (const bad of [{ min: 10, max: 5 }, { min: -1, max: 5 }, { min: 0, max: 604_801 }]) assert.throws(() => withRandomDelay(slot, bad), RangeError);
  });
});

describe('retries', () => {
  it('QD backoff by the failures before this one, or the fixed interval', () => {
    const expected = [10 * MIN, 110 * MIN, 4 * HOUR, 6 * HOUR, 11 * HOUR, 11 * HOUR, 11 * HOUR];
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, null)), expected);
    assert.deepEqual([0, 3, 6].map((n) => retryDelayMs(n, 300)), [300_000, 300_000, 300_000]);
  });

  const finishedAt = at('2026-04-01T09:00:10Z');
  const hourly = cron('0 * * * *');
  const cases: [string, Parameters<typeof retryAt>[0], { at: string; isRetry: boolean }][] = [
    ['first failure: 10 minutes', { schedule: daily('09:00'), finishedAt, failuresBefore: 0, intervalSeconds: null, nextRegular: at('2026-04-02T09:00:00Z') }, { at: '2026-04-01T09:10:10Z', isRetry: true }],
    ['fifth failure: 11 hours, still before tomorrow', { schedule: daily('09:00'), finishedAt, failuresBefore: 4, intervalSeconds: null, nextRegular: at('2026-04-02T09:00:00Z') }, { at: '2026-04-01T20:00:10Z', isRetry: true }],
    ['capped by the next regular slot', { schedule: hourly, finishedAt, failuresBefore: 1, intervalSeconds: null, nextRegular: at('2026-04-01T10:00:00Z') }, { at: '2026-04-01T10:00:00Z', isRetry: false }],
    ['a fixed interval under the cap', { schedule: hourly, finishedAt, failuresBefore: 5, intervalSeconds: 120, nextRegular: at('2026-04-01T10:00:00Z') }, { at: '2026-04-01T09:02:10Z', isRetry: true }],
    ['a retry landing on the regular slot is the regular run', { schedule: hourly, finishedAt: at('2026-04-01T09:50:00Z'), failuresBefore: 0, intervalSeconds: null, nextRegular: at('2026-04-01T10:00:00Z') }, { at: '2026-04-01T10:00:00Z', isRetry: false }],
    ['capped by the interval', { schedule: { type: 'interval', seconds: 1800 }, finishedAt, failuresBefore: 1, intervalSeconds: null, nextRegular: null }, { at: '2026-04-01T09:30:10Z', isRetry: false }],
    ['an interval task retries sooner than N', { schedule: { type: 'interval', seconds: 1800 }, finishedAt, failuresBefore: 0, intervalSeconds: null, nextRegular: at('2026-04-01T09:30:10Z') }, { at: '2026-04-01T09:10:10Z', isRetry: true }],
    ['manual (a failed runNow): no cap', { schedule: { type: 'manual' }, finishedAt, failuresBefore: 3, intervalSeconds: null, nextRegular: null }, { at: '2026-04-01T15:00:10Z', isRetry: true }],
    ['a regular slot already past: right away', { schedule: hourly, finishedAt, failuresBefore: 0, intervalSeconds: null, nextRegular: at('2026-04-01T09:00:05Z') }, { at: '2026-04-01T09:00:10Z', isRetry: false }],
  ];
  for (const [name, opts, expected] of cases) {
    it(`retryAt: ${name}`, () => {
      const result = retryAt(opts);
      assert.deepEqual({ at: iso(result.at), isRetry: result.isRetry }, expected);
    });
  }
});

describe('nextAfterRun', () => {
  const run = (slot: string, startedAt: string, finishedAt: string) => ({ slot: at(slot), startedAt: at(startedAt), finishedAt: at(finishedAt) });
  const cases: [string, Schedule, ReturnType<typeof run>, string | null][] = [
    ['a short run: the next slot', daily('09:00'), run('2026-04-01T09:00:00Z', '2026-04-01T09:00:00Z', '2026-04-01T09:00:05Z'), '2026-04-02T09:00:00Z'],
    ['a slot came due during a long run: right after it', cron('0 * * * *'), run('2026-04-01T10:00:00Z', '2026-04-01T10:00:01Z', '2026-04-01T11:20:00Z'), '2026-04-01T11:20:00Z'],
    ['several came due: still one run right after', cron('*/15 * * * *'), run('2026-04-01T10:00:00Z', '2026-04-01T10:00:01Z', '2026-04-01T11:20:00Z'), '2026-04-01T11:20:00Z'],
    ['and after that catch-up run, the schedule continues', cron('*/15 * * * *'), run('2026-04-01T11:20:00Z', '2026-04-01T11:20:00Z', '2026-04-01T11:20:30Z'), '2026-04-01T11:30:00Z'],
    ['a slot due at the instant the run ends', cron('0 * * * *'), run('2026-04-01T10:00:00Z', '2026-04-01T10:00:00Z', '2026-04-01T11:00:00Z'), '2026-04-01T11:00:00Z'],
    ['downtime: slots days in the past are skipped, the next future one follows', daily('09:00'), run('2026-03-28T09:00:00Z', '2026-04-01T15:00:00Z', '2026-04-01T15:00:05Z'), '2026-04-02T09:00:00Z'],
    ['downtime, with a slot coming due during the catch-up run', cron('*/5 * * * *'), run('2026-03-28T09:00:00Z', '2026-04-01T15:04:00Z', '2026-04-01T15:06:00Z'), '2026-04-01T15:06:00Z'],
    ['the daily slot in its own zone', daily('08:00', 'Asia/Shanghai'), run('2026-04-01T00:00:00Z', '2026-04-01T00:00:00Z', '2026-04-01T00:01:00Z'), '2026-04-02T00:00:00Z'],
    ['interval: N after the end of the run', { type: 'interval', seconds: 600 }, run('2026-04-01T10:00:00Z', '2026-04-01T10:00:02Z', '2026-04-01T10:03:00Z'), '2026-04-01T10:13:00Z'],
    ['manual: none', { type: 'manual' }, run('2026-04-01T10:00:00Z', '2026-04-01T10:00:00Z', '2026-04-01T10:01:00Z'), null],
  ];
  for (const [name, schedule, r, expected] of cases) {
    it(name, () => assert.equal(iso(nextAfterRun(schedule, 'UTC', r)), expected));
  }
});
