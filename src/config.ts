// The only reader of process.env. Everything else receives the frozen Config this module returns.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import dotenv from 'dotenv';
import { z } from 'zod';
import { canonicalTimeZone, isValidTimeZone } from './lib/timezone.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// Values that must never be echoed back in an error line.
const SECRET_KEYS = new Set(['APP_SECRET', 'MAIL_PASSWORD', 'DATABASE_URL', 'HTTP_PROXY', 'HTTPS_PROXY', 'METRICS_TOKEN']);

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true');

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, {
      error: `must be a whole number from ${min} to ${max}`,
    })
    .transform(Number);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { error: 'must be development, production or test' }).default('development'),
  PORT: int(3000, 0, 65535),
  HOST: z.string().default('127.0.0.1'),
  BASE_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://chime.example.com' })
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^sqlite:.+/.test(v) || /^mysql:\/\/.+/.test(v), {
      error: 'must look like sqlite:data/chime.db or mysql://user:pass@host:3306/db',
    }),
  DATA_DIR: z.string().default('data'),
  APP_SECRET: z.string().min(32, { error: 'must be at least 32 characters (try: openssl rand -hex 32)' }).optional(),
  TRUST_PROXY: z.string().optional(),
  ALLOW_PRIVATE_NETWORK: bool(false),
  HTTP_PROXY: z.url({ protocol: /^https?$/, error: 'must be a proxy URL such as http://proxy.example:3128' }).optional(),
  HTTPS_PROXY: z.url({ protocol: /^https?$/, error: 'must be a proxy URL such as http://proxy.example:3128' }).optional(),
  NO_PROXY: z.string().optional(),
  DEFAULT_TIMEZONE: z
    .string()
    .refine(isValidTimeZone, { error: 'must be an IANA time zone such as Asia/Shanghai' })
    .transform((v) => canonicalTimeZone(v)!)
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).default('json'),
  METRICS_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  WORKER_CONCURRENCY: int(32, 1, 1000),
  PUSH_CONCURRENCY: int(8, 1, 200),
  API_DELAY_MAX_SECONDS: int(30, 0, 3600),
  WORKER_CONCURRENCY_PER_USER: int(8, 1, 1000),
  RUN_LEASE_SECONDS: int(60, 2, 3600),
  MAIL_SMTP: z.string().optional(),
  MAIL_PORT: int(465, 1, 65535),
  MAIL_SSL: bool(true),
  MAIL_STARTTLS: bool(false),
  MAIL_USER: z.string().optional(),
  MAIL_PASSWORD: z.string().optional(),
  MAIL_FROM: z.string().optional(),
});

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  baseUrl?: string;
  secureCookies: boolean;
  databaseUrl: string;
  dataDir: string;
  appSecret?: string;
  trustProxy?: string;
  allowPrivateNetwork: boolean;
  /** Default proxy for task requests; a task's `_proxy` variable overrides it. */
  proxy: Readonly<{ http?: string; https?: string; noProxy?: string }>;
  defaultTimezone: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** json: one JSON line per event; pretty: colourful lines for people at a terminal. */
  logFormat: 'json' | 'pretty';
  /** When set, GET /metrics wants it as a Bearer token. */
  metricsToken?: string;
  workerConcurrency: number;
  /** How many runs of one user may run at once in one instance, so one user cannot starve the rest. */
  workerConcurrencyPerUser: number;
  /** A run whose instance stops renewing its lease for this long is marked lost. */
  runLeaseMs: number;
  /** How many push messages one instance sends at once (one at a time per registration). */
  pushConcurrency: number;
  /** The longest wait an api://util/delay step may ask for (QD's delay_max_timeout). */
  apiDelayMaxSeconds: number;
  mail: Readonly<{
    host?: string;
    port: number;
    ssl: boolean;
    starttls: boolean;
    user?: string;
    password?: string;
    from?: string;
  }>;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Parses an environment (pure: no files, no process.env). Throws ConfigError listing every problem. */
