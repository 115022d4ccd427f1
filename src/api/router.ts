// /api/v1: JSON in, JSON out, the same services as the pages. Authenticated by a bearer token, or by
// the session cookie plus the CSRF token (for scripts on our own pages).
import express, { Router, type RequestHandler } from 'express';
import { bearerUser } from '../accounts/auth-middleware.js';
import { accountsApi } from '../accounts/api.js';
import { adminApi } from '../accounts/admin-api.js';
import type { AccountsService } from '../accounts/service.js';
import type { AdminService } from '../accounts/admin-service.js';
import { csrf } from '../web/csrf.js';
import type { Clock } from '../lib/clock.js';
import { templatesApi } from '../templates/api.js';
import type { TemplatesService } from '../templates/service.js';
import { tasksApi } from '../tasks/api.js';
import type { TasksService } from '../tasks/service.js';
import type { RunsService } from '../runs/service.js';
import { notFoundHandler } from '../web/error-handler.js';
import { pushApi } from '../push/api.js';
import type { PushService } from '../push/service.js';
import type { PushSettingsService } from '../push/settings-service.js';
import type { DigestJob } from '../push/digest-job.js';
import { portabilityApi } from '../portability/api.js';
import type { PortabilityService } from '../portability/service.js';

export type ApiDeps = {
  accounts: AccountsService;
  admin: AdminService;
  tokenLimit: RequestHandler[];
  templates: TemplatesService;
  tasks: TasksService;
  runs: RunsService;
  push: PushService;
  pushSettings: PushSettingsService;
  digests: DigestJob;
  clock: Clock;
  portability: PortabilityService;
  defaultTimezone: string;
};

export function apiRouter(deps: ApiDeps): Router {
  const router = Router();
  // HAR imports arrive as JSON and may be large; everything else is small.
  router.use('/templates/import', express.json({ limit: '50mb' }));
  router.use('/import', express.json({ limit: '50mb' }));
  router.use(express.json({ limit: '5mb' }));
  router.use(bearerUser(deps.accounts));
  router.use((req, res, next) => (req.authVia === 'session' ? csrf.csrfSynchronisedProtection(req, res, next) : next()));
  router.use(accountsApi(deps));
  router.use(adminApi(deps));
  router.use(templatesApi(deps));
  router.use(tasksApi(deps));
  router.use(pushApi(deps));
  router.use(portabilityApi(deps));
  router.use(notFoundHandler);
  return router;
}
