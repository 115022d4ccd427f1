// SQL of push registrations. The channel config is stored whole, encrypted with the secret box, and
// comes back decrypted; validating it against the channel's schema is the service's job (and the
// dispatcher's, at send time). Every query of a user's own rows is scoped by user_id.
import type { Knex } from 'knex';
import type { SecretBox } from '../db/secret-box.js';

/** Why messages waiting for a registration that was switched off fail (SEMANTICS §6). */
export const REGISTRATION_DISABLED = 'the registration is disabled';

export type Registration = {
  id: number;
  userId: number;
  channel: string;
  name: string;
  config: Record<string, unknown>;
  enabled: boolean;
  lastSentAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  createdAt: number;
  updatedAt: number;
};

export type RegistrationWrite = { channel: string; name: string; config: Record<string, unknown>; enabled?: boolean };
export type RegistrationPatch = Partial<RegistrationWrite>;

type Row = {
  id: number;
  user_id: number;
  channel: string;
  name: string;
  config_enc: string;
  enabled: number | boolean;
  last_sent_at: number | string | null;
  last_error: string | null;
  last_error_at: number | string | null;
  created_at: number | string;
  updated_at: number | string;
};

const num = (v: number | string | null) => (v == null ? null : Number(v));

const without = (ids: unknown, id: number) => (Array.isArray(ids) ? ids.filter((x) => x !== id) : ids);

/** Removes a registration id from the lists of the user's push settings and task overrides. */
async function forgetRegistration(trx: Knex.Transaction, userId: number, id: number): Promise<void> {
  const settings = (await trx('push_settings').where({ user_id: userId }).first('defaults', 'digest_registration_ids')) as
    | { defaults: string; digest_registration_ids: string | null }
    | undefined;
  if (settings) {
    const defaults = JSON.parse(settings.defaults) as { registrationIds?: unknown };
    const digest = settings.digest_registration_ids === null ? null : (JSON.parse(settings.digest_registration_ids) as unknown);
    await trx('push_settings')
      .where({ user_id: userId })
      .update({
        defaults: JSON.stringify({ ...defaults, registrationIds: without(defaults.registrationIds ?? null, id) }),
        digest_registration_ids: digest === null ? null : JSON.stringify(without(digest, id)),
      });
  }
  // A user's tasks are few (hundreds); only those whose override names registrations change.
  const tasks = (await trx('tasks').where({ user_id: userId }).select('id', 'push')) as { id: number; push: string }[];
  for (const task of tasks) {
    const push = JSON.parse(task.push) as { override?: { registrationIds?: unknown } };
    if (!Array.isArray(push.override?.registrationIds) || !push.override.registrationIds.includes(id)) continue;
    push.override.registrationIds = without(push.override.registrationIds, id);
    await trx('tasks').where({ id: task.id }).update({ push: JSON.stringify(push) });
  }
}

export function registrationsRepo(knex: Knex, box: SecretBox) {
  const toRegistration = (r: Row): Registration => ({
    id: Number(r.id),
    userId: Number(r.user_id),
    channel: r.channel,
    name: r.name,
    config: box.decryptJson<Record<string, unknown>>(r.config_enc),
    enabled: Boolean(Number(r.enabled)),
    lastSentAt: num(r.last_sent_at),
    lastError: r.last_error,
    lastErrorAt: num(r.last_error_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  });

  return {
    async insert(userId: number, write: RegistrationWrite, now: number): Promise<number> {
      const [id] = await knex('push_registrations').insert({
        user_id: userId,
        channel: write.channel,
        name: write.name,
        config_enc: box.encryptJson(write.config),
        enabled: write.enabled === false ? 0 : 1,
        created_at: now,
        updated_at: now,
      });
      return Number(id);
    },

    /**
     * Changes a user's registration; false when it is not theirs. Switching it off fails the messages
     * still queued for it in the same transaction, so the history says why they never went out.
     */
    async update(userId: number, id: number, patch: RegistrationPatch, now: number): Promise<boolean> {
      const changes: Record<string, unknown> = { updated_at: now };
      if (patch.channel !== undefined) changes.channel = patch.channel;
      if (patch.name !== undefined) changes.name = patch.name;
      if (patch.config !== undefined) changes.config_enc = box.encryptJson(patch.config);
      if (patch.enabled !== undefined) changes.enabled = patch.enabled ? 1 : 0;
      return knex.transaction(async (trx) => {
        const changed = await trx('push_registrations').where({ id, user_id: userId }).update(changes);
        if (changed !== 1) return false;
        if (patch.enabled === false) {
          await trx('push_messages')
            .where({ registration_id: id, status: 'queued' })
            .update({ status: 'failed', last_error: REGISTRATION_DISABLED, next_attempt_at: null });
        }
        return true;
      });
    },

    async find(userId: number, id: number): Promise<Registration | undefined> {
      const row = (await knex('push_registrations').where({ id, user_id: userId }).first()) as Row | undefined;
      return row && toRegistration(row);
    },

    /** Any user's registration, for the dispatcher. */
    async findById(id: number): Promise<Registration | undefined> {
      const row = (await knex('push_registrations').where({ id }).first()) as Row | undefined;
      return row && toRegistration(row);
    },

    async listForUser(userId: number): Promise<Registration[]> {
      const rows = (await knex('push_registrations').where({ user_id: userId }).orderBy('id')) as Row[];
      return rows.map(toRegistration);
    },

    /**
     * Deletes a user's registration; its messages, waiting or sent, go with it (cascade). Settings
     * that chose it (the user's defaults and digest, their tasks' overrides) forget it in the same
     * transaction, so they never name a registration that is gone.
     */
    async delete(userId: number, id: number): Promise<boolean> {
      return knex.transaction(async (trx) => {
        if ((await trx('push_registrations').where({ id, user_id: userId }).delete()) !== 1) return false;
        await forgetRegistration(trx, userId, id);
        return true;
      });
    },
  };
}

export type RegistrationsRepo = ReturnType<typeof registrationsRepo>;
