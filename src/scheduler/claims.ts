// SQL of the scheduler: due tasks, claims, leases. Every claim is a compare-and-set on (id, version),
// so of several instances (or loops) exactly one wins a slot; the run row is written in the same
// short transaction, so a claimed task always has a run that a lease protects.
import type { Knex } from 'knex';
import type { Clock } from '../lib/clock.js';
import type { RunTrigger } from '../runs/repo.js';
import { inTransaction, isSqlite, withSqlite, type SqliteConnection } from '../db/sqlite-direct.js';
import { execute, inMysqlTransaction, isMysql, withMysql, type MysqlConnection } from '../db/mysql-direct.js';

export type DueTask = { id: number; version: number; userId: number; nextRunAt: number; nextTrigger: RunTrigger };

type Lease = { owner: string; ms: number };

/** A slot won: the task, its new run, and the run's start (the moment of the claim). */
export type Claimed = { task: DueTask; runId: number; startedAt: number };

/** One compare-and-set claim inside the caller's transaction: the new run's id, or null when lost. */
async function claimIn(trx: Knex.Transaction, task: DueTask, now: number, lease: Lease): Promise<number | null> {
  const changed = await trx('tasks')
    .where({ id: task.id, version: task.version })
    .whereNull('running_since')
    .update({ next_run_at: null, running_since: now, claimed_slot_at: task.nextRunAt, version: task.version + 1 });
  if (changed !== 1) return null;
  const [runId] = await trx('task_runs').insert({
    task_id: task.id,
    user_id: task.userId,
    trigger: task.nextTrigger,
    status: 'running',
    started_at: now,
    lease_owner: lease.owner,
    lease_expires_at: now + lease.ms,
  });
  return Number(runId);
}

// The claim written out once, so that the direct paths run the very same statements.
const CLAIM_SQL = 'update `tasks` set `next_run_at` = null, `running_since` = ?, `claimed_slot_at` = ?, `version` = ? where `id` = ? and `version` = ? and `running_since` is null';
const INSERT_RUN_SQL = "insert into `task_runs` (`task_id`, `user_id`, `trigger`, `status`, `started_at`, `lease_owner`, `lease_expires_at`) values (?, ?, ?, 'running', ?, ?, ?)";
const claimValues = (task: DueTask, now: number) => [now, task.nextRunAt, task.version + 1, task.id, task.version];
const runValues = (task: DueTask, now: number, lease: Lease) => [task.id, task.userId, task.nextTrigger, now, lease.owner, now + lease.ms];

/** The same claim on SQLite, synchronously inside the caller's direct transaction (db/sqlite-direct.ts). */
function claimDirect(db: SqliteConnection, task: DueTask, now: number, lease: Lease): number | null {
  if (db.prepare(CLAIM_SQL).run(...claimValues(task, now)).changes !== 1) return null;
  return Number(db.prepare(INSERT_RUN_SQL).run(...runValues(task, now, lease)).lastInsertRowid);
}

const placeholders = (n: number) => new Array(n).fill('?').join(', ');

/**
 * The same claims on MySQL for a whole batch (in id order) in four statements, inside the caller's
 * direct transaction (db/mysql-direct.ts): every statement is a round trip. The rows are locked first
 * — in id order, as every instance locks them, so two instances wait for each other instead of
 * deadlocking — and the compare-and-set on (id, version) is decided on what is locked: the loser of a
 * race sees the winner's committed claim (running_since set) and leaves the task out.
 */
