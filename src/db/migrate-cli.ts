// `npm run migrate` applies pending migrations; `npm run migrate -- --unlock` frees a stale lock
// left by an instance that died while migrating.
import { loadConfig, ConfigError } from '../config.js';
import { createDb } from './knex.js';
import { migrateToLatest, releaseMigrationLock } from './migrate.js';

async function main(): Promise<number> {
  const { config } = loadConfig();
  const db = createDb(config.databaseUrl);
  try {
    if (process.argv.includes('--unlock')) {
      await releaseMigrationLock(db);
      console.log('Migration lock released.');
      return 0;
    }
    const applied = await migrateToLatest(db, { log: (m) => console.log(m) });
    console.log(applied.length ? `Applied ${applied.length} migration(s):\n${applied.join('\n')}` : 'Already up to date.');
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) console.error(err.problems.join('\n'));
    else console.error(`Migration failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
