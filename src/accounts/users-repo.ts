// SQL for users. Rows are mapped to plain objects here and nowhere else.
import type { Knex } from 'knex';

export type Role = 'admin' | 'user';
export type UserStatus = 'active' | 'disabled';

export type User = {
  id: number;
  email: string;
  passwordHash: string;
  role: Role;
  status: UserStatus;
  locale: string | null;
  timezone: string | null;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
  /** When the address was proved by a mailed link; null: never (or changed since). */
  emailVerifiedAt: number | null;
};

type UserRow = {
  id: number;
  email: string;
  password_hash: string;
  role: string;
  status: string;
  locale: string | null;
  timezone: string | null;
  created_at: number | string;
  updated_at: number | string;
  last_login_at: number | string | null;
  email_verified_at: number | string | null;
};

function toUser(row: UserRow): User {
  return {
    id: Number(row.id),
    email: row.email,
    passwordHash: row.password_hash,
    role: row.role === 'admin' ? 'admin' : 'user',
    status: row.status === 'disabled' ? 'disabled' : 'active',
    locale: row.locale,
    timezone: row.timezone,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastLoginAt: row.last_login_at === null ? null : Number(row.last_login_at),
    emailVerifiedAt: row.email_verified_at == null ? null : Number(row.email_verified_at),
  };
}

export function usersRepo(knex: Knex) {
  const users = () => knex<UserRow>('users');
  return {
    async findById(id: number): Promise<User | undefined> {
      const row = await users().where({ id }).first();
      return row && toUser(row);
    },

    async findByEmail(email: string): Promise<User | undefined> {
      const row = await users().where({ email }).first();
      return row && toUser(row);
    },

    /** Inserts a user; throws the driver's unique-violation error when the email is taken. */
    async insert(input: { email: string; passwordHash: string; now: number }): Promise<number> {
      const [id] = await users().insert({
        email: input.email,
        password_hash: input.passwordHash,
        role: 'user',
        status: 'active',
        created_at: input.now,
        updated_at: input.now,
      });
      return Number(id);
    },

    async lowestId(): Promise<number | undefined> {
      const row = (await users().min({ id: 'id' }).first()) as { id: number | null } | undefined;
      return row?.id == null ? undefined : Number(row.id);
    },

    async update(
      id: number,
      changes: Partial<Pick<User, 'role' | 'status' | 'locale' | 'timezone' | 'passwordHash' | 'lastLoginAt' | 'email' | 'emailVerifiedAt'>>,
      now: number,
      trx: Knex = knex,
    ): Promise<void> {
      const row: Partial<UserRow> = { updated_at: now };
      if (changes.role !== undefined) row.role = changes.role;
      if (changes.status !== undefined) row.status = changes.status;
      if (changes.locale !== undefined) row.locale = changes.locale;
      if (changes.timezone !== undefined) row.timezone = changes.timezone;
      if (changes.passwordHash !== undefined) row.password_hash = changes.passwordHash;
      if (changes.lastLoginAt !== undefined) row.last_login_at = changes.lastLoginAt;
      if (changes.email !== undefined) row.email = changes.email;
      if (changes.emailVerifiedAt !== undefined) row.email_verified_at = changes.emailVerifiedAt;
      await trx<UserRow>('users').where({ id }).update(row);
    },

    async delete(id: number, trx: Knex = knex): Promise<void> {
      await trx<UserRow>('users').where({ id }).delete();
    },

    /** Active admins other than `exceptId`, locked for the rest of the transaction on MySQL. */
    async countOtherActiveAdmins(trx: Knex.Transaction, exceptId: number): Promise<number> {
      let query = trx<UserRow>('users').select('id').where({ role: 'admin', status: 'active' }).whereNot({ id: exceptId });
      if (trx.client.config.client === 'mysql2') query = query.forUpdate();
      return (await query).length;
    },

    async list(page: { limit: number; offset: number }): Promise<{ items: User[]; total: number }> {
      const [rows, countRow] = await Promise.all([
        users().orderBy('id', 'asc').limit(page.limit).offset(page.offset),
        users().count({ n: '*' }).first(),
      ]);
      return { items: rows.map(toUser), total: Number((countRow as { n: number | string } | undefined)?.n ?? 0) };
    },
  };
}

export type UsersRepo = ReturnType<typeof usersRepo>;

/** True for the unique-violation errors of SQLite and MySQL. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
