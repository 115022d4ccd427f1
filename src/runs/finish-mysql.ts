// Recording quiet runs on MySQL (see finish-direct.ts): every statement is a round trip, and
// MariaDB spends as much CPU on one as Node does, so runs that end close together are written by one
// UPDATE that joins each run and its task to a row of values. One write is under way at a time;
// runs that end meanwhile wait for it and go in the next one, so batches grow with the load.
//
// A single statement is atomic: no transaction. A run is written only where its run is still
// `running` and its task still at the version the run read; for the others nothing is written, and
// the knex path (in a transaction of its own) finds out why.
import type { Knex } from 'knex';
import { execute, isDeadlock, withMysql, type MysqlConnection } from '../db/mysql-direct.js';
import type { SecretBox } from '../db/secret-box.js';
import { runCompletionColumns, taskWriteToRow } from '../tasks/repo.js';
import { runFinishColumns } from './repo.js';
import type { DirectFinish, QuietRun } from './finish-direct.js';

/** Rows per statement: runs' steps can be large, and a statement must stay well under max_allowed_packet. */
const MAX_BATCH = 20;

/** A run's columns: of its run row, of its task row, and the task counters that go up by one. */
type Written = { run: QuietRun; runColumns: Record<string, unknown>; taskColumns: Record<string, unknown>; increments: string[] };
type Waiting = Written & { done(fate: DirectFinish): void; failed(err: unknown): void };

function columnsOf(run: QuietRun, box: SecretBox): Written {
  const { values, increments } = runCompletionColumns({ runId: run.runId, success: run.success, finishedAt: run.result.finishedAt });
  return { run, runColumns: runFinishColumns(run.result), taskColumns: { ...taskWriteToRow(run.changes, box), ...values }, increments };
}

/** Runs that write the same columns share a statement. */
const shapeOf = (w: Written) => `${Object.keys(w.runColumns).join()}|${Object.keys(w.taskColumns).join()}|${w.increments.join()}`;

const q = (name: string) => `\`${name}\``;

/** The statement for runs of one shape. */
function statementFor(batch: Written[]): { sql: string; values: unknown[] } {
  const first = batch[0]!;
  const runNames = Object.keys(first.runColumns);
  const taskNames = Object.keys(first.taskColumns);
  const rowsOf = (w: Written) => [w.run.runId, w.run.taskId, w.run.expectedVersion, ...runNames.map((c) => w.runColumns[c]), ...taskNames.map((c) => w.taskColumns[c])];
  const rows = batch.map(rowsOf);
  const aliases = ['run_id', 'task_id', 'expected_version', ...runNames.map((_, i) => `r${i}`), ...taskNames.map((_, i) => `t${i}`)];
  // The values' table: the first row names the columns, the others follow them.
  const valuesTable = ['select ' + aliases.map((alias) => `? as ${q(alias)}`).join(', '), ...batch.slice(1).map(() => 'select ' + aliases.map(() => '?').join(', '))].join(' union all ');
  const ids = batch.map(() => '?').join(', ');
  const assignments = [
    ...runNames.map((c, i) => `r.${q(c)} = v.${q(`r${i}`)}`),
    ...taskNames.map((c, i) => `t.${q(c)} = v.${q(`t${i}`)}`),
    ...first.increments.map((c) => `t.${q(c)} = t.${q(c)} + 1`),
  ];
  // The id lists let MariaDB find both sides by primary key, whatever it makes of the values' row.
  const sql =
    `update ${q('task_runs')} r join (${valuesTable}) v on r.${q('id')} = v.${q('run_id')} ` +
    `join ${q('tasks')} t on t.${q('id')} = v.${q('task_id')} and t.${q('id')} = r.${q('task_id')} ` +
    `set ${assignments.join(', ')} ` +
    `where r.${q('id')} in (${ids}) and t.${q('id')} in (${ids}) and r.${q('status')} = 'running' and t.${q('version')} = v.${q('expected_version')}`;
  return { sql, values: [...rows.flat(), ...batch.map((w) => w.run.runId), ...batch.map((w) => w.run.taskId)] };
}

/** Writes one shape's batch; which of its runs were written (both rows change, so two rows a run). */
async function writeBatch(conn: MysqlConnection, batch: Written[]): Promise<boolean[]> {
  const { sql, values } = statementFor(batch);
  let affected: number;
  try {
    affected = (await execute(conn, sql, values)).affectedRows;
  } catch (err) {
    // InnoDB rolled the statement back to break a deadlock (an edit or the reaper at the same
    // moment): nothing was written; the knex path does each run.
    if (isDeadlock(err)) return batch.map(() => false);
    throw err;
  }
  if (affected === 2 * batch.length) return batch.map(() => true);
  // Some were left out: a run written has the status and end time we gave it (a reaped one is `lost`).
  const rows = await execute<{ id: number; status: string; finished_at: number | null }[]>(
    conn,
    `select ${q('id')}, ${q('status')}, ${q('finished_at')} from ${q('task_runs')} where ${q('id')} in (${batch.map(() => '?').join(', ')})`,
    batch.map((w) => w.run.runId),
  );
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  return batch.map((w) => {
    const row = byId.get(w.run.runId);
    return row?.status === w.run.result.status && Number(row.finished_at) === w.run.result.finishedAt;
  });
}

export function mysqlFinisher(knex: Knex, box: SecretBox): (run: QuietRun) => Promise<DirectFinish> {
  let waiting: Waiting[] = [];
  let writing = false;

  async function writeAll() {
    while (waiting.length > 0) {
      const taken = waiting;
      waiting = [];
      const shapes = new Map<string, Waiting[]>();
      for (const w of taken) {
        const shape = shapeOf(w);
        const same = shapes.get(shape);
        if (same) same.push(w);
        else shapes.set(shape, [w]);
      }
      const batches = [...shapes.values()].flatMap((all) => Array.from({ length: Math.ceil(all.length / MAX_BATCH) }, (_, i) => all.slice(i * MAX_BATCH, (i + 1) * MAX_BATCH)));
      await withMysql(knex, async (conn) => {
        for (const batch of batches) {
          try {
            const written = await writeBatch(conn, batch);
            batch.forEach((w, i) => w.done(written[i] ? 'recorded' : 'stale'));
          } catch (err) {
            for (const w of batch) w.failed(err);
          }
        }
      }).catch((err) => {
        for (const w of taken) w.failed(err); // no connection: a settled promise ignores this
      });
    }
    writing = false;
  }

  return (run) =>
    new Promise((done, failed) => {
      waiting.push({ ...columnsOf(run, box), done, failed });
      if (!writing) {
        writing = true;
        setImmediate(() => void writeAll());
      }
    });
}
