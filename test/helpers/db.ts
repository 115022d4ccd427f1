// Real databases for tests: a fresh SQLite file each time, and — when TEST_MYSQL_URL is set — a fresh
// MariaDB/MySQL database on that server, dropped afterwards. Every test makes its own rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { createDb, type Db, type Dialect } from '../../src/db/knex.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export type TestDatabase = { dialect: Dialect; url: string; db: Db; drop(): Promise<void> };

export const DIALECTS: Dialect[] = process.env.TEST_MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite'];

/** A new, empty database of the dialect (not migrated). */
export async function freshDatabaseUrl(dialect: Dialect): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `chime_t_${crypto.randomBytes(5).toString('hex')}`;
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-test-'));
    return { url: `sqlite:${path.join(dir, `${name}.db`)}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const server = new URL(process.env.TEST_MYSQL_URL!);
  await withServer(server, (admin) => admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`));
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => withServer(server, (admin) => admin.raw(`DROP DATABASE IF EXISTS \`${name}\``)) };
}

/** Runs `fn` on a short-lived connection to the MySQL server itself (no database selected). */
async function withServer(server: URL, fn: (admin: Knex) => Promise<unknown>): Promise<void> {
  const admin = knexFactory({
    client: 'mysql2',
    connection: { host: server.hostname, port: Number(server.port || 3306), user: decodeURIComponent(server.username), password: decodeURIComponent(server.password) },
    pool: { min: 0, max: 1 },
  });
  try {
    await fn(admin);
  } finally {
    await admin.destroy();
  }
}

/** A fresh, migrated database. Call `drop()` when done (closes the pool and removes the database). */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const { url, drop } = await freshDatabaseUrl(dialect);
  const db = createDb(url);
  await migrateToLatest(db);
  return {
    dialect,
    url,
    db,
    drop: async () => {
      await db.close();
      await drop();
    },
  };
}
