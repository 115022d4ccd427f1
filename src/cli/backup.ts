// `backup FILE` and `restore FILE` for the SQLite database. The backup uses SQLite's online backup
// API (better-sqlite3 `backup()`), which copies a consistent snapshot while Chime keeps writing.
// A restore replaces the database file, so it refuses while a Chime process holds the data folder
// (the pid file main.ts writes). MySQL/MariaDB have their own tools; we say which.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config.js';

export class CliError extends Error {}

/** The SQLite file of a DATABASE_URL, or undefined for MySQL. */
export function sqliteFile(config: Config): string | undefined {
  return config.databaseUrl.startsWith('sqlite:') ? path.resolve(config.databaseUrl.slice('sqlite:'.length)) : undefined;
}

const MYSQL_ADVICE =
  'DATABASE_URL is MySQL/MariaDB: back it up with the database’s own tools, e.g.\n' +
  '  mysqldump --single-transaction --routines --databases chime > chime.sql\n' +
  '(or mariadb-dump / mariabackup); restore with `mysql < chime.sql` while Chime is stopped.';

/** The pid file of a running Chime, in its data folder. */
export const pidFile = (config: Config) => path.join(config.dataDir, 'chime.pid');

/** The pid of a Chime process running on this data folder, if any. */
export function runningChime(config: Config): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile(config), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

export async function backup(config: Config, target: string): Promise<string> {
  const source = sqliteFile(config);
  if (!source) throw new CliError(MYSQL_ADVICE);
  if (!fs.existsSync(source)) throw new CliError(`There is no database at ${source} yet.`);
  const file = path.resolve(target);
  if (fs.existsSync(file)) throw new CliError(`${file} exists already; choose a new file name.`);
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    const { totalPages } = await db.backup(file);
    return `Backed up ${source} to ${file} (${totalPages} pages).`;
  } finally {
    db.close();
  }
}

export function restore(config: Config, from: string): string {
  const target = sqliteFile(config);
  if (!target) throw new CliError(MYSQL_ADVICE);
  const pid = runningChime(config);
  if (pid) throw new CliError(`Chime is running (pid ${pid}) on ${config.dataDir}; stop it before restoring.`);
  const file = path.resolve(from);
  if (!fs.existsSync(file)) throw new CliError(`There is no file ${file}.`);
  // Only a Chime database is restored: it must open as SQLite and have our migration table.
  let check: Database.Database | undefined;
  try {
    check = new Database(file, { readonly: true, fileMustExist: true });
    const ok = check.prepare("select count(*) as n from sqlite_master where type = 'table' and name in ('knex_migrations', 'users')").get() as { n: number };
    if (ok.n !== 2) throw new CliError(`${file} is not a Chime database.`);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${file} is not a SQLite database: ${(err as Error).message}`);
  } finally {
    check?.close();
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // The old WAL and shared-memory files belong to the old database and must not be replayed onto this one.
  for (const suffix of ['-wal', '-shm']) fs.rmSync(target + suffix, { force: true });
  fs.copyFileSync(file, target);
  return `Restored ${target} from ${file}. Start Chime to use it (newer migrations, if any, are applied then).`;
}
