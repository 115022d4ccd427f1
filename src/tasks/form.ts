// The task form's schedule, random delay and retry fields, as form text → API-shaped input.
// Minutes in the form where people think in minutes; seconds in the API, as SEMANTICS.md says.

type Body = Record<string, unknown>;
const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** A number typed in the form, or the text itself so the schema names the field as not a number. */
function numberOrText(v: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}

export function scheduleFromForm(body: Body): Record<string, unknown> {
  const type = text(body.scheduleType) || 'manual';
  const timezone = text(body.timezone) || undefined;
  switch (type) {
    case 'daily':
      return { type, time: text(body.dailyTime), ...(timezone ? { timezone } : {}) };
    case 'cron':
      return { type, expression: text(body.cronExpression), ...(timezone ? { timezone } : {}) };
    case 'interval': {
      const minutes = numberOrText(text(body.intervalMinutes));
      return { type, seconds: typeof minutes === 'number' ? Math.round(minutes * 60) : minutes };
    }
    default:
      return { type };
  }
}

export function randomDelayFromForm(body: Body): Record<string, unknown> | null {
  const min = text(body.delayMinMinutes);
  const max = text(body.delayMaxMinutes);
  if (!min && !max) return null;
  const seconds = (v: string) => {
    const n = numberOrText(v || '0');
    return typeof n === 'number' ? Math.round(n * 60) : n;
  };
  return { min: seconds(min), max: seconds(max || min) };
}

export function retryFromForm(body: Body): Record<string, unknown> {
  const count = text(body.retryCount);
  const interval = text(body.retryIntervalMinutes);
  const minutes = interval ? numberOrText(interval) : null;
  return {
    count: count === '' ? 8 : numberOrText(count),
    intervalSeconds: minutes === null ? null : typeof minutes === 'number' ? Math.round(minutes * 60) : minutes,
  };
}

/** Form values of a saved task, for editing. */
export function scheduleFormValues(task: {
  schedule: { type: string; time?: string; expression?: string; seconds?: number; timezone?: string };
  randomDelay: { min: number; max: number } | null;
  retry: { count: number; intervalSeconds: number | null };
}): Record<string, string> {
  const s = task.schedule;
  return {
    scheduleType: s.type,
    dailyTime: s.type === 'daily' ? (s.time ?? '') : '',
    cronExpression: s.type === 'cron' ? (s.expression ?? '') : '',
    intervalMinutes: s.type === 'interval' && s.seconds ? String(s.seconds / 60) : '',
    timezone: s.timezone ?? '',
    delayMinMinutes: task.randomDelay ? String(task.randomDelay.min / 60) : '',
    delayMaxMinutes: task.randomDelay ? String(task.randomDelay.max / 60) : '',
    retryCount: String(task.retry.count),
    retryIntervalMinutes: task.retry.intervalSeconds === null ? '' : String(task.retry.intervalSeconds / 60),
  };
}

/** Field errors of the API shape (schedule.time) under the form's names (dailyTime). */
export const FORM_FIELD_OF: Record<string, string> = {
  'schedule.type': 'scheduleType',
  'schedule.time': 'dailyTime',
  'schedule.expression': 'cronExpression',
  'schedule.seconds': 'intervalMinutes',
  'schedule.timezone': 'timezone',
  'randomDelay.min': 'delayMinMinutes',
  'randomDelay.max': 'delayMaxMinutes',
  'retry.count': 'retryCount',
  'retry.intervalSeconds': 'retryIntervalMinutes',
};
