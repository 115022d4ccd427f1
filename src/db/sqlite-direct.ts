// The scheduler's hot path on SQLite, without knex in between. knex spends ~70 µs of CPU building,
// compiling and running one small statement and ~130 µs opening and committing a transaction; a
// prepared better-sqlite3 statement runs in ~10 µs. A run costs about ten statements, so on SQLite
// (one connection, synchronous driver) knex alone would cap the scheduler near 1,000 statements a
// second. Here a unit of work gets the very connection knex uses, from knex's pool — so it waits
// for a knex transaction under way and never runs inside one — and runs synchronously, so nothing
// else can use the connection meanwhile. MySQL keeps the knex code path: its time goes to the network.
import type { Knex } from 'knex';

/** The part of a better-sqlite3 statement the hot path uses. */
export type SqliteStatement = {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
};

/** The part of a better-sqlite3 connection the hot path uses (statements are cached: see knex.ts). */
export type SqliteConnection = {
  prepare(sql: string): SqliteStatement;
  /** Called: a savepoint inside a transaction under way (else BEGIN); `.immediate`: BEGIN IMMEDIATE. */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) & { immediate(...args: A): R };
};

export function isSqlite(knex: Knex): boolean {
  return knex.client.config.client === 'better-sqlite3';
}

/**
 * Runs `work` on the SQLite connection of `knex`, taken from its pool and given back after. Never
 * with a transaction's knex: it holds the only connection, and would wait for us while we wait for it.
 */
export async function withSqlite<T>(knex: Knex, work: (db: SqliteConnection) => T): Promise<T> {
  if (knex.isTransaction) throw new Error('withSqlite needs the knex instance, not a transaction');
  const client = knex.client as { acquireConnection(): Promise<SqliteConnection>; releaseConnection(c: SqliteConnection): Promise<unknown> };
  const db = await client.acquireConnection();
  try {
    return work(db);
  } finally {
    await client.releaseConnection(db);
  }
}

/** The rows of a SELECT written out as SQL, through knex on either database (mysql2 answers [rows, fields]). */
export async function rawRows(knex: Knex, sql: string, bindings: readonly unknown[]): Promise<Record<string, unknown>[]> {
  const result = (await knex.raw(sql, bindings as Knex.RawBinding[])) as unknown;
  return (isSqlite(knex) ? result : (result as unknown[])[0]) as Record<string, unknown>[];
}

/** A write transaction (BEGIN IMMEDIATE: another process waits for it instead of failing mid-way). */
export function inTransaction<T>(db: SqliteConnection, work: () => T): T {
  return db.transaction(work).immediate();
}

/**
 * `UPDATE table SET …` for the columns of `set` (values bound as parameters) and `sqlSet` (SQL
 * expressions of the row's own columns, such as `n + 1`), where every column of `where` equals its
 * value. Column names come from the code, never from input. Answers the rows changed.
 */
export function update(db: SqliteConnection, table: string, set: Record<string, unknown>, sqlSet: Record<string, string>, where: Record<string, unknown>): number {
  const assignments = [...Object.keys(set).map((c) => `\`${c}\` = ?`), ...Object.entries(sqlSet).map(([c, expr]) => `\`${c}\` = ${expr}`)];
  const conditions = Object.keys(where).map((c) => `\`${c}\` = ?`);
  const sql = `update \`${table}\` set ${assignments.join(', ')} where ${conditions.join(' and ')}`;
  return db.prepare(sql).run(...Object.values(set).map(bindable), ...Object.values(where).map(bindable)).changes;
}

/** better-sqlite3 binds numbers, strings, bigints, buffers and null; booleans are stored as 0/1. */
export function bindable(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : value;
}
