// The admin CLI's user commands: create (with --admin), reset a password (which ends every session
// and revokes every token of the user), list, disable. Passwords come from stdin (piped) or a
// prompt that does not echo; they are checked by the same rules as the register form.
import type { Knex } from 'knex';
import { hashPassword } from '../lib/crypto.js';
import { usersRepo, isUniqueViolation } from '../accounts/users-repo.js';
import { emailSchema, newPasswordSchema } from '../accounts/schema.js';
import { CliError } from './backup.js';
import { auditLog } from '../accounts/audit.js';

function checked<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } } }, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new CliError(`${what} is not valid (${result.error.issues.map((i) => i.message.replace(/^errors\./, '')).join(', ')}).`);
  return result.data;
}

export async function createUser(knex: Knex, email: string, password: string, admin: boolean, now: number): Promise<string> {
  const address = checked(emailSchema, email, 'The email');
  checked(newPasswordSchema, password, 'The password');
  const users = usersRepo(knex);
  let id: number;
  try {
    id = await users.insert({ email: address, passwordHash: await hashPassword(password), now });
  } catch (err) {
    if (isUniqueViolation(err)) throw new CliError(`There is already a user ${address}.`);
    throw err;
  }
  if (admin) await users.update(id, { role: 'admin' }, now);
  return `Created ${admin ? 'admin' : 'user'} ${address} (id ${id}).`;
}

async function existing(knex: Knex, email: string) {
  const user = await usersRepo(knex).findByEmail(email.trim().toLowerCase());
  if (!user) throw new CliError(`There is no user ${email}.`);
  return user;
}

export async function resetPassword(knex: Knex, email: string, password: string, now: number): Promise<string> {
  checked(newPasswordSchema, password, 'The password');
  const user = await existing(knex, email);
  const hash = await hashPassword(password);
  await knex.transaction(async (trx) => {
    await usersRepo(trx).update(user.id, { passwordHash: hash }, now);
    await trx('sessions').where({ user_id: user.id }).delete();
    await trx('api_tokens').where({ user_id: user.id }).delete();
    await auditLog(trx).record({ action: 'password.reset_cli', targetType: 'user', targetId: user.id }, {}, now);
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
  const user = await existing(knex, email);
  if (user.status === 'disabled') return `${user.email} is disabled already.`;
  await knex.transaction(async (trx) => {
    if (user.role === 'admin') {
      const others = await usersRepo(trx).countOtherActiveAdmins(trx, user.id);
      if (others === 0) throw new CliError(`${user.email} is the last active admin; make someone else admin first.`);
    }
    await usersRepo(trx).update(user.id, { status: 'disabled' }, now);
    await trx('sessions').where({ user_id: user.id }).delete();
  });
  return `Disabled ${user.email}; they are logged out everywhere and their API tokens stop working.`;
}
