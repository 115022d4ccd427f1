// createApp(deps): middleware, feature routers, error pages. No listening, no process handling.
import path from 'node:path';
import express from 'express';
import session from 'express-session';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import crypto from 'node:crypto';
import type { Config } from './config.js';
import type { Db } from './db/knex.js';
import { withRequestId, type Logger } from './lib/log.js';
import { systemClock, type Clock } from './lib/clock.js';
import { deriveKey } from './lib/crypto.js';
import { PROJECT_ROOT, VIEWS_DIR } from './lib/paths.js';
import { DbSessionStore } from './accounts/session-store.js';
import { siteSettingsRepo } from './accounts/site-settings.js';
import { credentialRateLimit, requestRateLimit } from './accounts/rate-limit.js';
import { lifecycleApi } from './accounts/lifecycle-api.js';
import { sessionUser } from './accounts/auth-middleware.js';
import { accountRoutes } from './accounts/routes.js';
import { adminRoutes } from './accounts/admin-routes.js';
import { apiRouter } from './api/router.js';
import { csrf } from './web/csrf.js';
import { errorHandler, notFoundHandler } from './web/error-handler.js';
import { healthz } from './web/healthz.js';
import { opsRoutes, requestTiming } from './ops/routes.js';
import { setViewCache, timeFormatter, type NavItem } from './web/render.js';
import multer from 'multer';
import type { HttpClient } from './lib/http.js';
import { templateEditorRoutes } from './templates/editor-routes.js';
import { templateRoutes } from './templates/routes.js';
import { taskRoutes } from './tasks/routes.js';
import { dashboardRoutes } from './tasks/dashboard-routes.js';
import { pushRoutes } from './push/routes.js';
import { pushHistoryRoutes } from './push/history-routes.js';
import { pushSettingsRoutes } from './push/settings-routes.js';
import { createServices, type Services } from './services.js';
import { runChartQueries } from './runs/repo.js';
import { dashboardQueries } from './tasks/repo.js';
import { historyChartRepo } from './push/history-chart-repo.js';
import { portabilityRoutes } from './portability/routes.js';

export type AppDeps = { config: Config; db: Db; log: Logger; clock?: Clock; http?: HttpClient; services?: Services };

// The navigation, in order; each feature adds its entry here.
export const NAV: NavItem[] = [
  { href: '/tasks', key: 'nav.tasks' },
  { href: '/templates', key: 'nav.templates' },
  { href: '/push', key: 'nav.push' },
  { href: '/account', key: 'nav.account' },
  { href: '/admin/users', key: 'nav.admin', adminOnly: true },
];

const SESSION_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

function trustProxySetting(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

// HAR files are often several megabytes; this is far above any real one.
const UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024;

export function createApp({ config, db, log, clock = systemClock, http, services }: AppDeps): express.Express {
  if (!config.appSecret) throw new Error('createApp needs config.appSecret');
  setViewCache(config.env === 'production');

  const appServices = services ?? createServices({ config, db, clock, http, log });
  const { accounts, admin, templates, tasks, runs, push, pushSettings, digests, mailer, lifecycle, portability } = appServices;
  const settings = siteSettingsRepo(db.knex);
  const loginLimit = credentialRateLimit({ knex: db.knex, clock, name: 'login' });
  const tokenLimit = credentialRateLimit({ knex: db.knex, clock, name: 'token' });
  const lifecycleLimits = {
    forgot: requestRateLimit({ knex: db.knex, clock, name: 'forgot', perEmail: 5, perAddress: 20, windowMs: 60 * 60 * 1000 }),
    reset: credentialRateLimit({ knex: db.knex, clock, name: 'reset' }),
  };

  const app = express();
  app.set('trust proxy', trustProxySetting(config.trustProxy));
  app.set('query parser', 'simple');

  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          upgradeInsecureRequests: config.secureCookies ? [] : null,
        },
      },
      strictTransportSecurity: config.secureCookies,
    }),
  );

  app.use(
    pinoHttp({
      logger: log,
      genReqId: (req, res) => {
        const id = crypto.randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // The path only: query strings may carry tokens. No headers: they carry cookies.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      autoLogging: { ignore: (req) => req.url?.startsWith('/assets/') ?? false },
    }),
  );
  app.use(requestTiming(appServices.metrics));
  app.use((req, _res, next) => withRequestId(String(req.id), next));

  const assetOptions = { maxAge: config.env === 'production' ? '7d' : 0 };
  app.use('/assets/vendor', express.static(path.join(PROJECT_ROOT, 'node_modules/@picocss/pico/css'), assetOptions));
  app.use('/assets/vendor', express.static(path.join(PROJECT_ROOT, 'node_modules/htmx.org/dist'), assetOptions));
  app.use('/assets', express.static(path.join(VIEWS_DIR, 'assets'), assetOptions));
  app.get('/healthz', healthz(db));
  app.use(opsRoutes({ db, clock, metrics: appServices.metrics, loops: appServices.loops, metricsToken: config.metricsToken }));

  app.use(
    session({
      name: 'chime.sid',
      secret: deriveKey(config.appSecret, 'session').toString('hex'),
      store: new DbSessionStore(db.knex, clock),
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, maxAge: SESSION_MAX_AGE_MS },
    }),
  );
  app.use(sessionUser(accounts));
  app.use((req, res, next) => {
    res.locals.nav = NAV.filter((item) => !item.adminOnly || req.user?.role === 'admin');
    res.locals.baseUrl = config.baseUrl;
    res.locals.timeZone = req.user?.timezone ?? config.defaultTimezone;
    res.locals.formatTime = timeFormatter(req.language, res.locals.timeZone);
    res.locals.now = clock.now();
    next();
  });

  app.use('/api/v1', lifecycleApi({ accounts, lifecycle, limits: lifecycleLimits }));
  app.use('/api/v1', apiRouter({ accounts, admin, tokenLimit, templates, tasks, runs, push, pushSettings, digests, clock, portability, defaultTimezone: config.defaultTimezone }));

  app.use(express.urlencoded({ extended: true, limit: '5mb', parameterLimit: 20_000 }));
  // The import form uploads a file; its CSRF token is in the multipart body, read before the check.
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: UPLOAD_LIMIT_BYTES, files: 1 } }).single('file');
  app.post('/templates/import', upload);
  app.post('/account/data/import', upload);
  app.use(csrf.csrfSynchronisedProtection);
  app.use(accountRoutes({ accounts, settings, loginLimit, lifecycle, lifecycleLimits }));
  app.use(portabilityRoutes({ portability, clock, defaultTimezone: config.defaultTimezone }));
  app.use(adminRoutes({ admin, mailer, mailConfig: config.mail }));
  app.use(templateEditorRoutes({ templates, runs }));
  app.use(templateRoutes({ templates }));
  app.use(dashboardRoutes({ tasks, runs, charts: runChartQueries(db.knex), setup: dashboardQueries(db.knex) }));
  app.use(taskRoutes({ tasks, templates, runs, push, pushSettings }));
  // Before pushRoutes: its /push/:id would take /push/settings for an id.
  app.use(pushSettingsRoutes({ pushSettings, digests, push }));
  app.use(pushHistoryRoutes({ push, chart: historyChartRepo(db.knex) }));
  app.use(pushRoutes({ push, clock }));

  app.use(notFoundHandler);
  app.use(errorHandler(log));
  return app;
}
