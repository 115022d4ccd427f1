// The dashboard's rows, worked out once per request in plain TypeScript so that views/tasks/list.ejs
// is a loop that prints strings. Why: with 50 rows, per-row t() calls (i18next resolves the key and
// interpolates every time) and per-row include()s (EJS resolves the file on disk and copies all
// locals for each one) were most of the page's server time. Here every fixed label is translated
// once per page, texts with a name or a number in them are translated once and filled in per row,
// and the few texts that vary per row (schedules) are translated once per distinct value.
import type { Translate } from '../lib/i18n.js';
import type { ChartRunRow, Run } from '../runs/repo.js';
import { sparkline } from '../web/charts.js';
import type { Task } from './repo.js';

export const SPARK_RUNS = 30;

/** A translated text whose parameters are filled in later, many times, without calling t() again. */
export type Phrase = (values: Record<string, string | number>) => string;

/**
 * t(key) once with placeholders, then a join per use. Not for texts with plural forms (a `count`
 * that picks _one/_other): the form is chosen when t() runs, so call t() per row for those.
 */
export function phrase(t: Translate, key: string, names: readonly string[]): Phrase {
  const marks = Object.fromEntries(names.map((name, i) => [name, `\u0000${i}\u0000`]));
  const parts = t(key, marks).split(/\u0000(\d+)\u0000/);
  return (values) => parts.map((part, i) => (i % 2 === 0 ? part : String(values[names[Number(part)]!] ?? ''))).join('');
}

/** The fixed texts of the dashboard, translated once per page. */
export function dashboardLabels(t: Translate) {
  return {
    select: t('tasks.select'),
    name: t('fields.name'),
    schedule: t('tasks.schedule'),
    nextRun: t('tasks.next_run'),
    lastRun: t('tasks.last_run'),
    history: t('ui.chart.history_column'),
    actions: t('tokens.actions'),
    running: t('runs.status_running'),
    neverRun: t('tasks.never_run'),
    enable: t('tasks.enable'),
    disable: t('tasks.disable'),
    runNow: t('tasks.run_now'),
    pushOff: t('tasks.push_panel.badge_off'),
    disabled: t('status.disabled'),
  };
}
export type DashboardLabels = ReturnType<typeof dashboardLabels>;

/** An instant as views/partials/time.ejs shows it: relative, with the absolute time on hover. */
export type TimeText = { iso: string; absolute: string; relative: string };

export type DashboardRow = {
  task: Task;
  selectLabel: string;
  /** Why it is disabled, or its failure streak: a line under the name. */
  problem?: string;
  schedule: { text: string; code?: string; notes: string[] };
  next: TimeText | 'running' | undefined;
  last?: { id: number; status: Run['status']; mark: string; text: string; at: TimeText };
  chart?: { svg: string; rate: string; failing: boolean };
};

type Formatters = { formatTime: (ms: number) => string; relativeTime: (ms: number) => string };

const MARKS: Record<string, string> = { success: '✓', running: '…' };

/** Schedules in words, each distinct schedule translated once (a page of 50 tasks has a handful). */
function scheduleTexts(t: Translate) {
  const cache = new Map<string, DashboardRow['schedule']>();
  const minutes = (seconds: number) => Math.round(seconds / 6) / 10;
  return (task: Task): DashboardRow['schedule'] => {
    const s = task.schedule as { type: string; time?: string; expression?: string; seconds?: number; timezone?: string };
    const delay = task.randomDelay;
    const key = JSON.stringify([s, delay]);
    let text = cache.get(key);
    if (!text) {
      const notes: string[] = [];
      if (s.timezone) notes.push(`(${s.timezone})`);
      if (delay) notes.push(t('tasks.with_delay', { min: minutes(delay.min), max: minutes(delay.max) }));
      if (s.type === 'daily') text = { text: t('tasks.schedule_daily', { time: s.time }), notes };
      else if (s.type === 'cron') text = { text: t('tasks.schedule_cron'), code: s.expression, notes };
      else if (s.type === 'interval') text = { text: t('tasks.schedule_interval', { minutes: minutes(s.seconds ?? 0) }), notes };
      else text = { text: t('tasks.schedule_manual'), notes };
      cache.set(key, text);
    }
    return text;
  };
}

