// The periodic digest's content (SEMANTICS §5): every finished run of the user's push-enabled tasks in
// (windowStart, windowEnd], grouped by task with its success and failure counts and its latest runs,
// and the enabled push-enabled tasks that did not run. Counts come from one GROUP BY and only the few
// latest runs per task are read (a task running every minute has 1,440 runs a day), both on the
// task_runs (user_id, finished_at) index. Rendered as plain text cut to a channel's limit by whole
// tasks, as an HTML table for email, and as data for the webhook (CHANNELS.md `webhook`).
import type { Knex } from 'knex';
import { escapeUTF8 } from 'entities';
import { translator, type Language, type Translate } from '../lib/i18n.js';
import type { RunStatus, RunTrigger } from '../runs/repo.js';
import { timeFormatter } from '../web/render.js';

/** Runs listed per task; the rest are counted ("… and 12 more runs"). */
export const RUNS_PER_TASK = 10;
/** A run's log message is cut to this many characters in the digest. */
const LOG_CHARS = 200;

export type DigestRun = { id: number; status: RunStatus; trigger: RunTrigger; finishedAt: number; log: string | null };

export type DigestTask = {
  id: number;
  name: string;
  successes: number;
  failures: number;
  /** The latest runs of the window, newest first (at most RUNS_PER_TASK); empty: it did not run. */
  runs: DigestRun[];
};

export type DigestData = {
  windowStart: string;
  windowEnd: string;
  tasks: { id: number; name: string; successes: number; failures: number; runs: { id: number; status: string; trigger: string; finishedAt: string; log: string | null }[] }[];
};

export type Digest = {
  windowStart: number;
  windowEnd: number;
  /** Tasks with failures first, then the others that ran, then those that did not run; by name within each. */
  tasks: DigestTask[];
  successes: number;
  failures: number;
  title: string;
  /** The plain-text body, cut by whole tasks so that it and the title fit `maxText` (see `measure`). */
  text(maxText: number): string;
  /** The email's HTML part: a table of the tasks, every value escaped. */
  html: string;
  data: DigestData;
};

export type DigestInput = {
  userId: number;
  windowStart: number;
  windowEnd: number;
  language: Language;
  zone: string;
  /** BASE_URL: the HTML links each task to its page. */
  baseUrl?: string;
  runsPerTask?: number;
};

type TaskRow = { id: number | string; name: string; enabled: number | boolean; push: string };
type CountRow = { task_id: number | string; status: string; n: number | string };
type RunRow = { id: number | string; task_id: number | string; status: string; trigger: string; finished_at: number | string; log: string | null; error: string | null };

function pushEnabled(push: string): boolean {
  try {
    return (JSON.parse(push) as { enabled?: unknown }).enabled !== false;
  } catch {
    return true; // the tasks schema defaults push to on
  }
}

