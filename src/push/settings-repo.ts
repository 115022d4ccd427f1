// SQL of push_settings: a user's defaults and digest settings, and the digest job's claim (the anchor
// moves forward in a compare-and-set, so of several instances exactly one sends each window).
import type { Knex } from 'knex';
import { DEFAULT_PUSH_DEFAULTS, pushDefaultsSchema, type DigestSettings, type PushDefaults } from './settings-schema.js';

export type StoredPushSettings = {
  defaults: PushDefaults;
  digest: DigestSettings & { nextAt: number | null };
  /** False when the user never saved settings (everything is the default). */
  saved: boolean;
};

type Row = {
  user_id: number | string;
  defaults: string;
  digest_enabled: number | boolean;
  digest_first_at: string;
  digest_interval_seconds: number | string;
  digest_timezone: string | null;
  digest_registration_ids: string | null;
  digest_next_at: number | string | null;
};

export const DEFAULT_DIGEST: DigestSettings = { enabled: false, firstAt: '08:00:00', intervalSeconds: 86400, timezone: null, registrationIds: null };

function toSettings(row: Row | undefined): StoredPushSettings {
  if (!row) return { defaults: DEFAULT_PUSH_DEFAULTS, digest: { ...DEFAULT_DIGEST, nextAt: null }, saved: false };
  // Parsed with defaults, so a setting added later reads as its default in old rows.
  const defaults = pushDefaultsSchema.parse(JSON.parse(row.defaults));
  return {
    defaults,
    digest: {
      enabled: Boolean(Number(row.digest_enabled)),
      firstAt: row.digest_first_at,
      intervalSeconds: Number(row.digest_interval_seconds),
      timezone: row.digest_timezone,
      registrationIds: row.digest_registration_ids == null ? null : (JSON.parse(row.digest_registration_ids) as number[]),
      nextAt: row.digest_next_at == null ? null : Number(row.digest_next_at),
    },
    saved: true,
  };
}

export function pushSettingsRepo(knex: Knex) {
  return {
    async get(userId: number): Promise<StoredPushSettings> {
      return toSettings((await knex('push_settings').where({ user_id: userId }).first()) as Row | undefined);
    },

    /** The settings of several users at once (the digest job, run completion). */
    async getMany(userIds: number[]): Promise<Map<number, StoredPushSettings>> {
      const rows = userIds.length ? ((await knex('push_settings').whereIn('user_id', userIds)) as Row[]) : [];
      const byUser = new Map(rows.map((r) => [Number(r.user_id), toSettings(r)]));
      return new Map(userIds.map((id) => [id, byUser.get(id) ?? toSettings(undefined)]));
    },

    async save(userId: number, defaults: PushDefaults, digest: DigestSettings, nextAt: number | null, now: number): Promise<void> {
      const row = {
        defaults: JSON.stringify(defaults),
        digest_enabled: digest.enabled ? 1 : 0,
        digest_first_at: digest.firstAt,
        digest_interval_seconds: digest.intervalSeconds,
        digest_timezone: digest.timezone ?? null,
        digest_registration_ids: digest.registrationIds === null ? null : JSON.stringify(digest.registrationIds),
        digest_next_at: nextAt,
        updated_at: now,
      };
      await knex('push_settings').insert({ user_id: userId, ...row }).onConflict('user_id').merge(row);
    },

    /** Users whose digest anchor is due, earliest first (index push_settings_digest_next_at). */
    async dueDigests(now: number, limit: number): Promise<{ userId: number; nextAt: number }[]> {
      const rows = (await knex('push_settings')
        .select('user_id', 'digest_next_at')
        .where('digest_next_at', '<=', now)
        .orderBy('digest_next_at')
        .limit(limit)) as Row[];
      return rows.map((r) => ({ userId: Number(r.user_id), nextAt: Number(r.digest_next_at) }));
    },

    /** The earliest anchor after `after`, for the job's sleep. */
    async earliestDigest(after: number): Promise<number | null> {
      const row = (await knex('push_settings').where('digest_next_at', '>', after).min({ at: 'digest_next_at' }).first()) as { at: number | string | null } | undefined;
      return row?.at == null ? null : Number(row.at);
    },

    /** Moves the anchor from `from` to `to` (null: the digest is off); true only for the one caller that did (the claim). */
    async advanceDigest(trx: Knex | Knex.Transaction, userId: number, from: number, to: number | null): Promise<boolean> {
      return (await trx('push_settings').where({ user_id: userId, digest_next_at: from }).update({ digest_next_at: to })) === 1;
    },
  };
}

export type PushSettingsRepo = ReturnType<typeof pushSettingsRepo>;
