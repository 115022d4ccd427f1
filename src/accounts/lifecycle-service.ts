// The account lifecycle around the basics of service.ts: registering without telling whether an
// address is taken, verifying the address by a mailed link, resetting a forgotten password by mail,
// changing the address, and deleting one's own account.
//
// No enumeration: answers about an address (register, forgot password) are the same whether it is
// registered or not. The slow part of register (the password hash) runs in both cases; the mail of
// "forgot password" is looked up and sent after the answer, so its time does not depend on the address
// either. Mails go out in the background; a failure is logged, never shown to the visitor.
import type { Knex } from 'knex';
import { AppError, invalid } from '../lib/errors.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { hashPassword, verifyPassword } from '../lib/crypto.js';
import { isLanguage, type Language } from '../lib/i18n.js';
import type { Mailer } from '../lib/mailer.js';
import { silentLogger, type Logger } from '../lib/log.js';
import { usersRepo, isUniqueViolation, type User } from './users-repo.js';
import { siteSettingsRepo } from './site-settings.js';
import { auditLog, type AuditContext } from './audit.js';
import { verificationSigner } from './verification.js';
import { newResetToken, passwordResetsRepo } from './password-reset.js';
import { deleteUserData } from './admin-service.js';
import { lifecycleMail, type LifecycleMailKind } from './lifecycle-mails.js';
import type { AccountsService } from './service.js';

export type LifecycleDeps = {
  knex: Knex;
  accounts: AccountsService;
  appSecret: string;
  /** Where links in mails point: BASE_URL, or the address the server listens on — never a request's Host header. */
  linkBase: string;
  mailer?: Mailer;
  clock?: Clock;
  log?: Logger;
};

/** What a registration came to: a new, logged-in-able user, or "pending" (the same answer for a taken address). */
export type RegisterOutcome = { kind: 'created'; user: User } | { kind: 'pending'; checkMail: boolean };