async function claimBatchOnMysql(conn: MysqlConnection, tasks: DueTask[], now: number, lease: Lease): Promise<Claimed[]> {
  const ids = tasks.map((t) => t.id);
  const free = await execute<{ id: number; version: number }[]>(conn, `select \`id\`, \`version\` from \`tasks\` where \`id\` in (${placeholders(ids.length)}) and \`running_since\` is null for update`, ids);
  const versions = new Map(free.map((r) => [Number(r.id), Number(r.version)]));
  const won = tasks.filter((t) => versions.get(t.id) === t.version);
  if (won.length === 0) return [];
  const wonIds = won.map((t) => t.id);
  // The compare-and-set itself, on rows this transaction holds: all of them match. The slot claimed
  // is the next_run_at the version vouches for (assigned before it is cleared).
  const versionOf = `case \`id\` ${won.map(() => 'when ? then ?').join(' ')} end`;
  const claimed = await execute(
    conn,
    `update \`tasks\` set \`claimed_slot_at\` = \`next_run_at\`, \`next_run_at\` = null, \`running_since\` = ?, \`version\` = \`version\` + 1 ` +
      `where \`id\` in (${placeholders(won.length)}) and \`version\` = ${versionOf} and \`running_since\` is null`,
    [now, ...wonIds, ...won.flatMap((t) => [t.id, t.version])],
  );
  if (claimed.affectedRows !== won.length) throw new Error(`locked ${won.length} free tasks but claimed ${claimed.affectedRows}`); // rolls back
  const rowSql = "(?, ?, ?, 'running', ?, ?, ?)";
  const { insertId } = await execute(conn, INSERT_RUN_SQL.replace(rowSql, won.map(() => rowSql).join(', ')), won.flatMap((t) => runValues(t, now, lease)));
  // New ids are at least the first one; a locked task has no other run under way than ours.
  const runs = await execute<{ id: number; task_id: number }[]>(conn, `select \`id\`, \`task_id\` from \`task_runs\` where \`id\` >= ? and \`task_id\` in (${placeholders(won.length)}) and \`status\` = 'running'`, [insertId, ...wonIds]);
  const runIdOf = new Map(runs.map((r) => [Number(r.task_id), Number(r.id)]));
  if (runIdOf.size !== won.length) throw new Error(`claimed ${won.length} tasks but found ${runIdOf.size} new runs`); // rolls the claims back
  return won.map((task) => ({ task, runId: runIdOf.get(task.id)!, startedAt: now }));
}

type Row = { id: number; version: number; user_id: number; next_run_at: number | string; next_trigger: string };