/** The digest of one window, or null when there is nothing to say: no runs and no enabled push-enabled tasks. */
export async function buildDigest(knex: Knex, input: DigestInput): Promise<Digest | null> {
  const { userId, windowStart, windowEnd } = input;
  const taskRows = (await knex('tasks').select('id', 'name', 'enabled', 'push').where({ user_id: userId })) as TaskRow[];
  const pushTasks = new Map(taskRows.filter((r) => pushEnabled(r.push)).map((r) => [Number(r.id), r]));
  if (pushTasks.size === 0) return null;

  const inWindow = (q: Knex.QueryBuilder) => q.where('user_id', userId).andWhere('finished_at', '>', windowStart).andWhere('finished_at', '<=', windowEnd);
  const counts = (await inWindow(knex('task_runs').select('task_id', 'status').count({ n: '*' })).groupBy('task_id', 'status')) as CountRow[];
  // The latest runs per task: their ids first (ranked on the index), then those rows by primary key, so
  // no plan ever reads the logs of every run in the window.
  const ranked = inWindow(
    knex('task_runs').select('id', knex.raw('row_number() over (partition by ?? order by ?? desc, ?? desc) as ??', ['task_id', 'finished_at', 'id', 'rn'])),
  ).as('ranked');
  const latestIds = ((await knex.from(ranked).where('rn', '<=', input.runsPerTask ?? RUNS_PER_TASK).pluck('id')) as (number | string)[]).map(Number);
  const runRows: RunRow[] = [];
  for (let i = 0; i < latestIds.length; i += 500) {
    const chunk = latestIds.slice(i, i + 500);
    runRows.push(...((await knex('task_runs').select('id', 'task_id', 'status', 'trigger', 'finished_at', 'log', 'error').whereIn('id', chunk)) as RunRow[]));
  }

  const byTask = new Map<number, DigestTask>();
  const entry = (taskId: number) => {
    let task = byTask.get(taskId);
    if (!task) byTask.set(taskId, (task = { id: taskId, name: pushTasks.get(taskId)!.name, successes: 0, failures: 0, runs: [] }));
    return task;
  };
  for (const row of counts) {
    const taskId = Number(row.task_id);
    if (!pushTasks.has(taskId)) continue;
    // A lost run (its process died) is a failure, as it is for the task's streak.
    if (row.status === 'success') entry(taskId).successes += Number(row.n);
    else entry(taskId).failures += Number(row.n);
  }
  for (const row of runRows) {
    const taskId = Number(row.task_id);
    if (!pushTasks.has(taskId)) continue;
    entry(taskId).runs.push({
      id: Number(row.id),
      status: row.status as RunStatus,
      trigger: row.trigger as RunTrigger,
      finishedAt: Number(row.finished_at),
      // A failure's error says what went wrong; its log (when the template makes one) comes first.
      log: oneLine([row.log, row.status === 'success' ? null : row.error].filter(Boolean).join(' — ')),
    });
  }
  for (const task of byTask.values()) task.runs.sort((a, b) => b.finishedAt - a.finishedAt || b.id - a.id);
  const idle = [...pushTasks.values()]
    .filter((r) => Boolean(Number(r.enabled)) && !byTask.has(Number(r.id)))
    .map((r): DigestTask => ({ id: Number(r.id), name: r.name, successes: 0, failures: 0, runs: [] }));
  if (byTask.size === 0 && idle.length === 0) return null;

  // Failing tasks first: when a channel's limit cuts the list, what needs looking at stays in it.
  const byName = (a: DigestTask, b: DigestTask) => a.name.localeCompare(b.name) || a.id - b.id;
  const ran = [...byTask.values()];
  const tasks = [...ran.filter((t) => t.failures > 0).sort(byName), ...ran.filter((t) => t.failures === 0).sort(byName), ...idle.sort(byName)];
  return renderDigest({ ...input, tasks });
}

function oneLine(text: string): string | null {
  const line = text.replace(/\s+/g, ' ').trim();
  if (!line) return null;
  const chars = [...line];
  return chars.length <= LOG_CHARS ? line : `${chars.slice(0, LOG_CHARS - 1).join('')}…`;
}

/**
 * How much of a channel's limit a text uses. Limits are UTF-8 bytes for some channels (WeCom,
 * DingTalk, ntfy) and characters for others; bytes are never fewer. Markdown channels (ntfy, PushPlus
 * markdown) turn each newline into "  \n", so a newline counts three.
 */
export function measure(text: string): number {
  let newlines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) newlines++;
  return Buffer.byteLength(text) + 2 * newlines;
}

/** Cuts `text` to `budget` (as `measure` counts), ending with "…". */
function cutTo(text: string, budget: number): string {
  if (measure(text) <= budget) return text;
  let out = '';
  let used = measure('…');
  for (const ch of text) {
    const size = measure(ch);
    if (used + size > budget) break;
    out += ch;
    used += size;
  }
  return `${out}…`;
}

type RenderInput = DigestInput & { tasks: DigestTask[] };

