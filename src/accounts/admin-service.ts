// What admins do: manage users and site settings. The last active admin cannot be disabled,
// demoted or deleted, so the site always has someone who can manage it.
import type { Knex } from 'knex';
import { AppError, notFound } from '../lib/errors.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { usersRepo, type Role, type User, type UserStatus } from './users-repo.js';
import { sessionsRepo } from './session-store.js';
import { siteSettingsRepo, type SiteSettings } from './site-settings.js';
import { auditLog, type AuditContext } from './audit.js';

export type AdminDeps = { knex: Knex; clock?: Clock };

export const USERS_PAGE_SIZE = 50;

export function createAdminService({ knex, clock = systemClock }: AdminDeps) {
  const users = usersRepo(knex);
  const sessions = sessionsRepo(knex);
  const settings = siteSettingsRepo(knex);
  const audit = auditLog(knex);

  /** Runs `change` on `targetId` inside a transaction that first checks the last-admin rule. */
  async function guarded(targetId: number, losesAdmin: boolean, change: (trx: Knex.Transaction) => Promise<void>) {
    await knex.transaction(async (trx) => {
      const target = await trx('users').where({ id: targetId }).first('id', 'role', 'status');
      if (!target) throw notFound();
      if (losesAdmin && target.role === 'admin' && target.status === 'active') {
        if ((await users.countOtherActiveAdmins(trx, targetId)) === 0) {
          throw new AppError(409, 'last_admin', 'errors.last_admin');
        }
      }
      await change(trx);
    });
  }

  return {
    listUsers(page: number) {
      return users.list({ limit: USERS_PAGE_SIZE, offset: (Math.max(1, page) - 1) * USERS_PAGE_SIZE });
    },

    async getUser(id: number): Promise<User> {
      const user = await users.findById(id);
      if (!user) throw notFound();
      return user;
    },

    async updateUser(actor: User, targetId: number, changes: { status?: UserStatus; role?: Role }, ctx: AuditContext = {}): Promise<User> {
      if (targetId === actor.id && changes.status === 'disabled') {
        throw new AppError(409, 'self_disable', 'errors.cannot_disable_self');
      }
      const losesAdmin = changes.status === 'disabled' || changes.role === 'user';
      await guarded(targetId, losesAdmin, async (trx) => {
        await users.update(targetId, changes, clock.now(), trx);
        // Disabled means logged out everywhere at once; their tokens stop working because every
        // token check reads the user's status.
        if (changes.status === 'disabled') await sessions.deleteForUser(targetId, trx);
        const who = { actorUserId: actor.id, ...ctx };
        const target = { targetType: 'user', targetId };
        if (changes.status) await audit.record({ action: changes.status === 'disabled' ? 'user.disabled' : 'user.enabled', ...target }, who, clock.now(), trx);
        if (changes.role) await audit.record({ action: 'user.role_changed', ...target, detail: { role: changes.role } }, who, clock.now(), trx);
      });
      return (await users.findById(targetId))!;
    },

    async deleteUser(actor: User, targetId: number, ctx: AuditContext = {}): Promise<void> {
      if (targetId === actor.id) throw new AppError(409, 'self_delete', 'errors.cannot_delete_self');
      await guarded(targetId, true, async (trx) => {
        const target = await trx('users').where({ id: targetId }).first('email');
        await deleteUserData(trx, targetId);
        await audit.record({ action: 'user.deleted', targetType: 'user', targetId, detail: { email: target?.email } }, { actorUserId: actor.id, ...ctx }, clock.now(), trx);
      });
    },

    getSettings(): Promise<SiteSettings> {
      return settings.get();
    },

    async updateSettings(changes: Partial<SiteSettings>, ctx: AuditContext = {}): Promise<SiteSettings> {
      const before = await settings.get();
      await settings.set(changes, clock.now());
      const after = await settings.get();
      // Only what changed, as {key: [before, after]}: site settings hold no secrets.
      const diff = Object.fromEntries(
        (Object.keys(changes) as (keyof SiteSettings)[]).filter((k) => before[k] !== after[k]).map((k) => [k, [before[k], after[k]]]),
      );
      if (Object.keys(diff).length) await audit.record({ action: 'settings.changed', targetType: 'site', detail: diff }, ctx, clock.now());
      return after;
    },

    /** Admin actions and security events, newest first. */
    listAudit(query: { before?: number; limit?: number; action?: string }) {
      return audit.list(query);
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;

/**
 * Removes a user and everything they own. Tasks go first: a task's template is RESTRICT, and SQLite
 * would refuse the user's templates while their tasks still point at them. The rest (templates, runs,
 * registrations, messages, settings, tokens, sessions, reset links) goes with the user by ON DELETE
 * CASCADE.
 */
export async function deleteUserData(trx: Knex, userId: number): Promise<void> {
  await trx('tasks').where({ user_id: userId }).delete();
  await trx('users').where({ id: userId }).delete();
}
