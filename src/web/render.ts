// Renders a page: the view inside views/layout.ejs, with the request's common locals.
import path from 'node:path';
import ejs from 'ejs';
import type { Request, Response } from 'express';
import { VIEWS_DIR } from '../lib/paths.js';
import { takeFlash } from './flash.js';
import { translator } from '../lib/i18n.js';

export type NavItem = { href: string; key: string; adminOnly?: boolean };

let cacheViews = false;
export function setViewCache(enabled: boolean) {
  cacheViews = enabled;
}

function renderFile(view: string, locals: Record<string, unknown>): Promise<string> {
  return ejs.renderFile(path.join(VIEWS_DIR, `${view}.ejs`), locals, { cache: cacheViews, root: VIEWS_DIR, async: false });
}

/** Formats an epoch-ms instant for the request's user: their language and time zone. */
export function timeFormatter(language: string, timeZone: string) {
  const format = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone });
  return (ms: number | null | undefined) => (ms == null ? '' : format.format(new Date(ms)));
}

export async function renderPage(
  req: Request,
  res: Response,
  view: string,
  locals: Record<string, unknown> & { title: string },
  status = 200,
): Promise<void> {
  const common = {
    ...res.locals,
    // Errors raised before the language was chosen still render (in English).
    t: req.t ?? translator('en'),
    lang: req.language ?? 'en',
    user: req.user,
    flash: takeFlash(req),
    csrfToken: req.csrfToken ? req.csrfToken() : '',
    currentPath: req.path,
    values: {},
    errors: {},
  };
  const all = { ...common, ...locals };
  const body = await renderFile(view, all);
  const html = await renderFile('layout', { ...all, body });
  res.status(status).type('html').send(html);
}

/** Renders a view without the layout: a fragment for htmx to swap in. */
export async function renderPartial(req: Request, res: Response, view: string, locals: Record<string, unknown>): Promise<void> {
  const html = await renderFile(view, { ...res.locals, t: req.t ?? translator('en'), lang: req.language ?? 'en', user: req.user, values: {}, errors: {}, ...locals });
  res.type('html').send(html);
}