/** The dashboard's rows for one page of tasks; `charts` is empty when the page has no charts. */
export function dashboardRows(t: Translate, time: Formatters, items: Task[], lastRuns: Map<number, Run>, charts: Map<number, DashboardRow['chart']>): DashboardRow[] {
  const at = (ms: number): TimeText => ({ iso: new Date(ms).toISOString(), absolute: time.formatTime(ms), relative: time.relativeTime(ms) });
  const selectLabel = phrase(t, 'tasks.select_named', ['name']);
  const statusText = new Map<string, string>();
  const statusOf = (status: string) => statusText.get(status) ?? statusText.set(status, t('runs.status_' + status)).get(status)!;
  const schedule = scheduleTexts(t);
  return items.map((task) => {
    const run = task.lastRunId ? lastRuns.get(task.lastRunId) : undefined;
    let problem: string | undefined;
    if (!task.enabled && task.disabledReason) {
      problem = task.disabledBy === 'failures' ? t('tasks.disabled_failures', { count: task.consecutiveFailures, error: task.disabledReason }) : task.disabledReason;
    } else if (task.enabled && task.consecutiveFailures > 0) {
      problem = task.nextTrigger === 'retry' && task.nextRunAt ? t('tasks.streak_retrying', { count: task.consecutiveFailures, time: time.formatTime(task.nextRunAt) }) : t('tasks.streak', { count: task.consecutiveFailures });
    }
    return {
      task,
      selectLabel: selectLabel({ name: task.name }),
      problem,
      schedule: schedule(task),
      next: task.runningSince ? 'running' : task.nextRunAt ? at(task.nextRunAt) : undefined,
      last: run && { id: run.id, status: run.status, mark: MARKS[run.status] ?? '✕', text: statusOf(run.status), at: at(run.finishedAt ?? run.startedAt) },
      chart: charts.get(task.id),
    };
  });
}

/** Each task's sparkline (last 30 runs) and its 7-day success rate in words. No tooltip per run: 1,500 formatted dates cost more than the rest of the page. */
export function taskCharts(t: Translate, items: Task[], recent: ChartRunRow[], week: Map<number, { success: number; failure: number }>): Map<number, DashboardRow['chart']> {
  const byTask = new Map<number, ChartRunRow[]>();
  for (const run of recent) {
    const list = byTask.get(run.taskId);
    if (list) list.push(run);
    else byTask.set(run.taskId, [run]);
  }
  const summary = phrase(t, 'ui.chart.spark_summary', ['count', 'success', 'failure', 'last']);
  const rate = phrase(t, 'ui.dashboard.rate_7d', ['percent', 'success', 'total']);
  const noRuns = t('ui.chart.no_runs');
  const noRate = t('ui.dashboard.rate_7d_none');
  const statusText = new Map<string, string>();
  const statusOf = (status: string) => statusText.get(status) ?? statusText.set(status, t('runs.status_' + status)).get(status)!;
  return new Map(
    items.map((task) => {
      const runs = (byTask.get(task.id) ?? []).sort((a, b) => a.id - b.id);
      let success = 0;
      let failed = 0;
      for (const r of runs) {
        if (r.status === 'success') success++;
        else if (r.status === 'failure' || r.status === 'lost') failed++;
      }
      const last = runs.at(-1);
      const text = last ? summary({ count: runs.length, success, failure: failed, last: statusOf(last.status) }) : noRuns;
      const w = week.get(task.id);
      const total = w ? w.success + w.failure : 0;
      return [
        task.id,
        {
          svg: runs.length ? sparkline(runs.map((r) => ({ status: r.status, durationMs: r.durationMs, label: '' })), { summary: text, slots: SPARK_RUNS }) : '',
          rate: total ? rate({ percent: Math.floor((w!.success / total) * 100), success: w!.success, total }) : noRate,
          failing: total > 0 && w!.failure > 0,
        },
      ];
    }),
  );
}