function renderDigest(input: RenderInput): Digest {
  const { tasks, windowStart, windowEnd, zone, language } = input;
  const t: Translate = translator(language);
  const time = timeFormatter(language, zone);
  const short = new Intl.DateTimeFormat(language, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone });
  const successes = tasks.reduce((n, task) => n + task.successes, 0);
  const failures = tasks.reduce((n, task) => n + task.failures, 0);
  const title = t('push.digest_message.title', { successes, failures, from: short.format(windowStart), to: short.format(windowEnd) });
  const windowLine = t('push.digest_message.window', { from: time(windowStart), to: time(windowEnd), zone });
  const status = (s: RunStatus) => ({ success: t('runs.status_success'), failure: t('runs.status_failure'), lost: t('runs.status_lost'), running: t('runs.status_running') })[s] ?? s;
  const trigger = (s: RunTrigger) => ({ manual: t('runs.trigger_manual'), auto: t('runs.trigger_auto'), retry: t('runs.trigger_retry') })[s] ?? s;

  const header = (task: DigestTask) =>
    task.successes + task.failures === 0
      ? t('push.digest_message.did_not_run', { name: task.name })
      : t('push.digest_message.task_counts', { name: task.name, successes: task.successes, failures: task.failures });
  const fullBlock = (task: DigestTask) => {
    const lines = [header(task)];
    for (const run of task.runs) lines.push(`  ${[time(run.finishedAt), trigger(run.trigger), status(run.status), run.log].filter(Boolean).join(' · ')}`);
    const more = task.successes + task.failures - task.runs.length;
    if (more > 0) lines.push(`  ${t('push.digest_message.more_runs', { count: more })}`);
    return lines.join('\n');
  };
  const moreTasks = (count: number) => t('push.digest_message.more_tasks', { count });

  /**
   * As many tasks as fit with their counts alone (the rest counted in "… and N more tasks"), then, in
   * order, each of them with its runs where that still fits. `measure` adds up over concatenation,
   * so sizes are summed rather than texts rebuilt.
   */
  function text(maxText: number): string {
    // Channels without a title of their own send "title\n\nbody".
    const budget = maxText - measure(`${title}\n\n`);
    const gap = measure('\n\n');
    const tail = (shown: number) => (shown < tasks.length ? gap + measure(moreTasks(tasks.length - shown)) : 0);
    const compact = tasks.map(header);
    let used = measure(windowLine);
    let shown = 0;
    while (shown < tasks.length && used + gap + measure(compact[shown]!) + tail(shown + 1) <= budget) used += gap + measure(compact[shown++]!);
    const parts = compact.slice(0, shown);
    for (let i = 0; i < shown; i++) {
      const full = fullBlock(tasks[i]!);
      const extra = measure(full) - measure(parts[i]!);
      if (used + extra + tail(shown) > budget) continue;
      parts[i] = full;
      used += extra;
    }
    if (shown < tasks.length) parts.push(moreTasks(tasks.length - shown));
    const out = [windowLine, ...parts].join('\n\n');
    return budget > 0 ? cutTo(out, budget) : '';
  }

  return {
    windowStart,
    windowEnd,
    tasks,
    successes,
    failures,
    title,
    text,
    html: renderHtml(input, t, windowLine),
    data: {
      windowStart: new Date(windowStart).toISOString(),
      windowEnd: new Date(windowEnd).toISOString(),
      tasks: tasks.map((task) => ({
        id: task.id,
        name: task.name,
        successes: task.successes,
        failures: task.failures,
        runs: task.runs.map((run) => ({ id: run.id, status: run.status, trigger: run.trigger, finishedAt: new Date(run.finishedAt).toISOString(), log: run.log })),
      })),
    },
  };
}

const CELL = 'style="padding: 4px 8px; border: 1px solid #ddd; text-align: left; vertical-align: top"';
const NUMBER = 'style="padding: 4px 8px; border: 1px solid #ddd; text-align: right; vertical-align: top"';

/** The email's HTML: every value goes through escapeUTF8 here, never through i18next interpolation. */
function renderHtml(input: RenderInput, t: Translate, windowLine: string): string {
  const e = (value: string | number) => escapeUTF8(String(value));
  const base = input.baseUrl?.replace(/\/+$/, '');
  const rows = input.tasks.map((task) => {
    const name = base ? `<a href="${e(`${base}/tasks/${task.id}`)}">${e(task.name)}</a>` : e(task.name);
    if (task.successes + task.failures === 0) return `<tr><td ${CELL}>${name}</td><td ${CELL} colspan="3">${e(t('push.digest_message.not_run'))}</td></tr>`;
    const failures = task.failures > 0 ? `<strong style="color: #b00020">${task.failures}</strong>` : '0';
    return `<tr><td ${CELL}>${name}</td><td ${NUMBER}>${task.successes}</td><td ${NUMBER}>${failures}</td><td ${CELL}>${e(task.runs[0]?.log ?? '')}</td></tr>`;
  });
  const th = (key: 'column_task' | 'column_successes' | 'column_failures' | 'column_last_log') => `<th ${CELL}>${e(t(`push.digest_message.${key}`))}</th>`;
  return [
    '<div style="font-family: sans-serif; line-height: 1.5">',
    `<h2 style="margin: 0 0 4px">${e(t('push.digest_message.heading'))}</h2>`,
    `<p style="margin: 0 0 12px; color: #555">${e(windowLine)}</p>`,
    '<table style="border-collapse: collapse">',
    `<thead><tr>${th('column_task')}${th('column_successes')}${th('column_failures')}${th('column_last_log')}</tr></thead>`,
    '<tbody>',
    ...rows,
    '</tbody>',
    '</table>',
    '</div>',
    '',
  ].join('\n');
}
