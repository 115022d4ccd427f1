// Accounts: registration, login, preferences, passwords and API tokens.
import type { Knex } from 'knex';
import { AppError, invalid, notFound } from '../lib/errors.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { generateApiToken, hashPassword, sha256Hex, verifyAgainstDecoy, verifyPassword, API_TOKEN_PREFIX } from '../lib/crypto.js';
import { isUniqueViolation, usersRepo, type User } from './users-repo.js';
import { tokensRepo, type ApiToken } from './tokens-repo.js';
import { sessionsRepo } from './session-store.js';
import { siteSettingsRepo } from './site-settings.js';
import type { Language } from '../lib/i18n.js';
import { auditLog, type AuditContext } from './audit.js';

export type AccountsDeps = { knex: Knex; clock?: Clock };

export function createAccountsService({ knex, clock = systemClock }: AccountsDeps) {
  const users = usersRepo(knex);
  const tokens = tokensRepo(knex);
  const sessions = sessionsRepo(knex);
  const settings = siteSettingsRepo(knex);
  const audit = auditLog(knex);

  return {
    /**
     * Creates an account. A taken email throws `email_taken` only after the same password hash a new
     * account costs; callers turn it into the same answer as a success (lifecycle-service.ts).
     */
    async register(input: { email: string; password: string }): Promise<User> {
      if (!(await settings.get()).registrationOpen) {
        throw new AppError(403, 'registration_closed', 'errors.registration_closed');
      }
      const passwordHash = await hashPassword(input.password);
      let id: number;
      try {
        id = await users.insert({ email: input.email, passwordHash, now: clock.now() });
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError(409, 'email_taken', 'errors.email_taken', { email: { key: 'errors.email_taken' } });
        throw err;
      }
      // The first user ever is the admin. Deciding by "lowest id" after the insert (not "no users"
      // before it) stays right when two people register at the same moment.
      if ((await users.lowestId()) === id) await users.update(id, { role: 'admin' }, clock.now());
      return (await users.findById(id))!;
    },

    /** Checks credentials. Wrong email and wrong password read the same, and take the same time. */
    async authenticate(input: { email: string; password: string }): Promise<User> {
      const user = await users.findByEmail(input.email);
      const ok = user ? await verifyPassword(input.password, user.passwordHash) : await verifyAgainstDecoy(input.password);
      if (!user || !ok) throw new AppError(401, 'invalid_credentials', 'errors.invalid_credentials');
      if (user.status !== 'active') throw new AppError(403, 'account_disabled', 'errors.account_disabled');
      return user;
    },

    async recordLogin(userId: number): Promise<void> {
      await users.update(userId, { lastLoginAt: clock.now() }, clock.now());
    },

    /** The user behind a session, or undefined when the user is gone or disabled. */
    async activeUser(userId: number): Promise<User | undefined> {
      const user = await users.findById(userId);
      return user?.status === 'active' ? user : undefined;
    },

    async updatePreferences(userId: number, changes: { locale?: Language | null; timezone?: string | null }): Promise<User> {
      await users.update(userId, changes, clock.now());
      return (await users.findById(userId))!;
    },

    /** Changes the password and ends the user's other sessions. */
    async changePassword(user: User, input: { currentPassword: string; newPassword: string }, keepSid?: string, ctx: AuditContext = {}): Promise<void> {
      if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
        throw invalid({ currentPassword: { key: 'errors.current_password_wrong' } });
      }
      await users.update(user.id, { passwordHash: await hashPassword(input.newPassword) }, clock.now());
      await knex('sessions').where({ user_id: user.id }).whereNot({ sid: keepSid ?? '' }).delete();
      await audit.record({ action: 'password.changed', targetType: 'user', targetId: user.id }, { actorUserId: user.id, ...ctx }, clock.now());
    },

    async createToken(userId: number, name: string, ctx: AuditContext = {}): Promise<{ id: number; name: string; token: string }> {
      const token = generateApiToken();
      const hint = token.slice(0, API_TOKEN_PREFIX.length + 4);
      const id = await tokens.insert({ userId, name, hash: sha256Hex(token), hint, now: clock.now() });
      // The name and id only: never the token or its hint.
      await audit.record({ action: 'token.created', targetType: 'api_token', targetId: id, detail: { name, userId } }, { actorUserId: userId, ...ctx }, clock.now());
      return { id, name, token };
    },

    listTokens(userId: number): Promise<ApiToken[]> {
      return tokens.listForUser(userId);
    },

    async revokeToken(userId: number, tokenId: number, ctx: AuditContext = {}): Promise<void> {
      if (!(await tokens.deleteForUser(userId, tokenId))) throw notFound();
      await audit.record({ action: 'token.revoked', targetType: 'api_token', targetId: tokenId, detail: { userId } }, { actorUserId: userId, ...ctx }, clock.now());
    },

    /** The active user a bearer token belongs to, or undefined. */
    async userForToken(token: string): Promise<User | undefined> {
      if (!token.startsWith(API_TOKEN_PREFIX)) return undefined;
      const found = await tokens.findByHash(sha256Hex(token));
      if (!found) return undefined;
      const user = await users.findById(found.userId);
      if (user?.status !== 'active') return undefined;
      await tokens.markUsed(found.id, clock.now());
      return user;
    },

    endAllSessions(userId: number): Promise<void> {
      return sessions.deleteForUser(userId);
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
