// Limits on failed credential checks (login, token creation): about 10 failures per 15 minutes for
// one email from one address, plus a looser cap per address. Counters live in the database so that
// every instance counts the same attempts.
import type { Request, RequestHandler } from 'express';
import { rateLimit, ipKeyGenerator, type Store, type IncrementResponse } from 'express-rate-limit';
import type { Knex } from 'knex';
import { AppError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';

type Row = { key: string; hits: number; reset_at: number | string };

export class DbRateLimitStore implements Store {
  localKeys = false;
  private windowMs = 15 * 60 * 1000;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    readonly prefix: string,
  ) {}

  init(options: { windowMs: number }): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const fullKey = this.prefix + key;
    const now = this.clock.now();
    const resetAt = now + this.windowMs;
    return this.knex.transaction(async (trx) => {
      // Write first, read after: the upsert locks the row until commit, so the read sees exactly this
      // hit. Reading first with FOR UPDATE locks the gap where a missing row would go, and on MySQL
      // concurrent first hits of one key then deadlock. Both SET values read the old row; `hits` comes
      // first because MySQL lets a later assignment see an earlier one.
      const live = trx.raw('?? > ?', ['rate_limits.reset_at', now]);
      await trx('rate_limits')
        .insert({ key: fullKey, hits: 1, reset_at: resetAt })
        .onConflict('key')
        .merge({
          hits: trx.raw('CASE WHEN ? THEN ?? + 1 ELSE 1 END', [live, 'rate_limits.hits']),
          reset_at: trx.raw('CASE WHEN ? THEN ?? ELSE ? END', [live, 'rate_limits.reset_at', resetAt]),
        });
      const row = (await trx<Row>('rate_limits').where({ key: fullKey }).first('hits', 'reset_at'))!;
      return { totalHits: Number(row.hits), resetTime: new Date(Number(row.reset_at)) };
    });
  }

  async decrement(key: string): Promise<void> {
    await this.knex<Row>('rate_limits').where({ key: this.prefix + key }).andWhere('hits', '>', 0).decrement('hits', 1);
  }

  async resetKey(key: string): Promise<void> {
    await this.knex<Row>('rate_limits').where({ key: this.prefix + key }).delete();
  }
}

export async function purgeExpiredRateLimits(knex: Knex, now: number): Promise<number> {
  return knex('rate_limits').where('reset_at', '<=', now).delete();
}

function emailOf(req: Request): string {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? email.trim().toLowerCase().slice(0, 254) : '';
}

export type CredentialLimiterOptions = { knex: Knex; clock: Clock; name: string; perEmail?: number; perAddress?: number };

/** Two middlewares: failures per (email, address) and per address. Successful requests do not count. */
export function credentialRateLimit(options: CredentialLimiterOptions): RequestHandler[] {
  const windowMs = 15 * 60 * 1000;
  const common = {
    windowMs,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8' as const,
    legacyHeaders: false,
    // Clients may send X-Forwarded-For whatever TRUST_PROXY says; that is not a misconfiguration.
    validate: { xForwardedForHeader: false },
    handler: (_req: Request, _res: unknown, next: (err: unknown) => void, opts: { windowMs: number }) => {
      const minutes = Math.ceil(opts.windowMs / 60_000);
      next(new AppError(429, 'rate_limited', 'errors.rate_limited', undefined, { minutes }));
    },
  };
  return [
    rateLimit({
      ...common,
      limit: options.perEmail ?? 10,
      keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? '')}|${emailOf(req)}`,
      store: new DbRateLimitStore(options.knex, options.clock, `${options.name}:email:`),
    }),
    rateLimit({
      ...common,
      limit: options.perAddress ?? 50,
      keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
      store: new DbRateLimitStore(options.knex, options.clock, `${options.name}:ip:`),
    }),
  ];
}

export type RequestLimiterOptions = { knex: Knex; clock: Clock; name: string; perEmail: number; perAddress: number; windowMs: number };

/**
 * For requests that cost something whatever their outcome (a "forgot password" mail): every request
 * counts, per email whatever the address (one mailbox is not flooded from many addresses) and per address.
 */
export function requestRateLimit(options: RequestLimiterOptions): RequestHandler[] {
  const common = {
    windowMs: options.windowMs,
    standardHeaders: 'draft-8' as const,
    legacyHeaders: false,
    validate: { xForwardedForHeader: false },
    handler: (_req: Request, _res: unknown, next: (err: unknown) => void, opts: { windowMs: number }) => {
      next(new AppError(429, 'rate_limited', 'errors.rate_limited', undefined, { minutes: Math.ceil(opts.windowMs / 60_000) }));
    },
  };
  return [
    rateLimit({
      ...common,
      limit: options.perEmail,
      // Requests without an email are left to the schema (and still count per address).
      skip: (req) => emailOf(req) === '',
      keyGenerator: (req) => emailOf(req),
      store: new DbRateLimitStore(options.knex, options.clock, `${options.name}:email:`),
    }),
    rateLimit({
      ...common,
      limit: options.perAddress,
      keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
      store: new DbRateLimitStore(options.knex, options.clock, `${options.name}:ip:`),
    }),
  ];
}
