// The delivery history (/push/history): the user's messages newest first, 50 a page with "older"
// keyset paging, filtered by status, registration and event (the filters keep each other and the
// paging keeps them all). A bad filter value is a 400 page naming the filter, never a 500.
import { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '../lib/errors.js';
import { parseInput } from '../lib/validation.js';
import { translateFields } from '../web/error-handler.js';
import { renderPage } from '../web/render.js';
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

export function pushHistoryRoutes(deps: { push: PushService }) {
  const { push } = deps;
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
    await renderPage(req, res, 'push/history', {
      ...common,
      filters: { status: filters.status ?? '', registration: filters.registration ? String(filters.registration) : '', event: filters.event ?? '' },
      filtered: Boolean(filters.status || filters.registration || filters.event),
      messages: page.items,
      olderQuery: page.more && last ? queryOf(filters, last.id) : undefined,
      newestQuery: filters.before ? queryOf(filters) : undefined,
    });
  });

  return router;
}
