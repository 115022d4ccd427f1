// The fresh, migrated databases of a run. Migrating one takes ~0.5 s on MariaDB on a quiet machine
// and 3–4 s while other work fsyncs (each DDL statement commits on its own); several migrate side by
// side in about the time of one. So the run orders all it will need at the start, before anything
// is measured, and each scenario takes one.
import type { Dialect } from '../../src/db/knex.js';
import { createDb, type Db } from '../../src/db/knex.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { freshDatabaseUrl } from '../../test/helpers/db.js';

export type BenchDatabase = { url: string; db: Db; drop(): Promise<void> };

/** A fresh, migrated database of the dialect; `drop()` closes the pool and removes it. */
export async function benchDatabase(dialect: Dialect): Promise<BenchDatabase> {
  const database = await freshDatabaseUrl(dialect);
  const db = createDb(database.url);
  await migrateToLatest(db);
  return {
    url: database.url,
    db,
    drop: async () => {
      await db.close();
      await database.drop();
    },
  };
}

/** Databases made ahead, `take`n by the scenarios in any order; a scenario that finds none left makes one. */
export type DatabaseStock = {
  /** Settles when every ordered database is made (rejects if one could not be). */
  ready: Promise<void>;
  take(dialect: Dialect): Promise<BenchDatabase>;
  /** Drops the databases no scenario took (a scenario drops the one it took). */
  dropUntaken(): Promise<void>;
};

export function orderDatabases(perDialect: Map<Dialect, number>): DatabaseStock {
  const stock = new Map<Dialect, Promise<BenchDatabase>[]>();
  for (const [dialect, n] of perDialect) stock.set(dialect, Array.from({ length: n }, () => benchDatabase(dialect)));
  const all = [...stock.values()].flat();
  // A failed order surfaces through `ready` or `take`; this keeps it from counting as unhandled meanwhile.
  for (const p of all) p.catch(() => undefined);
  return {
    ready: Promise.all(all).then(() => undefined),
    take: (dialect) => stock.get(dialect)?.shift() ?? benchDatabase(dialect),
    dropUntaken: async () => {
      const left = [...stock.values()].flatMap((list) => list.splice(0));
      await Promise.all(left.map((p) => p.then((d) => d.drop()).catch(() => undefined)));
    },
  };
}
