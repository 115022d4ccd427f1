// Who is asking: the session's user for pages, a bearer token (or the session) for the API.
// Both read the user's status on every request, so a disabled user is out at once everywhere.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { forbidden, unauthorized } from '../lib/errors.js';
import { translator } from '../lib/i18n.js';
import { requestLanguage } from '../web/language.js';
import type { AccountsService } from './service.js';

function setLanguage(req: Request) {
  req.language = requestLanguage(req);
  req.t = translator(req.language);
}

export function sessionUser(accounts: AccountsService): RequestHandler {
  return async (req, _res, next) => {
    const userId = req.session?.userId;
    if (userId) {
      const user = await accounts.activeUser(userId);
      if (user) {
        req.user = user;
        req.authVia = 'session';
      } else {
        // Disabled or deleted since the session began.
        delete req.session.userId;
      }
    }
    setLanguage(req);
    next();
  };
}

/** For /api/v1: a bearer token, when given, decides alone; a wrong one is a 401 even with a session. */
export function bearerUser(accounts: AccountsService): RequestHandler {
  return async (req, _res, next) => {
    const header = req.headers.authorization;
    if (header === undefined) return next();
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const user = match ? await accounts.userForToken(match[1]!) : undefined;
    if (!user) {
      req.user = undefined;
      return next(unauthorized());
    }
    req.user = user;
    req.authVia = 'token';
    setLanguage(req);
    next();
  };
}

export const requireApiUser: RequestHandler = (req, _res, next) => next(req.user ? undefined : unauthorized());

export const requireAdmin: RequestHandler = (req, _res, next) =>
  next(!req.user ? unauthorized() : req.user.role === 'admin' ? undefined : forbidden());

/** Pages: anonymous visitors go to the login page and come back afterwards. */
export function requirePageUser(req: Request, res: Response, next: NextFunction) {
  if (req.user) return next();
  const back = req.method === 'GET' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
  res.redirect(303, `/login${back}`);
}

/** Only same-site paths are followed after login, never another origin. */
export function safeNext(value: unknown, fallback: string): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : fallback;
}
