// Recording a finished run without knex (why: db/sqlite-direct.ts, db/mysql-direct.ts), for the
// common case only: a run that queues no push, on a task nobody edited while it ran. The run's end
// and its task's changes are written together, as the knex path does; anything else takes that path.
//
// SQLite: runs that finish in the same turn of the event loop are written in one transaction (group
// commit: a commit costs more than both updates), each in its own savepoint, so that one run whose
// task was edited is rolled back alone and the others still land.
// MySQL: see finish-mysql.ts (one UPDATE of run and task rows for the runs ending together).
import type { Knex } from 'knex';
import { inTransaction, update, withSqlite, type SqliteConnection } from '../db/sqlite-direct.js';
import { isMysql } from '../db/mysql-direct.js';
import { mysqlFinisher } from './finish-mysql.js';
import type { SecretBox } from '../db/secret-box.js';
import { runCompletionColumns, taskWriteToRow, type TaskWrite } from '../tasks/repo.js';
import { runFinishColumns, type RunResult } from './repo.js';

/**
 * `recorded`; `reaped`: the reaper called the run lost meanwhile (it has done the rest); `stale`:
 * nothing written, because the task was edited (or, on MySQL, either of the two): the knex path follows.
 */
export type DirectFinish = 'recorded' | 'reaped' | 'stale';

export type QuietRun = { runId: number; taskId: number; success: boolean; result: RunResult; changes: TaskWrite; expectedVersion: number };

class TaskEdited extends Error {}

/** Writes one run inside the caller's transaction, in a savepoint of its own. */
function finishOne(db: SqliteConnection, box: SecretBox, run: QuietRun): DirectFinish {
  try {
    return db.transaction(() => {
      if (update(db, 'task_runs', runFinishColumns(run.result), {}, { id: run.runId, status: 'running' }) !== 1) return 'reaped';
      const { values, increments } = runCompletionColumns({ runId: run.runId, success: run.success, finishedAt: run.result.finishedAt });
      const counters = Object.fromEntries(increments.map((c) => [c, `\`${c}\` + 1`]));
      const written = update(db, 'tasks', { ...taskWriteToRow(run.changes, box), ...values }, counters, { id: run.taskId, version: run.expectedVersion });
      if (written !== 1) throw new TaskEdited(); // rolls this run's end back too
      return 'recorded' as const;
    })();
  } catch (err) {
    if (err instanceof TaskEdited) return 'stale';
    throw err;
  }
}

/** Queues quiet runs and writes them (SQLite: each turn's worth in one transaction); answers each run's fate. */
export function quietFinisher(knex: Knex, box: SecretBox) {
  if (isMysql(knex)) return mysqlFinisher(knex, box);
  let batch: { run: QuietRun; done: (fate: DirectFinish) => void; failed: (err: unknown) => void }[] = [];

  async function flush() {
    const writing = batch;
    batch = [];
    try {
      const fates = await withSqlite(knex, (db) => inTransaction(db, () => writing.map(({ run }) => finishOne(db, box, run))));
      writing.forEach((entry, i) => entry.done(fates[i]!));
    } catch (err) {
      for (const entry of writing) entry.failed(err);
    }
  }

  return function finish(run: QuietRun): Promise<DirectFinish> {
    return new Promise((done, failed) => {
      batch.push({ run, done, failed });
      if (batch.length === 1) setImmediate(() => void flush());
    });
  };
}
