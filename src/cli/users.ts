// The admin CLI's user commands: create (with --admin), reset a password (which ends every session
// and revokes every token of the user), list, disable. Passwords come from stdin (piped) or a
// prompt that does not echo; they are checked by the same rules as the register form. Every change
// is written to the audit log like the same change made in the admin pages, with no actor user (the
// CLI has no login) and `via: "cli"` in its detail, so the log shows who could have done it.
import type { Knex } from 'knex';
import type { z } from 'zod';
import { translator } from '../lib/i18n.js';
import { fieldErrorsFrom } from '../lib/validation.js';
import { hashPassword } from '../lib/crypto.js';
import { usersRepo, isUniqueViolation, type User } from '../accounts/users-repo.js';
import { emailSchema, newPasswordSchema } from '../accounts/schema.js';
import { passwordResetsRepo } from '../accounts/password-reset.js';
import { auditLog } from '../accounts/audit.js';
import { CliError } from './backup.js';

/** What the audit log records as the actor of a CLI command: no user, no address. */
const CLI_ACTOR = { actorUserId: null, ip: null };
const VIA_CLI = { via: 'cli' } as const;

/** The value as the schema reads it, or a CliError with the page's own English message. */
function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const t = translator('en');
  const messages = Object.values(fieldErrorsFrom(result.error)).map((m) => t(m.key, m.params));
  throw new CliError(`${what} is not valid: ${messages.join(' ')}`);
}

/** The address as the register form would store it, or a CliError saying why it is refused. */
export const checkedEmail = (email: string): string => checked(emailSchema, email, 'The email');

export async function createUser(knex: Knex, email: string, password: string, admin: boolean, now: number): Promise<string> {
  const address = checkedEmail(email);
  checked(newPasswordSchema, password, 'The password');
  const passwordHash = await hashPassword(password);
  const role = admin ? 'admin' : 'user';
  let id = 0;
  try {
    // One transaction: never an admin-to-be left behind as a plain user, nor a user without its entry.
    await knex.transaction(async (trx) => {
      id = await usersRepo(trx).insert({ email: address, passwordHash, now });
      // The admin typing the address vouches for it: no verification link is needed (or could be sent before mail is set up).
      await usersRepo(trx).update(id, { emailVerifiedAt: now, ...(admin ? { role: 'admin' as const } : {}) }, now, trx);
      await auditLog(trx).record({ action: 'user.created', targetType: 'user', targetId: id, detail: { email: address, role, ...VIA_CLI } }, CLI_ACTOR, now, trx);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new CliError(`There is already a user ${address}.`);
    throw err;
  }
  return `Created ${role} ${address} (id ${id}).`;
}

/** The user of an address, or a CliError naming the address. */
export async function existingUser(knex: Knex, email: string): Promise<User> {
  const user = await usersRepo(knex).findByEmail(email.trim().toLowerCase());
  if (!user) throw new CliError(`There is no user ${email}.`);
  return user;
}

export async function resetPassword(knex: Knex, email: string, password: string, now: number): Promise<string> {
  checked(newPasswordSchema, password, 'The password');
  const user = await existingUser(knex, email);
  const hash = await hashPassword(password);
  await knex.transaction(async (trx) => {
    await usersRepo(trx).update(user.id, { passwordHash: hash }, now);
    await trx('sessions').where({ user_id: user.id }).delete();
    await trx('api_tokens').where({ user_id: user.id }).delete();
    // A reset link mailed before must not undo the password the admin just set.
    await passwordResetsRepo(trx).revokeForUser(user.id, now, trx);
    await auditLog(trx).record({ action: 'password.reset_cli', targetType: 'user', targetId: user.id, detail: VIA_CLI }, CLI_ACTOR, now, trx);
  });
  return `Set a new password for ${user.email}; their sessions were ended and their API tokens revoked.`;
}

export async function listUsers(knex: Knex): Promise<string> {
  const { items, total } = await usersRepo(knex).list({ limit: 10_000, offset: 0 });
  const rows = items.map((u) => [String(u.id), u.email, u.role, u.status, new Date(u.createdAt).toISOString().slice(0, 16).replace('T', ' ')]);
  const header = ['id', 'email', 'role', 'status', 'created (UTC)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line), `${total} user(s)`].join('\n');
}

export async function disableUser(knex: Knex, email: string, now: number): Promise<string> {
  const user = await existingUser(knex, email);
  if (user.status === 'disabled') return `${user.email} is disabled already.`;
  await knex.transaction(async (trx) => {
    if (user.role === 'admin') {
      const others = await usersRepo(trx).countOtherActiveAdmins(trx, user.id);
      if (others === 0) throw new CliError(`${user.email} is the last active admin; make someone else admin first.`);
    }
    await usersRepo(trx).update(user.id, { status: 'disabled' }, now, trx);
    await trx('sessions').where({ user_id: user.id }).delete();
    await auditLog(trx).record({ action: 'user.disabled', targetType: 'user', targetId: user.id, detail: VIA_CLI }, CLI_ACTOR, now, trx);
  });
  return `Disabled ${user.email}; they are logged out everywhere and their API tokens stop working.`;
}
