// Builds the knex instance for DATABASE_URL: embedded SQLite (better-sqlite3) or MySQL/MariaDB (mysql2).
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';

export type Dialect = 'sqlite' | 'mysql';

export type Db = {
  knex: Knex;
  dialect: Dialect;
  close(): Promise<void>;
};

type SqliteStatement = object;
type SqliteConnection = { pragma(statement: string): unknown; prepare(sql: string): SqliteStatement };

/** Compiled statements kept per connection: enough for every query shape the app runs repeatedly. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * knex prepares every statement afresh, and compiling SQL costs more than running a small indexed
 * statement: the scheduler's hot path runs ~10 statements per run. Prepared statements are kept by
 * their SQL text (knex binds values as parameters, so one shape is one text) and the least recently
 * used is dropped beyond the cache size. Safe because knex only uses `run`/`all`, never an iterator
 * that would hold a statement busy, and SQLite re-prepares a cached statement after a schema change.
 */
function cacheStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, SqliteStatement>();
  conn.prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement) cache.delete(sql);
    else {
      statement = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, statement);
    return statement;
  };
}

/** Where knex's own messages go (lock waits, pool errors); the console when not given. */
export type DbLogger = { warn(obj: object, msg: string): void; error(obj: object, msg: string): void; debug(obj: object, msg: string): void };

export function createDb(databaseUrl: string, options: { log?: DbLogger } = {}): Db {
  const knex = databaseUrl.startsWith('sqlite:') ? sqliteKnex(databaseUrl, options.log) : mysqlKnex(databaseUrl, options.log);
  const dialect: Dialect = databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'mysql';
  return { knex, dialect, close: () => knex.destroy() };
}

function sqliteKnex(databaseUrl: string, log?: DbLogger): Knex {
  const filename = databaseUrl.slice('sqlite:'.length);
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    log: knexLog(log),
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: SqliteConnection) => void) {
        // WAL lets readers proceed while a writer commits; the busy timeout makes a second process
        // (another instance, the CLI) wait for a lock instead of failing at once.
        conn.pragma('journal_mode = WAL');
        conn.pragma('busy_timeout = 5000');
        conn.pragma('foreign_keys = ON');
        conn.pragma('synchronous = NORMAL');
        cacheStatements(conn);
        done(null, conn);
      },
    },
  });
}

function mysqlKnex(databaseUrl: string, log?: DbLogger): Knex {
  const url = new URL(databaseUrl);
  return knexFactory({
    client: 'mysql2',
    connection: {
      host: url.hostname,
      port: url.port ? Number(url.port) : 3306,
      // ?socket=/run/mysqld/mysqld.sock: a server on the same machine through its Unix socket.
      ...(url.searchParams.get('socket') ? { socketPath: url.searchParams.get('socket')! } : {}),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.replace(/^\//, ''),
      charset: 'utf8mb4',
      timezone: 'Z',
      // Epoch-millisecond BIGINTs come back as numbers.
      supportBigNumbers: true,
      bigNumberStrings: false,
    },
    pool: { min: 0, max: 10 },
    log: knexLog(log),
  });
}

function knexLog(log: DbLogger | undefined): Knex.Config['log'] {
  if (!log) return undefined;
  const text = (m: unknown) => (m instanceof Error ? m.message : String(m));
  return {
    warn: (m: unknown) => log.warn({ source: 'knex' }, text(m)),
    error: (m: unknown) => log.error({ source: 'knex' }, text(m)),
    deprecate: (method: string, alternative: string) => log.warn({ source: 'knex' }, `${method} is deprecated; use ${alternative}`),
    debug: (m: unknown) => log.debug({ source: 'knex' }, text(m)),
  };
}

/** Throws unless the database answers within `timeoutMs`. */
export async function pingDb(db: Db, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('database did not answer in time')), timeoutMs);
  });
  try {
    await Promise.race([db.knex.raw('select 1'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
