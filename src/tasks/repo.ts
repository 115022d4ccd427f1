// SQL for tasks. Variables and persisted values are encrypted here and nowhere else.
import type { Knex } from 'knex';
import type { SecretBox } from '../db/secret-box.js';
import type { PushSettings, RandomDelay, Retry, Schedule } from './schema.js';
import { isSqlite, rawRows, withSqlite } from '../db/sqlite-direct.js';
import { execute, withMysql } from '../db/mysql-direct.js';
import { batchByTurn } from '../lib/batch-by-turn.js';
import { recipeFromColumns, type Recipe } from '../templates/repo.js';

export type Task = {
  id: number;
  userId: number;
  templateId: number;
  name: string;
  group?: string;
  note?: string;
  enabled: boolean;
  disabledReason?: string;
  /** Who disabled it: the user, or the failures (then a manual success re-enables it). */
  disabledBy?: 'user' | 'failures';
  variables: Record<string, string>;
  /** Values extracted with `persist: true` by earlier runs. */
  persisted: Record<string, string>;
  schedule: Schedule;
  randomDelay: RandomDelay | null;
  retry: Retry;
  push: PushSettings;
  nextRunAt: number | null;
  /** What the next automatic run will be recorded as. */
  nextTrigger: 'auto' | 'retry';
  runningSince: number | null;
  claimedSlotAt: number | null;
  version: number;
  consecutiveFailures: number;
  /** Whether the current failure streak has pushed a failure (SEMANTICS §4 "once" and recovery). */
  failurePushed: boolean;
  successCount: number;
  failureCount: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastRunId: number | null;
  createdAt: number;
  updatedAt: number;
};

type Row = {
  id: number;
  user_id: number;
  template_id: number;
  name: string;
  group_name: string | null;
  note: string | null;
  enabled: number | boolean;
  disabled_reason: string | null;
  disabled_by: string | null;
  variables_enc: string;
  persisted_enc: string | null;
  schedule: string;
  random_delay: string | null;
  retry: string;
  push: string;
  next_run_at: number | string | null;
  next_trigger: string;
  running_since: number | string | null;
  claimed_slot_at: number | string | null;
  version: number;
  consecutive_failures: number;
  failure_pushed: number | boolean;
  success_count: number;
  failure_count: number;
  last_success_at: number | string | null;
  last_failure_at: number | string | null;
  last_run_id: number | null;
  created_at: number | string;
  updated_at: number | string;
};

export type TaskWrite = Partial<
  Pick<
    Task,
    | 'name' | 'group' | 'note' | 'enabled' | 'disabledReason' | 'disabledBy' | 'variables' | 'persisted' | 'schedule' | 'randomDelay'
    | 'retry' | 'push' | 'nextRunAt' | 'nextTrigger' | 'consecutiveFailures' | 'failurePushed'
  >
>;

const num = (v: number | string | null) => (v === null ? null : Number(v));

