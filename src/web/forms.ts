// Helpers for HTML form handlers: ids from the URL, and re-rendering a form with its errors.
import type { Request, Response } from 'express';
import { AppError, notFound } from '../lib/errors.js';
import { translateFields } from './error-handler.js';
import { renderPage } from './render.js';

/** A positive integer id from the URL; anything else is a 404, like an id that does not exist. */
export function idParam(req: Request, name = 'id'): number {
  const raw = req.params[name];
  const id = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) throw notFound();
  return id;
}

/** The submitted values to show again, without passwords and the CSRF token. */
export function keptValues(body: unknown): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (k === '_csrf' || /password/i.test(k)) continue;
    values[k] = v;
  }
  return values;
}

/**
 * Shows the form again with a message per field and the user's input kept. Errors that are not the
 * user's (5xx, unknown) are rethrown for the error page.
 */
export async function renderFormError(
  req: Request,
  res: Response,
  err: unknown,
  view: string,
  locals: Record<string, unknown> & { title: string },
): Promise<void> {
  if (!(err instanceof AppError) || err.status >= 500) throw err;
  const errors = translateFields(req.t, err.fields);
  // Field errors speak for themselves; other errors (wrong password, closed registration) go on top.
  const formError = Object.keys(errors).length && err.code === 'invalid_input' ? undefined : req.t(err.messageKey, err.params);
  await renderPage(req, res, view, { values: keptValues(req.body), ...locals, errors, formError }, err.status);
}