export function claimsRepo(knex: Knex) {
  /** Claims without knex in between (db/sqlite-direct.ts, db/mysql-direct.ts); not inside a caller's transaction. */
  const sqliteDirect = isSqlite(knex) && !knex.isTransaction;
  const mysqlDirect = isMysql(knex) && !knex.isTransaction;
  return {
    /**
     * Tasks due at `now`, earliest first: an index range on next_run_at, whatever the table's size.
     * The users in `skipUsers` (at their cap) are left out, so their backlog cannot hide the others.
     */
    async due(now: number, limit: number, skipUsers: number[] = []): Promise<DueTask[]> {
      const query = knex('tasks').select('id', 'version', 'user_id', 'next_run_at', 'next_trigger').where('next_run_at', '<=', now).whereNull('running_since');
      if (skipUsers.length) query.whereNotIn('user_id', skipUsers);
      const rows = (await query.orderBy('next_run_at').limit(limit)) as Row[];
      return rows.map((r) => ({
        id: Number(r.id),
        version: Number(r.version),
        userId: Number(r.user_id),
        nextRunAt: Number(r.next_run_at),
        nextTrigger: r.next_trigger === 'retry' ? 'retry' : 'auto',
      }));
    },

    /**
     * The earliest next_run_at after `after` (the first entry of the index past it), or null. Tasks
     * due already but left waiting (running, or their user at the cap) must not wake the loop at once.
     */
    async earliest(after: number): Promise<number | null> {
      const row = (await knex('tasks').where('next_run_at', '>', after).min({ at: 'next_run_at' }).first()) as { at: number | string | null } | undefined;
      return row?.at == null ? null : Number(row.at);
    },

    /** Claims a due task for its slot; the new run's id, or null when someone else got it first. */
    async claim(task: DueTask, now: number, lease: Lease): Promise<number | null> {
      return knex.transaction((trx) => claimIn(trx, task, now, lease));
    },

    /**
     * Claims several due tasks in one short transaction: each by its own compare-and-set as above,
     * so of several instances exactly one still wins each slot, but a burst of due tasks costs one
     * commit instead of one per task. Claimed in id order, so that instances claiming overlapping
     * batches lock the rows in the same order (MySQL) and wait for each other instead of
     * deadlocking. Each run starts at its own claim's time (on MySQL, the batch's). The slots won; the others are left out.
     */
    async claimAll(tasks: DueTask[], clock: Clock, lease: Lease): Promise<Claimed[]> {
      if (tasks.length === 0) return [];
      const inIdOrder = [...tasks].sort((a, b) => a.id - b.id);
      if (sqliteDirect) {
        return withSqlite(knex, (db) =>
          inTransaction(db, () => {
            const won: Claimed[] = [];
            for (const task of inIdOrder) {
              const startedAt = clock.now();
              const runId = claimDirect(db, task, startedAt, lease);
              if (runId !== null) won.push({ task, runId, startedAt });
            }
            return won;
          }),
        );
      }
      if (mysqlDirect) {
        return withMysql(knex, (conn) => inMysqlTransaction(conn, () => claimBatchOnMysql(conn, inIdOrder, clock.now(), lease)));
      }
      return knex.transaction(async (trx) => {
        const won: Claimed[] = [];
        for (const task of inIdOrder) {
          const startedAt = clock.now();
          const runId = await claimIn(trx, task, startedAt, lease);
          if (runId !== null) won.push({ task, runId, startedAt });
        }
        return won;
      });
    },

    /** A manual run: only when the task is not running already. Leaves next_run_at alone. */
    async claimManual(taskId: number, userId: number, now: number, lease: { owner: string; ms: number }, trigger: RunTrigger = 'manual'): Promise<number | null> {
      return knex.transaction(async (trx) => {
        const changed = await trx('tasks').where({ id: taskId, user_id: userId }).whereNull('running_since').update({ running_since: now });
        if (changed !== 1) return null;
        const [runId] = await trx('task_runs').insert({
          task_id: taskId,
          user_id: userId,
          trigger,
          status: 'running',
          started_at: now,
          lease_owner: lease.owner,
          lease_expires_at: now + lease.ms,
        });
        return Number(runId);
      });
    },

    /** Keeps this instance's runs alive: one statement for all of them, not one timer per run. */
    async heartbeat(owner: string, now: number, leaseMs: number): Promise<number> {
      return knex('task_runs').where({ lease_owner: owner, status: 'running' }).update({ lease_expires_at: now + leaseMs });
    },

    /** Runs whose process stopped renewing their lease. */
    async expired(now: number, limit: number): Promise<{ id: number; taskId: number; trigger: RunTrigger; startedAt: number }[]> {
      const rows = await knex('task_runs').select('id', 'task_id', 'trigger', 'started_at').where({ status: 'running' }).andWhere('lease_expires_at', '<', now).limit(limit);
      return rows.map((r) => ({ id: Number(r.id), taskId: Number(r.task_id), trigger: r.trigger as RunTrigger, startedAt: Number(r.started_at) }));
    },

    /** Gives up this instance's leases (shutdown): another instance's reaper takes the runs over at once. */
    async releaseLeases(owner: string, now: number): Promise<number> {
      return knex('task_runs').where({ lease_owner: owner, status: 'running' }).update({ lease_expires_at: now - 1 });
    },

    /** Tasks whose slot was missed by more than `graceMs` (downtime): spread them over the next minute. */
    async overdue(before: number, limit: number): Promise<{ id: number; version: number }[]> {
      const rows = await knex('tasks').select('id', 'version').where('next_run_at', '<', before).whereNull('running_since').orderBy('next_run_at').limit(limit);
      return rows.map((r) => ({ id: Number(r.id), version: Number(r.version) }));
    },

    async reschedule(id: number, version: number, at: number): Promise<boolean> {
      return (await knex('tasks').where({ id, version }).whereNull('running_since').update({ next_run_at: at, version: version + 1 })) === 1;
    },
  };
}

export type ClaimsRepo = ReturnType<typeof claimsRepo>;
