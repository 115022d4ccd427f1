// Cron expressions (SEMANTICS.md §2): checked here with reasons a user can act on, then handed to
// croner for the calendar math. We accept classic cron only: numbers, names, `*`, ranges, lists and
// `*/n` or `a-b/n` steps. croner's extensions (L, W, #, `?`, @nicknames, a year field) are refused
// so every accepted expression means the same thing here as in crontab(5); `?` in particular reads
// as Sunday=1 Quartz syntax to the people who type it.
import { Cron } from 'croner';

type FieldSpec = { name: string; min: number; max: number; names?: readonly string[]; hint: string };

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59, hint: '0-59' };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59, hint: '0-59' };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23, hint: '0-23' };
const DAY: FieldSpec = { name: 'day', min: 1, max: 31, hint: '1-31' };
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, names: MONTH_NAMES, hint: '1-12 or JAN-DEC' };
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
const WEEKDAY: FieldSpec = { name: 'weekday', min: 0, max: 7, names: WEEKDAY_NAMES, hint: '0-7 or SUN-SAT' };

// The longest each month can be (February in a leap year), to refuse "30 2" and "31 4,6".
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

type Parsed = { values: Set<number>; star: boolean };

class CronSyntaxError extends Error {}

/** One value: digits, or (month, weekday) a three-letter name. `rangeEnd`: SUN closing a range is 7, so FRI-SUN works. */
function parseValue(text: string, spec: FieldSpec, rangeEnd: boolean): number {
  const fail = () => new CronSyntaxError(`the ${spec.name} field must be ${spec.hint}`);
  let value: number;
  if (/^\d+$/.test(text)) value = Number(text);
  else {
    const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
    if (index < 0) throw fail();
    value = spec === MONTH ? index + 1 : index === 0 && rangeEnd ? 7 : index;
  }
  if (value < spec.min || value > spec.max) throw fail();
  return value;
}

function parseField(text: string, spec: FieldSpec): Parsed {
  if (text.includes('?')) throw new CronSyntaxError(`the ${spec.name} field uses ?, which is not supported: use *`);
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new CronSyntaxError(`the ${spec.name} field has an empty list item`);
    const [base = '', step, extra] = item.split('/');
    if (extra !== undefined) throw new CronSyntaxError(`the ${spec.name} field must be ${spec.hint}`);
    let low: number;
    let high: number;
    if (base === '*') {
      low = spec.min;
      high = spec === WEEKDAY ? 6 : spec.max;
    } else if (base.includes('-')) {
      const [from = '', to = '', more] = base.split('-');
      if (more !== undefined) throw new CronSyntaxError(`the ${spec.name} field must be ${spec.hint}`);
      low = parseValue(from, spec, false);
      // SUN closing a range is 7 (FRI-SUN), except in SUN-SUN.
      high = parseValue(to, spec, low > 0);
      if (low > high) throw new CronSyntaxError(`the ${spec.name} range ${base} goes backwards`);
    } else {
      if (step !== undefined) throw new CronSyntaxError(`the ${spec.name} field needs * or a range before a step (*/${step} or a-b/${step})`);
      low = high = parseValue(base, spec, false);
    }
    let stride = 1;
    if (step !== undefined) {
      stride = /^\d+$/.test(step) ? Number(step) : 0;
      if (stride < 1 || stride > spec.max) throw new CronSyntaxError(`the ${spec.name} step must be 1-${spec.max}`);
    }
    // Weekday 7 is Sunday, like 0.
    for (let v = low; v <= high; v += stride) values.add(spec === WEEKDAY && v === 7 ? 0 : v);
  }
  return { values, star: text === '*' };
}

type Checked = { pattern: string } | { problem: string };

function check(expression: string): Checked {
  const fields = expression.trim().split(/\s+/).filter((f) => f !== '');
  if (fields.length === 5) fields.unshift('0');
  if (fields.length !== 6) {
    return { problem: 'a cron expression has 5 fields (minute hour day month weekday), or 6 with seconds first' };
  }
  const specs = [SECOND, MINUTE, HOUR, DAY, MONTH, WEEKDAY];
  let parsed: Parsed[];
  try {
    parsed = fields.map((field, i) => parseField(field, specs[i]!));
  } catch (err) {
    if (err instanceof CronSyntaxError) return { problem: err.message };
    throw err;
  }
  const [, , , day, month, weekday] = parsed as [Parsed, Parsed, Parsed, Parsed, Parsed, Parsed];
  // With a weekday restricted too, the weekday alone can match (OR), so only a lone day-of-month
  // can be impossible: "0 0 30 2 *" would never run.
  if (weekday.star && ![...month.values].some((m) => [...day.values].some((d) => d <= MONTH_DAYS[m - 1]!))) {
    return { problem: 'none of the chosen days exists in the chosen months' };
  }
  // croner gets the values we parsed, spelled out, so it computes exactly what we checked (names,
  // 7 for Sunday and steps are already resolved). A literal `*` stays `*`: that is what tells
  // croner a day field is unrestricted.
  return { pattern: parsed.map((p) => (p.star ? '*' : [...p.values].sort((a, b) => a - b).join(','))).join(' ') };
}

/** Undefined when `expression` is a valid 5-field or 6-field (leading seconds) cron expression; else a short English reason. */
export function cronProblem(expression: string): string | undefined {
  const checked = check(expression);
  if ('problem' in checked) return checked.problem;
  try {
    compile(checked.pattern);
  } catch (err) {
    // Our checks are meant to be stricter than croner's; if croner still refuses, say what it said.
    return err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err);
  }
  return undefined;
}

/**
 * A croner job (never started: no function, so no timer) matching the expression in "floating"
 * local time: wall-clock readings stored as if they were UTC. The time zone and DST are applied
 * afterwards by schedule-zone.ts, because croner's own DST handling depends on the expression's
 * shape (it runs `30 1 * * *` once on a fall-back night but `30 * * * *` twice, and skips
 * `30 2,14 * * *` on a spring-forward night), while SEMANTICS §2 has one rule for every schedule.
 */
function compile(sixFields: string): Cron {
  // domAndDow: false is croner 10+'s name for Vixie's rule (legacyMode: true before): day-of-month
  // and weekday are ORed when both are restricted; a literal `*` in either leaves only the other.
  return new Cron(sixFields, { utcOffset: 0, domAndDow: false, mode: '6-part' });
}

type Matcher = (afterLocal: number) => number | null;

// Every finished run of a cron or daily task asks for its next slot, and checking and compiling an
// expression costs more than the search itself, so matchers are kept by expression. A never-started
// croner job has no state that nextRun changes, so one job can answer for every task. Bounded: when
// full, the oldest entry goes.
const MAX_CACHED_MATCHERS = 1000;
const matchers = new Map<string, Matcher>();

/** A matcher for a valid expression; throws RangeError with the reason for an invalid one. */
export function cronMatcher(expression: string): Matcher {
  let matcher = matchers.get(expression);
  if (!matcher) {
    const checked = check(expression);
    if ('problem' in checked) throw new RangeError(`invalid cron expression "${expression}": ${checked.problem}`);
    const job = compile(checked.pattern);
    // The first matching wall-clock reading strictly after `afterLocal` (floating ms), whole seconds.
    matcher = (afterLocal) => job.nextRun(new Date(afterLocal))?.getTime() ?? null;
    if (matchers.size >= MAX_CACHED_MATCHERS) matchers.delete(matchers.keys().next().value!);
    matchers.set(expression, matcher);
  }
  return matcher;
}
