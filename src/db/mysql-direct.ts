// The scheduler's hot path on MySQL/MariaDB, without knex in between. Through knex a small statement
// costs ~150–200 µs of CPU in Node (building, compiling, the runner, a pool round trip each) and a
// transaction two statements more; a run is a handful of statements, so knex alone held the
// scheduler near 450 runs a second on two cores. Here a unit of work takes one connection from
// knex's own pool (so the pool's size and health checks still apply) and sends its statements on it
// as text with the values escaped by mysql2, as knex does. Not as server-side prepared statements:
// the hot path's statements are for batches of varying size, so most texts would be prepared
// (a round trip more) on each pooled connection for one or two uses.
import type { Knex } from 'knex';
import { bindable } from './sqlite-direct.js';

/** What an INSERT, UPDATE or DELETE answers. */
export type MysqlWrite = { affectedRows: number; insertId: number };

type Callback = (err: Error | null, result: unknown) => void;

/** The part of a mysql2 connection (callback API, as knex holds it) the hot path uses. */
export type MysqlConnection = {
  query(sql: string, values: unknown[], cb: Callback): void;
};

export function isMysql(knex: Knex): boolean {
  return knex.client.config.client === 'mysql2';
}

/** Runs `work` on a connection of `knex`'s pool, given back after. Never with a transaction's knex. */
export async function withMysql<T>(knex: Knex, work: (conn: MysqlConnection) => Promise<T>): Promise<T> {
  if (knex.isTransaction) throw new Error('withMysql needs the knex instance, not a transaction');
  const client = knex.client as { acquireConnection(): Promise<MysqlConnection>; releaseConnection(c: MysqlConnection): Promise<unknown> };
  const conn = await client.acquireConnection();
  try {
    return await work(conn);
  } finally {
    await client.releaseConnection(conn);
  }
}

/** A statement with `?` for its values; rows for a SELECT, a MysqlWrite for the others. */
export function execute<T = MysqlWrite>(conn: MysqlConnection, sql: string, values: readonly unknown[]): Promise<T> {
  return new Promise((resolve, reject) => conn.query(sql, values.map(bindable), (err, result) => (err ? reject(err) : resolve(result as T))));
}

const plain = (conn: MysqlConnection, sql: string) => execute<unknown>(conn, sql, []);

/** BEGIN … COMMIT around `work` on one connection; rolled back if it throws. */
export async function inMysqlTransaction<T>(conn: MysqlConnection, work: () => Promise<T>): Promise<T> {
  await plain(conn, 'BEGIN');
  try {
    const result = await work();
    await plain(conn, 'COMMIT');
    return result;
  } catch (err) {
    // A broken connection cannot roll back; knex's pool drops it on its next health check.
    await plain(conn, 'ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** MySQL's answer when InnoDB chose this statement's transaction to break a deadlock (rolled back whole). */
export function isDeadlock(err: unknown): boolean {
  return (err as { errno?: number } | null)?.errno === 1213;
}
