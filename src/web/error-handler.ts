// Turns every error into a clear answer: JSON for /api, a page otherwise. Never a stack trace.
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AppError, type FieldErrors, notFound } from '../lib/errors.js';
import { translator, type Translate } from '../lib/i18n.js';
import type { Logger } from '../lib/log.js';
import { isCsrfError } from './csrf.js';
import { renderPage } from './render.js';

export function translateFields(t: Translate, fields: FieldErrors | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(fields ?? {})) out[path] = t(message.key, message.params);
  return out;
}

/** Maps anything thrown to an AppError; unknown errors become a 500 (and are logged). */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isCsrfError(err)) return new AppError(403, 'csrf_failed', 'errors.csrf_failed');
  const e = err as { type?: string; status?: number };
  if (e?.type === 'entity.parse.failed') return new AppError(400, 'invalid_json', 'errors.invalid_json');
  if (e?.type === 'entity.too.large') return new AppError(413, 'too_large', 'errors.too_large');
  // An upload form posted with another file field, two files or a file over the limit: the client's doing.
  if ((err as { name?: string })?.name === 'MulterError') {
    const { code, field } = err as { code?: string; field?: string };
    if (code === 'LIMIT_FILE_SIZE') return new AppError(413, 'too_large', 'errors.too_large');
    return new AppError(400, 'bad_request', 'errors.bad_request', { [field || 'file']: { key: 'errors.invalid_value' } });
  }
  if (e?.status === 400 || e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new AppError(400, 'bad_request', 'errors.bad_request');
  }
  return new AppError(500, 'internal', 'errors.internal');
}

const isApi = (req: Request) => req.originalUrl.startsWith('/api/');

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

export function errorHandler(log: Logger): ErrorRequestHandler {
  return async (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const appError = toAppError(err);
    if (appError.status >= 500) log.error({ err, reqId: req.id }, 'request failed');
    // Errors raised before the language was chosen (a broken session store) are told in English.
    const t = req.t ?? translator('en');
    const message = t(appError.messageKey, appError.params);
    if (isApi(req)) {
      const fields = appError.fields ? { fields: translateFields(t, appError.fields) } : {};
      res.status(appError.status).json({ error: { code: appError.code, message, ...fields } });
      return;
    }
    try {
      await renderPage(req, res, 'errors/error', { title: t(`errors.title_${appError.status}`, { defaultValue: t('errors.title') }), status: appError.status, message }, appError.status);
    } catch (renderErr) {
      log.error({ err: renderErr }, 'error page failed to render');
      res.status(appError.status).type('text').send(message);
    }
  };
}
