// express-session's store on our database, so every instance shares logins. Each row records its
// user, which lets us end all sessions of a user at once (disabled, deleted, password reset).
import session from 'express-session';
import type { Knex } from 'knex';
import type { Clock } from '../lib/clock.js';

type SessionRow = { sid: string; user_id: number | null; data: string; expires_at: number | string };

// A visitor who never logs in keeps their (CSRF-only) session for a day, not for the full term.
const ANONYMOUS_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_TTL_MS = 30 * 24 * 60 * 60 * 1000;
// Expiry moves forward on activity, but writing it on every request is waste.
const TOUCH_GRANULARITY_MS = 60 * 60 * 1000;

type Callback = (err?: unknown) => void;

export class DbSessionStore extends session.Store {
  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
  ) {
    super();
  }

  private expiryOf(data: session.SessionData): number {
    const now = this.clock.now();
    if (!data.userId) return now + ANONYMOUS_TTL_MS;
    const expires = data.cookie?.expires ? new Date(data.cookie.expires).getTime() : NaN;
    return Number.isFinite(expires) ? expires : now + DEFAULT_TTL_MS;
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    this.knex<SessionRow>('sessions')
      .where({ sid })
      .andWhere('expires_at', '>', this.clock.now())
      .first()
      .then((row) => callback(null, row ? (JSON.parse(row.data) as session.SessionData) : null), callback);
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    const now = this.clock.now();
    const row = { sid, user_id: data.userId ?? null, data: JSON.stringify(data), expires_at: this.expiryOf(data) };
    this.knex('sessions')
      .insert({ ...row, created_at: now, updated_at: now })
      .onConflict('sid')
      .merge({ user_id: row.user_id, data: row.data, expires_at: row.expires_at, updated_at: now })
      .then(() => callback?.(), (err) => callback?.(err));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.knex('sessions')
      .where({ sid })
      .delete()
      .then(() => callback?.(), (err) => callback?.(err));
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    const expiresAt = this.expiryOf(data);
    this.knex('sessions')
      .where({ sid })
      .andWhere('expires_at', '<', expiresAt - TOUCH_GRANULARITY_MS)
      .update({ expires_at: expiresAt, updated_at: this.clock.now() })
      .then(() => callback?.(), (err) => callback?.(err));
  }
}

export function sessionsRepo(knex: Knex) {
  return {
    async deleteForUser(userId: number, trx: Knex = knex): Promise<void> {
      await trx('sessions').where({ user_id: userId }).delete();
    },
    async purgeExpired(now: number): Promise<number> {
      return knex('sessions').where('expires_at', '<=', now).delete();
    },
  };
}

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    flash?: { type: 'success' | 'error' | 'info'; key: string; params?: Record<string, string | number> }[];
    /** A just-created API token, shown once on the next page and then forgotten. */
    newToken?: { name: string; token: string };
  }
}
