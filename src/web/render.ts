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

const RELATIVE_STEPS: [number, Intl.RelativeTimeFormatUnit][] = [[60, 'second'], [60, 'minute'], [24, 'hour'], [30, 'day'], [12, 'month']];

/**
 * "3 min ago", "in 2 hr", "yesterday" in the reader's language, relative to `now`. Under 45 seconds
 * either way reads "now": a page is not reloaded every second.
 */
export function relativeTimeFormatter(language: string, now: number) {
  const format = new Intl.RelativeTimeFormat(language, { numeric: 'auto', style: 'short' });
  return (ms: number | null | undefined): string => {
    if (ms == null) return '';
    let value = (ms - now) / 1000;
    if (Math.abs(value) < 45) return format.format(0, 'second');
    for (const [size, unit] of RELATIVE_STEPS) {
      if (Math.abs(value) < size) return format.format(Math.round(value), unit);
      value /= size;
    }
    return format.format(Math.round(value), 'year');
  };
}

/** The request's "now": the app's clock when it put one in res.locals, else the system's. */
export function requestNow(res: Response): number {
  return typeof res.locals.now === 'number' ? res.locals.now : Date.now();
}

/** The request's relative-time formatter: the one the app put in res.locals, else the reader's language at requestNow. */
export function relativeTimeOf(req: Request, res: Response): (ms: number) => string {
  return (res.locals.relativeTime as ((ms: number) => string) | undefined) ?? relativeTimeFormatter(req.language ?? 'en', requestNow(res));
}

/**
 * The time helpers every view gets: `formatTime` (absolute, from app.ts), `relativeTime`, and
 * `isoTime` for <time datetime>. views/partials/time.ejs puts the three together.
 */
function timeLocals(req: Request, res: Response) {
  return {
    relativeTime: relativeTimeOf(req, res),
    isoTime: (ms: number) => new Date(ms).toISOString(),
  };
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
    ...timeLocals(req, res),
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
  const html = await renderFile(view, { ...res.locals, ...timeLocals(req, res), t: req.t ?? translator('en'), lang: req.language ?? 'en', user: req.user, values: {}, errors: {}, ...locals });
  res.type('html').send(html);
}
