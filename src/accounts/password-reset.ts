// SQL for password reset links: a random token mailed to the user, only its SHA-256 stored. A link
// works once (claimed with a conditional UPDATE, so two clicks at once cannot both win) and for an hour.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { sha256Hex } from '../lib/crypto.js';

export const RESET_TTL_MS = 60 * 60 * 1000;

type ResetRow = { id: number; user_id: number; token_hash: string; created_at: number | string; expires_at: number | string; used_at: number | string | null };

export function newResetToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function passwordResetsRepo(knex: Knex) {
  const resets = (trx: Knex = knex) => trx<ResetRow>('password_resets');
  return {
    async insert(userId: number, token: string, now: number): Promise<void> {
      await resets().insert({ user_id: userId, token_hash: sha256Hex(token), created_at: now, expires_at: now + RESET_TTL_MS });
    },

    /** The user a live (unused, unexpired) token belongs to, without using it. */
    async liveUserId(token: string, now: number): Promise<number | undefined> {
      const row = await resets().where({ token_hash: sha256Hex(token) }).whereNull('used_at').andWhere('expires_at', '>', now).first('user_id');
      return row ? Number(row.user_id) : undefined;
    },

    /** Marks a live token used; the user id when this call won it, undefined otherwise. */
    async claim(token: string, now: number, trx: Knex): Promise<number | undefined> {
      const hash = sha256Hex(token);
      const changed = await resets(trx).where({ token_hash: hash }).whereNull('used_at').andWhere('expires_at', '>', now).update({ used_at: now });
      if (changed !== 1) return undefined;
      const row = await resets(trx).where({ token_hash: hash }).first('user_id');
      return row ? Number(row.user_id) : undefined;
    },

    /** Every outstanding link of the user stops working (a reset went through, the address changed). */
    async revokeForUser(userId: number, now: number, trx: Knex = knex): Promise<void> {
      await resets(trx).where({ user_id: userId }).whereNull('used_at').update({ used_at: now });
    },

    async purgeExpired(now: number): Promise<number> {
      return resets().where('expires_at', '<=', now).delete();
    },
  };
}