export function createLifecycleService({ knex, accounts, appSecret, linkBase, mailer, clock = systemClock, log = silentLogger }: LifecycleDeps) {
  const users = usersRepo(knex);
  const settings = siteSettingsRepo(knex);
  const audit = auditLog(knex);
  const resets = passwordResetsRepo(knex);
  const signer = verificationSigner(appSecret);
  const background = new Set<Promise<void>>();

  /** Runs `work` after the answer; errors are logged (never with the address or the link). */
  function later(what: string, work: () => Promise<void>) {
    const job = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, `${what} failed`))
      .finally(() => background.delete(job));
    background.add(job);
  }

  function mailLanguage(user: User | undefined, fallback: Language): Language {
    return user?.locale && isLanguage(user.locale) ? user.locale : fallback;
  }

  async function send(kind: LifecycleMailKind, to: string, language: Language, link?: string) {
    if (!mailer) return;
    await mailer.send({ to, ...lifecycleMail(kind, language, { link, email: to }) });
  }

  const verifyLink = (user: User) => `${linkBase}/verify-email?token=${signer.sign(user.id, user.email, clock.now())}`;

  const service = {
    mailConfigured: mailer !== undefined,

    /** Verification is enforced only when the admin asked for it and mail can reach people. */
    async verificationRequired(): Promise<boolean> {
      return mailer !== undefined && (await settings.get()).mustVerifyEmail;
    },

    /** Whether this user is held back from creating tasks and push registrations. */
    async isGated(user: User): Promise<boolean> {
      return user.emailVerifiedAt === null && (await service.verificationRequired());
    },

    /**
     * Registers. While verification is required, a new and a taken address answer alike ("check your
     * mail"): the new one gets a verification link, the owner of the taken one a note. Otherwise a new
     * account is ready at once (as before) and a taken address answers "pending".
     */
    async register(input: { email: string; password: string }, language: Language): Promise<RegisterOutcome> {
      const required = await service.verificationRequired();
      let user: User;
      try {
        user = await accounts.register(input);
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== 'email_taken') throw err;
        later('registration notice', async () => {
          const owner = await users.findByEmail(input.email);
          if (owner) await send('already_registered', owner.email, mailLanguage(owner, language), `${linkBase}/forgot-password`);
        });
        return { kind: 'pending', checkMail: mailer !== undefined };
      }
      if (!required) return { kind: 'created', user };
      later('verification mail', () => send('verify', user.email, language, verifyLink(user)));
      return { kind: 'pending', checkMail: true };
    },

    /** A verification link to the user's current address (the banner's "resend", the account page). */
    async sendVerification(user: User, language: Language): Promise<void> {
      if (!mailer) throw new AppError(409, 'mail_not_configured', 'lifecycle.errors.mail_not_configured');
      if (user.emailVerifiedAt !== null) return;
      later('verification mail', () => send('verify', user.email, mailLanguage(user, language), verifyLink(user)));
    },

    /** Marks the address verified when the link is ours, current and for the address the user still has. */
    async verifyEmail(token: string, ctx: AuditContext): Promise<User> {
      const claim = signer.parse(token);
      const user = claim && (await users.findById(claim.userId));
      if (!user || !signer.check(token, user.email, clock.now())) {
        throw new AppError(400, 'invalid_link', 'lifecycle.errors.verify_link_invalid', { token: { key: 'lifecycle.errors.verify_link_invalid' } });
      }
      if (user.emailVerifiedAt === null) {
        await users.update(user.id, { emailVerifiedAt: clock.now() }, clock.now());
        await audit.record({ action: 'email.verified', targetType: 'user', targetId: user.id }, { actorUserId: user.id, ...ctx }, clock.now());
      }
      return (await users.findById(user.id))!;
    },

    /** Mails a reset link when the address belongs to an active user; answers at once either way. */
    requestPasswordReset(email: string, language: Language, ctx: AuditContext): void {
      later('password reset mail', async () => {
        const user = await users.findByEmail(email);
        if (!user || user.status !== 'active' || !mailer) return;
        const token = newResetToken();
        await resets.insert(user.id, token, clock.now());
        await audit.record({ action: 'password.reset_requested', targetType: 'user', targetId: user.id }, ctx, clock.now());
        await send('reset', user.email, mailLanguage(user, language), `${linkBase}/reset-password?token=${token}`);
      });
    },

    /** Whether a reset link can still be used (the form is shown only then). */
    async resetLinkLive(token: string): Promise<boolean> {
      return (await resets.liveUserId(token, clock.now())) !== undefined;
    },

    /** Uses a reset link once: a new password, every session and API token of the user ended. */
    async resetPassword(input: { token: string; newPassword: string }, ctx: AuditContext): Promise<void> {
      const passwordHash = await hashPassword(input.newPassword);
      const now = clock.now();
      await knex.transaction(async (trx) => {
        const userId = await resets.claim(input.token, now, trx);
        if (userId === undefined) throw new AppError(400, 'invalid_link', 'lifecycle.errors.reset_link_invalid', { token: { key: 'lifecycle.errors.reset_link_invalid' } });
        const user = await usersRepo(trx).findById(userId);
        // The link reached the mailbox, which proves the address as well as a verification link would.
        await usersRepo(trx).update(userId, { passwordHash, ...(user?.emailVerifiedAt === null ? { emailVerifiedAt: now } : {}) }, now);
        await trx('sessions').where({ user_id: userId }).delete();
        await trx('api_tokens').where({ user_id: userId }).delete();
        await resets.revokeForUser(userId, now, trx);
        await audit.record({ action: 'password.reset', targetType: 'user', targetId: userId, detail: { via: 'mail' } }, ctx, now, trx);
      });
    },

    /**
     * Changes the address (current password required). The new one starts unverified and gets a
     * verification link; the old one is told; reset links sent to the old one stop working.
     */
    async changeEmail(user: User, input: { currentPassword: string; email: string }, language: Language, ctx: AuditContext): Promise<User> {
      if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
        throw invalid({ currentPassword: { key: 'errors.current_password_wrong' } });
      }
      if (input.email === user.email) return user;
      const now = clock.now();
      try {
        await knex.transaction(async (trx) => {
          await usersRepo(trx).update(user.id, { email: input.email, emailVerifiedAt: null }, now);
          await resets.revokeForUser(user.id, now, trx);
          await audit.record({ action: 'email.changed', targetType: 'user', targetId: user.id, detail: { from: user.email, to: input.email } }, { actorUserId: user.id, ...ctx }, now, trx);
        });
      } catch (err) {
        // A logged-in user learns that much; the message does not say "registered".
        if (isUniqueViolation(err)) throw new AppError(409, 'email_unavailable', 'lifecycle.errors.email_unavailable', { email: { key: 'lifecycle.errors.email_unavailable' } });
        throw err;
      }
      const changed = (await users.findById(user.id))!;
      const lang = mailLanguage(changed, language);
      later('verification mail', () => send('verify', changed.email, lang, verifyLink(changed)));
      later('email change notice', () => send('email_changed', user.email, lang));
      return changed;
    },

    /** Deletes the user's own account and all their data; the last active admin cannot. */
    async deleteAccount(user: User, input: { currentPassword: string }, ctx: AuditContext): Promise<void> {
      if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
        throw invalid({ currentPassword: { key: 'errors.current_password_wrong' } });
      }
      await knex.transaction(async (trx) => {
        const target = await trx('users').where({ id: user.id }).first('role', 'status');
        if (target?.role === 'admin' && target.status === 'active' && (await usersRepo(trx).countOtherActiveAdmins(trx, user.id)) === 0) {
          throw new AppError(409, 'last_admin', 'errors.last_admin');
        }
        await deleteUserData(trx, user.id);
        await audit.record({ action: 'account.deleted', targetType: 'user', targetId: user.id, detail: { email: user.email } }, { actorUserId: user.id, ...ctx }, clock.now(), trx);
      });
    },

    /** Resolves when the mails queued so far have been handled (tests, shutdown). */
    async settled(): Promise<void> {
      while (background.size) await Promise.all([...background]);
    },
  };
  return service;
}

export type LifecycleService = ReturnType<typeof createLifecycleService>;