/** A tasks row as the app sees it (variables decrypted). */
export function taskFromRow(row: Row, box: SecretBox): Task {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    templateId: Number(row.template_id),
    name: row.name,
    group: row.group_name ?? undefined,
    note: row.note ?? undefined,
    enabled: Boolean(row.enabled),
    disabledReason: row.disabled_reason ?? undefined,
    disabledBy: row.disabled_by === 'user' || row.disabled_by === 'failures' ? row.disabled_by : undefined,
    variables: box.decryptJson(row.variables_enc),
    persisted: row.persisted_enc ? box.decryptJson(row.persisted_enc) : {},
    schedule: JSON.parse(row.schedule) as Schedule,
    randomDelay: row.random_delay ? (JSON.parse(row.random_delay) as RandomDelay) : null,
    retry: JSON.parse(row.retry) as Retry,
    push: JSON.parse(row.push) as PushSettings,
    nextRunAt: num(row.next_run_at),
    nextTrigger: row.next_trigger === 'retry' ? 'retry' : 'auto',
    runningSince: num(row.running_since),
    claimedSlotAt: num(row.claimed_slot_at),
    version: Number(row.version),
    consecutiveFailures: Number(row.consecutive_failures),
    failurePushed: Boolean(Number(row.failure_pushed)),
    successCount: Number(row.success_count),
    failureCount: Number(row.failure_count),
    lastSuccessAt: num(row.last_success_at),
    lastFailureAt: num(row.last_failure_at),
    lastRunId: num(row.last_run_id),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The columns a TaskWrite sets (variables encrypted). */
export function taskWriteToRow(t: TaskWrite, box: SecretBox): Partial<Row> {
  const row: Partial<Row> = {};
  if (t.name !== undefined) row.name = t.name;
  if ('group' in t) row.group_name = t.group ?? null;
  if ('note' in t) row.note = t.note ?? null;
  if (t.enabled !== undefined) row.enabled = t.enabled ? 1 : 0;
  if ('disabledReason' in t) row.disabled_reason = t.disabledReason ?? null;
  if ('disabledBy' in t) row.disabled_by = t.disabledBy ?? null;
  if ('randomDelay' in t) row.random_delay = t.randomDelay ? JSON.stringify(t.randomDelay) : null;
  if (t.nextTrigger !== undefined) row.next_trigger = t.nextTrigger;
  if (t.consecutiveFailures !== undefined) row.consecutive_failures = t.consecutiveFailures;
  if (t.failurePushed !== undefined) row.failure_pushed = t.failurePushed ? 1 : 0;
  if (t.variables !== undefined) row.variables_enc = box.encryptJson(t.variables);
  // Most tasks never persist a value: no ciphertext of {} to decrypt at every run.
  if (t.persisted !== undefined) row.persisted_enc = Object.keys(t.persisted).length ? box.encryptJson(t.persisted) : null;
  if (t.schedule !== undefined) row.schedule = JSON.stringify(t.schedule);
  if (t.retry !== undefined) row.retry = JSON.stringify(t.retry);
  if (t.push !== undefined) row.push = JSON.stringify(t.push);
  if ('nextRunAt' in t) row.next_run_at = t.nextRunAt ?? null;
  return row;
}

/**
 * What finishing a run writes on its task besides the run's changes: it is free for its next run,
 * and its counters move. `increments` are columns that go up by one in SQL, so that nothing
 * read before the run is written back stale.
 */
export function runCompletionColumns(outcome: { runId: number; success: boolean; finishedAt: number }): { values: Partial<Row>; increments: string[] } {
  const values: Partial<Row> = { last_run_id: outcome.runId, updated_at: outcome.finishedAt, running_since: null, claimed_slot_at: null };
  const increments = ['version'];
  if (outcome.success) {
    increments.push('success_count');
    values.last_success_at = outcome.finishedAt;
  } else {
    increments.push('failure_count');
    values.last_failure_at = outcome.finishedAt;
  }
  return { values, increments };
}

/** What a run reads before it starts: the task, what it needs of its owner, and its template's recipe. */
export type TaskForRun = {
  task: Task;
  ownerTimezone: string | null;
  /** Language and email for pushes; their push defaults as saved (JSON), null when never saved. */
  owner: { email: string; locale: string | null; timezone: string | null; pushDefaults: string | null };
  recipe: Recipe;
};

/**
 * One statement for all of it, by primary keys and the push settings' (user_id) key, for a list of
 * task ids (taskForRunSql). Written out rather than built, so that knex (in a transaction) and the
 * direct paths (sqlite-direct.ts, mysql-direct.ts) run the very same text.
 */
export const TASK_FOR_RUN_SQL =
  'select `tasks`.*, `users`.`timezone` as `owner_timezone`, `users`.`email` as `owner_email`, `users`.`locale` as `owner_locale`, ' +
  '`push_settings`.`defaults` as `owner_push_defaults`, ' +
  '`templates`.`steps` as `recipe_steps`, `templates`.`variables` as `recipe_variables`, `templates`.`log_template` as `recipe_log` ' +
  'from `tasks` join `templates` on `templates`.`id` = `tasks`.`template_id` ' +
  'left join `users` on `users`.`id` = `tasks`.`user_id` left join `push_settings` on `push_settings`.`user_id` = `tasks`.`user_id` ' +
  'where `tasks`.`id` in ';

/** TASK_FOR_RUN_SQL for `count` ids. */
const taskForRunSql = (count: number) => `${TASK_FOR_RUN_SQL}(${new Array(count).fill('?').join(', ')})`;

type TaskForRunRow = Row & {
  owner_timezone: string | null;
  owner_email: string | null;
  owner_locale: string | null;
  owner_push_defaults: string | null;
  recipe_steps: string;
  recipe_variables: string;
  recipe_log: string | null;
};

export function taskForRunFromRow(row: TaskForRunRow, box: SecretBox): TaskForRun {
  return {
    task: taskFromRow(row, box),
    ownerTimezone: row.owner_timezone,
    owner: { email: row.owner_email ?? '', locale: row.owner_locale, timezone: row.owner_timezone, pushDefaults: row.owner_push_defaults },
    recipe: recipeFromColumns({ steps: row.recipe_steps, variables: row.recipe_variables, log_template: row.recipe_log }, box),
  };
}

export function tasksRepo(knex: Knex, box: SecretBox) {
  const table = () => knex<Row>('tasks');
  const toTask = (row: Row) => taskFromRow(row, box);
  const toRow = (t: TaskWrite) => taskWriteToRow(t, box);
  const findForRunBatched = batchByTurn(async (ids: number[]) => {
    const sql = taskForRunSql(ids.length);
    const rows = (isSqlite(knex) ? await withSqlite(knex, (db) => db.prepare(sql).all(...ids)) : await withMysql(knex, (conn) => execute(conn, sql, ids))) as TaskForRunRow[];
    return new Map(rows.map((row) => [Number(row.id), taskForRunFromRow(row, box)]));
  });

  return {
    async insert(userId: number, templateId: number, t: TaskWrite, now: number): Promise<number> {
      const [id] = await table().insert({
        ...toRow({ persisted: {}, ...t }),
        user_id: userId,
        template_id: templateId,
        created_at: now,
        updated_at: now,
      });
      return Number(id);
    },

    async update(id: number, t: TaskWrite, now: number): Promise<void> {
      await table()
        .where({ id })
        .update({ ...toRow(t), updated_at: now, version: knex.raw('version + 1') as unknown as number });
    },

    async findById(id: number): Promise<Task | undefined> {
      const row = await table().where({ id }).first();
      return row && toTask(row);
    },

    /**
     * What a run reads of its task (see TASK_FOR_RUN_SQL). Outside a transaction, the reads of one
     * turn (a claimed batch of runs starting) are one statement, run without knex.
     */
    async findForRun(id: number): Promise<TaskForRun | undefined> {
      if (knex.isTransaction) {
        const [row] = await rawRows(knex, taskForRunSql(1), [id]);
        return row && taskForRunFromRow(row as TaskForRunRow, box);
      }
      return findForRunBatched(id);
    },

    async listForUser(userId: number, limit = 1000): Promise<Task[]> {
      return (await table().where({ user_id: userId }).orderBy('id', 'desc').limit(limit)).map(toTask);
    },

    /** A page of the user's tasks, filtered by group and status, newest first. */
    async pageForUser(userId: number, q: { group?: string; status?: 'enabled' | 'disabled' | 'failing'; limit: number; offset: number }): Promise<{ items: Task[]; total: number }> {
      const base = () => {
        const query = table().where({ user_id: userId });
        if (q.group === '') query.whereNull('group_name');
        else if (q.group !== undefined) query.andWhere({ group_name: q.group });
        if (q.status === 'enabled') query.andWhere({ enabled: 1 });
        if (q.status === 'disabled') query.andWhere({ enabled: 0 });
        if (q.status === 'failing') query.andWhere('consecutive_failures', '>', 0);
        return query;
      };
      const [rows, count] = await Promise.all([base().orderBy('id', 'desc').limit(q.limit).offset(q.offset), base().count({ n: '*' }).first()]);
      return { items: rows.map(toTask), total: Number((count as { n: number | string } | undefined)?.n ?? 0) };
    },

    async groupsForUser(userId: number): Promise<string[]> {
      const rows = await table().distinct('group_name').where({ user_id: userId }).whereNotNull('group_name').orderBy('group_name');
      return rows.map((r) => r.group_name as string);
    },

    /**
     * Writes what a finished run changes on the task and frees it for its next run. The counters move
     * in SQL so that nothing read before the run is written back stale. With `expectedVersion`, only
     * if the task is still at that version (nobody edited it since it was read); false otherwise.
     */
    async completeRun(id: number, outcome: { runId: number; success: boolean; finishedAt: number; changes: TaskWrite; expectedVersion?: number }): Promise<boolean> {
      const { values, increments } = runCompletionColumns(outcome);
      const row: Record<string, unknown> = { ...toRow(outcome.changes), ...values };
      for (const column of increments) row[column] = knex.raw('?? + 1', [column]);
      const query = table().where({ id });
      if (outcome.expectedVersion !== undefined) query.andWhere({ version: outcome.expectedVersion });
      return (await query.update(row)) === 1;
    },

    async countForTemplate(templateId: number): Promise<number> {
      const row = (await table().where({ template_id: templateId }).count({ n: '*' }).first()) as { n: number | string } | undefined;
      return Number(row?.n ?? 0);
    },

    async delete(id: number): Promise<void> {
      await table().where({ id }).delete();
    },
  };
}

export type TasksRepo = ReturnType<typeof tasksRepo>;

/** What a new user has set up so far: the dashboard's first-run checklist. */
export type SetupProgress = { template: boolean; task: boolean; channel: boolean; digest: boolean };

/** Read-only queries for the dashboard that look beyond tasks. */
export function dashboardQueries(knex: Knex) {
  return {
    /** One statement of four indexed existence checks (each table's user_id index or primary key). */
    async setupProgress(userId: number): Promise<SetupProgress> {
      const row = (await knex
        .select({
          template: knex('templates').select(knex.raw('1')).where({ user_id: userId }).limit(1),
          task: knex('tasks').select(knex.raw('1')).where({ user_id: userId }).limit(1),
          channel: knex('push_registrations').select(knex.raw('1')).where({ user_id: userId }).limit(1),
          digest: knex('push_settings').select('digest_enabled').where({ user_id: userId }).limit(1),
        })
        .first()) as Record<keyof SetupProgress, unknown> | undefined;
      const yes = (v: unknown) => v !== null && v !== undefined && Number(v) === 1;
      return { template: yes(row?.template), task: yes(row?.task), channel: yes(row?.channel), digest: yes(row?.digest) };
    },
  };
}

export type DashboardQueries = ReturnType<typeof dashboardQueries>;
