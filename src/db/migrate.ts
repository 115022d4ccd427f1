// Runs the migrations in migrations/ (one change per timestamped file). Several instances may start
// at once against one database: one applies the migrations, the others wait for it and then go on.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import type { Db } from './knex.js';

// ../../migrations from src/db (tsx) and from dist/src/db (compiled) alike.
const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
const MIGRATION_FILE = /^\d{14}_[\w-]+\.(ts|js)$/;

type Migration = { up(knex: Knex): Promise<void>; down?(knex: Knex): Promise<void> };

/** Lists migrations by name without extension, so the .ts and compiled .js files are the same one. */
class DirectoryMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return fs
      .readdirSync(MIGRATIONS_DIR)
      .filter((f) => MIGRATION_FILE.test(f) && !f.endsWith('.d.ts'))
      .map((f) => f.replace(/\.(ts|js)$/, ''))
      .sort();
  }
  getMigrationName(name: string): string {
    return name;
  }
  async getMigration(name: string): Promise<Migration> {
    const file = ['.js', '.ts'].map((ext) => path.join(MIGRATIONS_DIR, name + ext)).find((f) => fs.existsSync(f));
    if (!file) throw new Error(`migration file for ${name} not found in ${MIGRATIONS_DIR}`);
    return (await import(pathToFileURL(file).href)) as Migration;
  }
}

const migrationConfig: Knex.MigratorConfig = {
  migrationSource: new DirectoryMigrationSource(),
  tableName: 'knex_migrations',
};

/**
 * knex creates its bookkeeping tables with check-then-create, which races when instances start
 * together (two lock rows make its lock unobtainable forever). Creating them idempotently first,
 * with the lock row at a fixed key, removes the race.
 */
async function ensureMigrationTables(knex: Knex): Promise<void> {
  await createIfMissing(knex, 'knex_migrations', (t) => {
    t.increments('id').primary();
    t.string('name');
    t.integer('batch');
    t.timestamp('migration_time');
  });
  await createIfMissing(knex, 'knex_migrations_lock', (t) => {
    t.increments('index').primary();
    t.integer('is_locked');
  });
  await knex('knex_migrations_lock').insert({ index: 1, is_locked: 0 }).onConflict('index').ignore();
}

async function createIfMissing(knex: Knex, name: string, build: (t: Knex.CreateTableBuilder) => void) {
  if (await knex.schema.hasTable(name)) return;
  try {
    await knex.schema.createTable(name, build);
  } catch (err) {
    // Another instance created it between our check and our CREATE: that is what we wanted.
    if (!(await knex.schema.hasTable(name))) throw err;
  }
}

function isContention(err: unknown): boolean {
  const text = String((err as Error)?.message ?? err);
  return /already locked|already exists|Duplicate entry|SQLITE_BUSY|database is locked|Deadlock|ER_LOCK/i.test(text);
}

export type MigrateOptions = { waitMs?: number; log?: (msg: string) => void };

/** Applies pending migrations; returns the names applied by this call (empty when another instance did). */
export async function migrateToLatest(db: Db, options: MigrateOptions = {}): Promise<string[]> {
  const deadline = Date.now() + (options.waitMs ?? 120_000);
  let waitingSaid = false;
  for (;;) {
    try {
      await ensureMigrationTables(db.knex);
      const [, applied] = (await db.knex.migrate.latest(migrationConfig)) as [number, string[]];
      return applied;
    } catch (err) {
      if (!isContention(err)) throw err;
      if (Date.now() > deadline) {
        throw new Error(
          'Migrations stayed locked by another instance. If no other instance is migrating, run `npm run migrate -- --unlock`.',
          { cause: err },
        );
      }
      if (!waitingSaid) options.log?.('another instance is applying migrations; waiting for it');
      waitingSaid = true;
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
    }
  }
}

/** True when every migration file has been applied. */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  const [, pending] = (await db.knex.migrate.list(migrationConfig)) as [unknown[], unknown[]];
  return pending.length === 0;
}

export async function releaseMigrationLock(db: Db): Promise<void> {
  await db.knex.migrate.forceFreeMigrationsLock(migrationConfig);
}