export function parseConfig(env: Env): Config {
  // An empty value (`BASE_URL=` in a .env file) means "not set".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const key = String(issue.path[0]);
        const raw = cleaned[key];
        const shown = raw === undefined || SECRET_KEYS.has(key) ? '' : ` (got "${raw}")`;
        return `${key}: ${issue.message}${shown}`;
      });
  // Checked on the raw values so that it is reported together with every other problem.
  if (cleaned.NODE_ENV === 'production' && cleaned.APP_SECRET === undefined) {
    problems.push('APP_SECRET: is required when NODE_ENV=production (try: openssl rand -hex 32)');
  }
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const e = parsed.data;
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    baseUrl: e.BASE_URL,
    secureCookies: e.BASE_URL?.startsWith('https:') ?? false,
    // Unset: the embedded database inside DATA_DIR, so that moving the data folder moves everything.
    databaseUrl: e.DATABASE_URL ?? `sqlite:${path.join(e.DATA_DIR, 'chime.db')}`,
    dataDir: e.DATA_DIR,
    appSecret: e.APP_SECRET,
    trustProxy: e.TRUST_PROXY,
    allowPrivateNetwork: e.ALLOW_PRIVATE_NETWORK,
    proxy: Object.freeze({ http: e.HTTP_PROXY, https: e.HTTPS_PROXY, noProxy: e.NO_PROXY }),
    defaultTimezone: e.DEFAULT_TIMEZONE ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    metricsToken: e.METRICS_TOKEN,
    workerConcurrency: e.WORKER_CONCURRENCY,
    pushConcurrency: e.PUSH_CONCURRENCY,
    apiDelayMaxSeconds: e.API_DELAY_MAX_SECONDS,
    workerConcurrencyPerUser: e.WORKER_CONCURRENCY_PER_USER,
    runLeaseMs: e.RUN_LEASE_SECONDS * 1000,
    mail: Object.freeze({
      host: e.MAIL_SMTP,
      port: e.MAIL_PORT,
      ssl: e.MAIL_SSL,
      starttls: e.MAIL_STARTTLS,
      user: e.MAIL_USER,
      password: e.MAIL_PASSWORD,
      from: e.MAIL_FROM ?? e.MAIL_USER,
    }),
  });
}

/**
 * The process's configuration: `.env` (when present) under the real environment, which wins.
 * Outside production a missing APP_SECRET is generated once and kept in DATA_DIR, so sessions and
 * encrypted values survive restarts; `warnings` says so.
 */
export function loadConfig(envFile = '.env'): { config: Config; warnings: string[] } {
  const fromFile = fs.existsSync(envFile) ? dotenv.parse(fs.readFileSync(envFile)) : {};
  const config = parseConfig({ ...fromFile, ...process.env });
  if (config.appSecret) return { config, warnings: [] };
  const secretFile = path.join(config.dataDir, 'app-secret');
  const warnings: string[] = [];
  fs.mkdirSync(config.dataDir, { recursive: true });
  if (!fs.existsSync(secretFile)) {
    // Written aside, then linked into place: an instance starting at the same moment sees no file or
    // the whole file, never an empty one ('wx' leaves that window open). The link fails with EEXIST
    // when another instance got there first; then we read theirs.
    const draft = `${secretFile}.${process.pid}.tmp`;
    fs.writeFileSync(draft, crypto.randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    try {
      fs.linkSync(draft, secretFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(draft, { force: true });
    }
  }
  const secret = fs.readFileSync(secretFile, 'utf8').trim();
  if (secret.length < 32) {
    throw new ConfigError([`APP_SECRET: the generated secret in ${secretFile} is damaged (empty or short); delete the file to make a new one (logins will end), or set APP_SECRET`]);
  }
  warnings.push(`APP_SECRET is not set; using the generated secret kept in ${secretFile}. Set APP_SECRET in production.`);
  return { config: Object.freeze({ ...config, appSecret: secret }), warnings };
}
