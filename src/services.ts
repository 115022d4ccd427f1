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

export type ServiceDeps = { config: Config; db: Db; clock?: Clock; http?: HttpClient; instanceId?: string };

export function createServices({ config, db, clock = systemClock, http, instanceId }: ServiceDeps) {
  if (!config.appSecret) throw new Error('services need config.appSecret');
  const box = createSecretBox(config.appSecret);
  const httpClient = http ?? createHttpClient({ allowPrivateNetwork: config.allowPrivateNetwork, proxy: config.proxy });
  const lease = { owner: instanceId ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`, ms: config.runLeaseMs };
  const knex = db.knex;
  return {
    clock,
    lease,
    http: httpClient,
    accounts: createAccountsService({ knex, clock }),
    admin: createAdminService({ knex, clock }),
    templates: createTemplatesService({ knex, box, clock }),
    tasks: createTasksService({ knex, box, clock, defaultTimezone: config.defaultTimezone }),
    runs: createRunsService({ knex, box, http: httpClient, clock, lease, defaultTimezone: config.defaultTimezone }),
  };
}

export type Services = ReturnType<typeof createServices>;
