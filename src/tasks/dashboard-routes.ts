// The dashboard (/tasks): every task with its next run, last run and streak; filters by group and
// status; bulk enable, disable, push on/off, delete (after a confirmation) and "set schedule".
import { Router, type Request } from 'express';
import { AppError } from '../lib/errors.js';
import { flash } from '../web/flash.js';
import { relativeTimeOf, renderPage, requestNow } from '../web/render.js';
import { formatDuration, type ChartRun } from '../web/charts.js';
import type { Translate } from '../lib/i18n.js';
import type { ChartRunRow, RunChartQueries } from '../runs/repo.js';
import type { DashboardQueries, SetupProgress } from './repo.js';
import { SPARK_RUNS, dashboardLabels, dashboardRows, taskCharts } from './dashboard-rows.js';
import { requirePageUser } from '../accounts/auth-middleware.js';
import type { RunsService } from '../runs/service.js';
import { scheduleSchema } from './schema.js';
import { scheduleFromForm } from './form.js';
import { TASKS_PAGE_SIZE, type TasksService } from './service.js';
import type { User } from '../accounts/users-repo.js';

declare module 'express-session' {
  interface SessionData {
    /** The first-run checklist: dismissed by the user, or complete (then it is not asked for again). */
    setupChecklist?: 'dismissed' | 'done';
  }
}

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

const STATUSES = ['enabled', 'disabled', 'failing'] as const;
type Status = (typeof STATUSES)[number];

function filtersOf(q: Request['query']) {
  const group = typeof q.group === 'string' && q.group !== '*' ? q.group.slice(0, 100) : undefined;
  const status = STATUSES.includes(q.status as Status) ? (q.status as Status) : undefined;
  const page = Math.max(1, Number.parseInt(String(q.page ?? '1'), 10) || 1);
  return { group, status, page };
}

function idsOf(body: Record<string, unknown>): number[] {
  return [body.ids ?? []].flat().map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
}

/** A run as a bar of a chart, with its tooltip: "#12 · Failed · 1.2 s · Nov 21, 2026, 8:00 AM". */
export function chartRun(t: Translate, formatTime: (ms: number) => string, run: Pick<ChartRunRow, 'id' | 'status' | 'startedAt' | 'durationMs'>): ChartRun {
  const parts = [`#${run.id}`, t('runs.status_' + run.status), run.durationMs === null ? '' : formatDuration(run.durationMs), formatTime(run.startedAt)];
  return { status: run.status, durationMs: run.durationMs, label: parts.filter(Boolean).join(' · ') };
}

/**
 * `charts`: the runs for the sparklines and success rates; `setup`: the first-run checklist. Both
 * optional: without them the page shows neither.
 */
export function dashboardRoutes({ tasks, runs, charts, setup }: { tasks: TasksService; runs: RunsService; charts?: RunChartQueries; setup?: DashboardQueries }) {
  const router = Router();

  /** The checklist while it is neither dismissed nor complete; once complete it is not read again. */
  async function checklist(req: Request): Promise<SetupProgress | undefined> {
    if (!setup || req.session.setupChecklist) return undefined;
    const progress = await setup.setupProgress(req.user!.id);
    if (Object.values(progress).every(Boolean)) {
      req.session.setupChecklist = 'done';
      return undefined;
    }
    return progress;
  }

  /**
   * Push on or off for the user's tasks among `ids`, each keeping its override. An override that no
   * longer passes (it names a registration since deleted) is left alone and reported by name.
   */
  async function setPush(user: User, ids: number[], enabled: boolean): Promise<{ done: number; refused: string[] }> {
    let done = 0;
    const refused: string[] = [];
    for (const id of [...new Set(ids)].slice(0, 500)) {
      const task = await tasks.owned(user, id).catch(() => undefined);
      if (!task) continue;
      try {
        await tasks.update(user, id, { push: { ...task.push, enabled } });
        done++;
      } catch (err) {
        if (!(err instanceof AppError) || err.status !== 400) throw err;
        refused.push(task.name);
      }
    }
    return { done, refused };
  }
  router.use('/tasks', requirePageUser);

  router.get('/tasks', async (req, res) => {
    const filters = filtersOf(req.query);
    const user = req.user!;
    const [{ items, total }, groups, progress] = await Promise.all([tasks.page(user, filters), tasks.groups(user), checklist(req)]);
    const ids = items.map((t) => t.id);
    const [last, recent, week] = await Promise.all([
      runs.lastRuns(items.flatMap((t) => (t.lastRunId ? [t.lastRunId] : []))),
      charts ? charts.recentForTasks(user.id, ids, SPARK_RUNS) : [],
      charts ? charts.outcomesSince(user.id, ids, requestNow(res) - WEEK_MS) : new Map<number, { success: number; failure: number }>(),
    ]);
    const lastRuns = new Map(last.map((r) => [r.id, r]));
    const time = { formatTime: res.locals.formatTime as (ms: number) => string, relativeTime: relativeTimeOf(req, res) };
    const query = new URLSearchParams(Object.entries({ group: filters.group ?? '', status: filters.status ?? '' }).filter(([, v]) => v !== '')).toString();
    await renderPage(req, res, 'tasks/list', {
      title: req.t('tasks.title'),
      rows: dashboardRows(req.t, time, items, lastRuns, charts ? taskCharts(req.t, items, recent, week) : new Map()),
      labels: dashboardLabels(req.t),
      progress,
      groups,
      filters,
      total,
      pages: Math.max(1, Math.ceil(total / TASKS_PAGE_SIZE)),
      query,
      back: req.originalUrl,
    });
  });

  router.post('/tasks/checklist/dismiss', (req, res) => {
    req.session.setupChecklist = 'dismissed';
    flash(req, 'success', 'ui.checklist.dismissed');
    res.redirect(303, '/tasks');
  });

  router.post('/tasks/bulk', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const ids = idsOf(body);
    const back = typeof body.back === 'string' && body.back.startsWith('/tasks') ? body.back : '/tasks';
    if (ids.length === 0) {
      flash(req, 'error', 'tasks.bulk_none');
      return res.redirect(303, back);
    }
    const action = String(body.action ?? '');
    if (action === 'delete' && body.confirm !== 'yes') {
      const chosen = (await Promise.all(ids.map((id) => tasks.owned(req.user!, id).catch(() => undefined)))).filter((t) => t !== undefined);
      return renderPage(req, res, 'tasks/bulk-delete', { title: req.t('tasks.bulk_delete_title'), chosen, back });
    }
    if (action === 'push_on' || action === 'push_off') {
      const { done, refused } = await setPush(req.user!, ids, action === 'push_on');
      flash(req, 'success', action === 'push_on' ? 'flash.tasks_push_on' : 'flash.tasks_push_off', { count: done });
      if (refused.length) flash(req, 'error', 'flash.tasks_push_failed', { names: refused.join(', ') });
      return res.redirect(303, back);
    }
    let done: number;
    if (action === 'enable' || action === 'disable' || action === 'delete') {
      done = await tasks.bulk(req.user!, ids, { type: action });
    } else if (action === 'schedule') {
      const parsed = scheduleSchema.safeParse(scheduleFromForm(body));
      if (!parsed.success) {
        flash(req, 'error', 'tasks.bulk_schedule_invalid');
        return res.redirect(303, back);
      }
      done = await tasks.bulk(req.user!, ids, { type: 'schedule', schedule: parsed.data });
    } else {
      throw new AppError(400, 'invalid_input', 'errors.unknown_action');
    }
    flash(req, 'success', `tasks.bulk_done_${action}`, { count: done });
    res.redirect(303, back);
  });

  return router;
}
