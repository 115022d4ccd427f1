// /api/v1: JSON in, JSON out, the same services as the pages. Authenticated by a bearer token, or by
// the session cookie plus the CSRF token (for scripts on our own pages).
import express, { Router, type RequestHandler } from 'express';
import { bearerUser } from '../accounts/auth-middleware.js';
import { accountsApi } from '../accounts/api.js';
import { adminApi } from '../accounts/admin-api.js';
import type { AccountsService } from '../accounts/service.js';
import type { AdminService } from '../accounts/admin-service.js';
import { csrf } from '../web/csrf.js';
import { notFoundHandler } from '../web/error-handler.js';

export type ApiDeps = { accounts: AccountsService; admin: AdminService; tokenLimit: RequestHandler[] };

export function apiRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(express.json({ limit: '5mb' }));
  router.use(bearerUser(deps.accounts));
  router.use((req, res, next) => (req.authVia === 'session' ? csrf.csrfSynchronisedProtection(req, res, next) : next()));
  router.use(accountsApi(deps));
  router.use(adminApi(deps));
  router.use(notFoundHandler);
  return router;
}
