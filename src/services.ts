// The services of one instance, built once and shared by the pages, the API and the scheduler.
import os from 'node:os';
import crypto from 'node:crypto';
import type { Config } from './config.js';
import type { Db } from './db/knex.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createSecretBox } from './db/secret-box.js';
import { createHttpClient, type HttpClient } from './lib/http.js';
import { createAccountsService } from './accounts/service.js';
import { createAdminService } from './accounts/admin-service.js';
import { createTemplatesService } from './templates/service.js';
import { createTasksService } from './tasks/service.js';
import { createRunsService } from './runs/service.js';
import { createMailer, type Mailer } from './lib/mailer.js';
import { silentLogger, type Logger } from './lib/log.js';
import { createDispatcher } from './push/dispatcher.js';
import { createPushService } from './push/service.js';
import { createPushSettingsService } from './push/settings-service.js';
import { createDigestJob } from './push/digest-job.js';
import { createMetrics } from './ops/metrics.js';
import { createLifecycleService } from './accounts/lifecycle-service.js';
import { createPortabilityService } from './portability/service.js';
import type { Loops } from './ops/readyz.js';

export type ServiceDeps = {
  config: Config;
  db: Db;
  clock?: Clock;
  http?: HttpClient;
  instanceId?: string;
  log?: Logger;
  /** Tests pass a mailer trusting their own SMTP sink; otherwise one is made from MAIL_*. */
  mailer?: Mailer;
};

export function createServices({ config, db, clock = systemClock, http, instanceId, log = silentLogger, mailer }: ServiceDeps) {
  if (!config.appSecret) throw new Error('services need config.appSecret');
  const box = createSecretBox(config.appSecret);
  const httpClient = http ?? createHttpClient({ allowPrivateNetwork: config.allowPrivateNetwork, proxy: config.proxy });
  const lease = { owner: instanceId ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`, ms: config.runLeaseMs };
  const knex = db.knex;
  const mail = mailer ?? createMailer(config.mail);
  const metrics = createMetrics({ knex, clock });
  // The dispatcher's lease outlasts the slowest send (SMTP's 30 s socket timeout); a heartbeat renews it.
  const dispatcher = createDispatcher({
    knex,
    box,
    http: httpClient,
    clock,
    log,
    concurrency: config.pushConcurrency,
    lease,
    metrics,
    ...(mail ? { mail: mail.send } : {}),
  });
  const accounts = createAccountsService({ knex, clock });
  const digests = createDigestJob({ knex, clock, log, defaultTimezone: config.defaultTimezone, baseUrl: config.baseUrl, poke: dispatcher.poke });
  return {
    clock,
    lease,
    http: httpClient,
    accounts,
    lifecycle: createLifecycleService({ knex, accounts, appSecret: config.appSecret, linkBase: config.baseUrl ?? `http://${config.host}:${config.port}`, mailer: mail, clock, log }),
    portability: createPortabilityService({ knex, box, clock, defaultTimezone: config.defaultTimezone, http: httpClient }),
    admin: createAdminService({ knex, clock }),
    templates: createTemplatesService({ knex, box, clock }),
    tasks: createTasksService({ knex, box, clock, defaultTimezone: config.defaultTimezone }),
    mailer: mail,
    metrics,
    /** The background loops this process runs, registered as they start (for /readyz). */
    loops: new Map() as Loops,
    dispatcher,
    digests,
    push: createPushService({ knex, box, http: httpClient, clock, mailer: mail, baseUrl: config.baseUrl, poke: dispatcher.poke }),
    pushSettings: createPushSettingsService({ knex, clock, defaultTimezone: config.defaultTimezone, baseUrl: config.baseUrl }),
    runs: createRunsService({ knex, box, http: httpClient, clock, lease, defaultTimezone: config.defaultTimezone, baseUrl: config.baseUrl, metrics, log, apiUtil: { delayMaxSeconds: config.apiDelayMaxSeconds, localTimeZone: config.defaultTimezone } }),
  };
}

export type Services = ReturnType<typeof createServices>;
