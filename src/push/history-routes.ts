// The delivery history (/push/history): the user's messages newest first, 50 a page with "older"
// keyset paging, filtered by status, registration and event (the filters keep each other and the
// paging keeps them all). A bad filter value is a 400 page naming the filter, never a 500.
import { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '../lib/errors.js';
import { parseInput } from '../lib/validation.js';
import { translateFields } from '../web/error-handler.js';
import { renderPage, requestNow } from '../web/render.js';
import { pushChart, pushSwatch, type PushDay } from '../web/charts.js';
import { toInstant, wallClock } from '../scheduler/schedule-zone.js';
import type { Translate } from '../lib/i18n.js';
import type { HistoryChartRepo } from './history-chart-repo.js';
import { requirePageUser } from '../accounts/auth-middleware.js';
import { EVENTS, MESSAGE_STATUSES, type PushService } from './service.js';

export const HISTORY_PAGE_SIZE = 50;

const historyQuerySchema = z.object({
  status: z.enum(MESSAGE_STATUSES).optional(),
  registration: z.coerce.number().int().positive().max(2 ** 31 - 1).optional(),
  event: z.enum(EVENTS).optional(),
  before: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
});

type HistoryQuery = z.output<typeof historyQuerySchema>;

/** The query without empty values (the filter form's "all"). */
function givenQuery(req: Request): Record<string, unknown> {
  return Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== '' && v !== undefined));
}

/** The filters as a query string, for the links that keep them (and the paging cursor when given). */
function queryOf(filters: HistoryQuery, before?: number): string {
  const entries = Object.entries({ status: filters.status, registration: filters.registration, event: filters.event, before })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]): [string, string] => [k, String(v)]);
  return new URLSearchParams(entries).toString();
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const CHART_DAYS = 14;

/** The starts of the last `days` days in `zone` (today last), and the end of today. */
export function dayBounds(now: number, zone: string, days: number): { bounds: number[]; floating: number[] } {
  const today = Math.floor(wallClock(now, zone) / DAY_MS) * DAY_MS;
  const floating = Array.from({ length: days + 1 }, (_, i) => today - (days - 1 - i) * DAY_MS);
  return { bounds: floating.map((local) => toInstant(local, zone)), floating };
}

/** The chart of deliveries per day, its legend swatches, and what it says in words. */
async function deliveriesChart(t: Translate, language: string, chart: HistoryChartRepo, userId: number, now: number, zone: string) {
  const { bounds, floating } = dayBounds(now, zone, CHART_DAYS);
  const counts = await chart.dailyCounts(userId, bounds);
  const short = new Intl.DateTimeFormat(language, { month: 'numeric', day: 'numeric', timeZone: 'UTC' });
  const long = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: 'UTC' });
  const days: PushDay[] = counts.map((c, i) => {
    const values = { sent: c.sent, failed: c.failed, pending: c.queued + c.sending };
    return { day: short.format(floating[i]!), label: t('ui.chart.push_day', { day: long.format(floating[i]!), ...values }), ...values };
  });
  const sum = (k: 'sent' | 'failed' | 'pending') => days.reduce((a, d) => a + d[k], 0);
  const totals = { sent: sum('sent'), failed: sum('failed'), pending: sum('pending') };
  const id = 'deliveries';
  return {
    svg: pushChart(days, { summary: t('ui.chart.push_summary', totals), id }),
    swatches: { sent: pushSwatch('sent', id), failed: pushSwatch('failed', id), pending: pushSwatch('pending', id) },
    empty: totals.sent + totals.failed + totals.pending === 0,
  };
}

/** `chart`: the per-day counts for the chart above the list; without it the page has no chart. */
export function pushHistoryRoutes(deps: { push: PushService; chart?: HistoryChartRepo }) {
  const { push, chart } = deps;
  const router = Router();
  router.use('/push/history', requirePageUser);

  router.get('/push/history', async (req, res) => {
    const registrations = await push.list(req.user!);
    const common = {
      title: req.t('push.history.title'),
      registrations,
      statuses: MESSAGE_STATUSES,
      events: EVENTS,
    };
    let filters: HistoryQuery;
    try {
      filters = parseInput(historyQuerySchema, givenQuery(req));
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 400) throw err;
      const raw = req.query;
      const shown = { status: String(raw.status ?? ''), registration: String(raw.registration ?? ''), event: String(raw.event ?? '') };
      return renderPage(req, res, 'push/history', { ...common, filters: shown, errors: translateFields(req.t, err.fields), messages: [], filtered: true }, 400);
    }
    const page = await push.messages(req.user!, {
      status: filters.status,
      registrationId: filters.registration,
      event: filters.event,
      before: filters.before,
      limit: HISTORY_PAGE_SIZE,
    });
    const last = page.items.at(-1);
    // The chart shows every delivery, so it is drawn on the unfiltered first page only.
    const showChart = chart && !filters.before && !filters.status && !filters.registration && !filters.event;
    await renderPage(req, res, 'push/history', {
      ...common,
      chart: showChart ? await deliveriesChart(req.t, req.language, chart, req.user!.id, requestNow(res), String(res.locals.timeZone)) : undefined,
      filters: { status: filters.status ?? '', registration: filters.registration ? String(filters.registration) : '', event: filters.event ?? '' },
      filtered: Boolean(filters.status || filters.registration || filters.event),
      messages: page.items,
      olderQuery: page.more && last ? queryOf(filters, last.id) : undefined,
      newestQuery: filters.before ? queryOf(filters) : undefined,
    });
  });

  return router;
}
