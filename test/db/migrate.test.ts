// Migrations on a fresh database, several instances migrating at once, and the schema facts the
// code relies on (unique emails, a user's rows going away with the user).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb, type Db } from '../../src/db/knex.js';
import { migrateToLatest, migrationsCurrent } from '../../src/db/migrate.js';
import { DIALECTS, createTestDatabase, freshDatabaseUrl } from '../helpers/db.js';

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
const MIGRATION_NAMES = fs
  .readdirSync(MIGRATIONS_DIR)
  .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
  .map((f) => f.replace(/\.(ts|js)$/, ''))
  .sort();
const TABLES = ['users', 'sessions', 'api_tokens', 'site_settings', 'rate_limits'];

/** Runs `body` with a fresh, unmigrated database and removes it afterwards. */
async function withFreshDatabase(dialect: Db['dialect'], body: (url: string) => Promise<void>) {
  const fresh = await freshDatabaseUrl(dialect);
  try {
    await body(fresh.url);
  } finally {
    await fresh.drop();
  }
}

function newUser(email: string) {
  return { email, password_hash: 'x', created_at: 1, updated_at: 1 };
}

async function insertUser(db: Db, email: string): Promise<number> {
  const [id] = await db.knex('users').insert(newUser(email));
  return id as number;
}

for (const dialect of DIALECTS) {
  describe(`migrations (${dialect})`, () => {
    it('applies every migration file once on a fresh database, then nothing', async () => {
      assert.ok(MIGRATION_NAMES.length >= TABLES.length);
      await withFreshDatabase(dialect, async (url) => {
        const db = createDb(url);
        try {
          const said: string[] = [];
          assert.deepEqual(await migrateToLatest(db, { log: (m) => said.push(m) }), MIGRATION_NAMES);
          assert.deepEqual(said, [], 'no waiting when nobody else migrates');
          for (const table of TABLES) assert.ok(await db.knex.schema.hasTable(table), `${table} exists`);
          assert.equal(await migrationsCurrent(db), true);

          assert.deepEqual(await migrateToLatest(db), []);
          const rows = await db.knex('knex_migrations').select('name').orderBy('id');
          assert.deepEqual(rows.map((r: { name: string }) => r.name), MIGRATION_NAMES);
        } finally {
          await db.close();
        }
      });
    });

    it('says migrations are not current before they run', async () => {
      await withFreshDatabase(dialect, async (url) => {
        const db = createDb(url);
        try {
          assert.equal(await migrationsCurrent(db), false);
          // Asking created knex's own bookkeeping tables; migrating still works after that.
          assert.deepEqual(await migrateToLatest(db), MIGRATION_NAMES);
          assert.equal(await migrationsCurrent(db), true);
        } finally {
          await db.close();
        }
      });
    });

    // On SQLite this takes 10-25 s: the three share one event loop, and a connection waiting for the
    // write lock (busy_timeout, 5 s) blocks it synchronously, so the holder cannot finish meanwhile.
    // Separate processes do not wait on each other like that (see process.test.ts).
    it('lets three instances migrate one fresh database at once: one applies, the others wait', { timeout: 180_000 }, async () => {
      await withFreshDatabase(dialect, async (url) => {
        const instances = [createDb(url), createDb(url), createDb(url)];
        try {
          const results = await Promise.all(instances.map((db) => migrateToLatest(db)));
          const appliers = results.filter((applied) => applied.length > 0);
          assert.equal(appliers.length, 1, JSON.stringify(results));
          assert.deepEqual(appliers[0], MIGRATION_NAMES);
          assert.equal(results.filter((applied) => applied.length === 0).length, 2);

          const knex = instances[0]!.knex;
          const names = (await knex('knex_migrations').select('name')).map((r: { name: string }) => r.name).sort();
          assert.deepEqual(names, MIGRATION_NAMES, 'each migration recorded exactly once');
          const locks = await knex('knex_migrations_lock').select('index', 'is_locked');
          assert.deepEqual(locks.map((r: { is_locked: number }) => Number(r.is_locked)), [0], 'one lock row, unlocked');
          for (const db of instances) assert.equal(await migrationsCurrent(db), true);
        } finally {
          await Promise.all(instances.map((db) => db.close()));
        }
      });
    });

    it('refuses a second user with the same email', async () => {
      const database = await createTestDatabase(dialect);
      try {
        await insertUser(database.db, 'same@example.com');
        await assert.rejects(database.db.knex('users').insert(newUser('same@example.com')), /unique|duplicate/i);
        await insertUser(database.db, 'other@example.com');
        assert.equal((await database.db.knex('users').where({ email: 'same@example.com' })).length, 1);
      } finally {
        await database.drop();
      }
    });

    it("removes a user's sessions and API tokens with the user, and nobody else's", async () => {
      const database = await createTestDatabase(dialect);
      const { knex } = database.db;
      try {
        const gone = await insertUser(database.db, 'gone@example.com');
        const stays = await insertUser(database.db, 'stays@example.com');
        const token = (userId: number, hash: string) => ({ user_id: userId, name: 't', token_hash: hash, token_hint: 'chm_', created_at: 1 });
        await knex('api_tokens').insert([token(gone, 'a'.repeat(64)), token(gone, 'b'.repeat(64)), token(stays, 'c'.repeat(64))]);
        const session = (sid: string, userId: number | null) => ({ sid, user_id: userId, data: '{}', expires_at: 9e12, created_at: 1, updated_at: 1 });
        await knex('sessions').insert([session('s-gone', gone), session('s-stays', stays), session('s-anonymous', null)]);

        assert.equal(await knex('users').where({ id: gone }).delete(), 1);

        assert.deepEqual(await knex('api_tokens').where({ user_id: gone }), []);
        assert.deepEqual((await knex('api_tokens').select('user_id')).map((r: { user_id: number }) => r.user_id), [stays]);
        const sids = (await knex('sessions').select('sid').orderBy('sid')).map((r: { sid: string }) => r.sid);
        assert.deepEqual(sids, ['s-anonymous', 's-stays']);
      } finally {
        await database.drop();
      }
    });

    it('refuses an API token for a user that does not exist', async () => {
      const database = await createTestDatabase(dialect);
      try {
        await assert.rejects(
          database.db.knex('api_tokens').insert({ user_id: 999_999, name: 't', token_hash: 'd'.repeat(64), token_hint: 'chm_', created_at: 1 }),
          /foreign key/i,
        );
      } finally {
        await database.drop();
      }
    });
  });
}
