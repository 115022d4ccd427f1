// Recording a finished run on SQLite without knex (why: db/sqlite-direct.ts), for the common case
// only: a run that queues no push, on a task nobody edited while it ran. The run's end and its task's
// changes are written together, as the knex path does; anything else takes that path.
//
// Runs that finish in the same turn of the event loop are written in one transaction (group
// commit: a commit costs more than both updates), each in its own savepoint, so that one run whose
// task was edited is rolled back alone and the others still land.
import type { Knex } from 'knex';
import { inTransaction, update, withSqlite, type SqliteConnection } from '../db/sqlite-direct.js';
import type { SecretBox } from '../db/secret-box.js';
import { runCompletionColumns, taskWriteToRow, type TaskWrite } from '../tasks/repo.js';
import { runFinishColumns, type RunResult } from './repo.js';

/** `recorded`; `reaped`: the reaper called the run lost meanwhile (it has done the rest); `stale`: the task was edited, nothing written. */
export type DirectFinish = 'recorded' | 'reaped' | 'stale';

export type QuietRun = { runId: number; taskId: number; success: boolean; result: RunResult; changes: TaskWrite; expectedVersion: number };

class TaskEdited extends Error {}

/** Writes one run inside the caller's transaction, in a savepoint of its own. */
function finishOne(db: SqliteConnection, box: SecretBox, run: QuietRun): DirectFinish {
  try {
    return db.transaction(() => {
      if (update(db, 'task_runs', runFinishColumns(run.result), {}, { id: run.runId, status: 'running' }) !== 1) return 'reaped';
      const { values, counters } = runCompletionColumns({ runId: run.runId, success: run.success, finishedAt: run.result.finishedAt });
      const written = update(db, 'tasks', { ...taskWriteToRow(run.changes, box), ...values }, counters, { id: run.taskId, version: run.expectedVersion });
      if (written !== 1) throw new TaskEdited(); // rolls this run's end back too
      return 'recorded' as const;
    })();
  } catch (err) {
    if (err instanceof TaskEdited) return 'stale';
    throw err;
  }
}

/** Queues quiet runs and writes each turn's worth in one transaction; answers each run's fate. */
export function quietFinisher(knex: Knex, box: SecretBox) {
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
