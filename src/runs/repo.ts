// SQL for task runs. Stored detail is already masked and truncated by the runs service.
import type { Knex } from 'knex';
import type { StepRecord } from './types.js';

export type RunTrigger = 'manual' | 'auto' | 'retry';
export type RunStatus = 'running' | 'success' | 'failure' | 'lost';

export type Run = {
  id: number;
  taskId: number;
  userId: number;
  trigger: RunTrigger;
  status: RunStatus;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  log: string | null;
  error: string | null;
  failedStep: number | null;
  steps?: StepRecord[];
};

type Row = {
  id: number;
  task_id: number;
  user_id: number;
  trigger: string;
  status: string;
  started_at: number | string;
  finished_at: number | string | null;
  duration_ms: number | null;
  log: string | null;
  error: string | null;
  failed_step: number | null;
  steps?: string | null;
  lease_owner?: string | null;
  lease_expires_at?: number | null;
};

const SUMMARY_COLUMNS: (keyof Row)[] = ['id', 'task_id', 'user_id', 'trigger', 'status', 'started_at', 'finished_at', 'duration_ms', 'log', 'error', 'failed_step'];

function toRun(row: Row): Run {
  return {
    id: Number(row.id),
    taskId: Number(row.task_id),
    userId: Number(row.user_id),
    trigger: row.trigger as RunTrigger,
    status: row.status as RunStatus,
    startedAt: Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    log: row.log,
    error: row.error,
    failedStep: row.failed_step === null ? null : Number(row.failed_step),
    ...(row.steps !== undefined ? { steps: row.steps ? (JSON.parse(row.steps) as StepRecord[]) : [] } : {}),
  };
}

/** How a run ended, as the runs service stores it. */
export type RunResult = { status: 'success' | 'failure'; finishedAt: number; durationMs: number; log: string | null; error: string | null; failedStep: number | null; steps: StepRecord[] };

/** The columns that record a run's end (and free its lease); used by the knex and the direct SQLite path. */
export function runFinishColumns(result: RunResult) {
  return {
    status: result.status,
    finished_at: result.finishedAt,
    duration_ms: result.durationMs,
    log: result.log,
    error: result.error,
    failed_step: result.failedStep,
    steps: JSON.stringify(result.steps),
    lease_owner: null,
    lease_expires_at: null,
  };
}

export function runsRepo(knex: Knex) {
  const table = () => knex<Row>('task_runs');
  return {
    async insertRunning(input: { taskId: number; userId: number; trigger: RunTrigger; startedAt: number }): Promise<number> {
      const [id] = await table().insert({
        task_id: input.taskId,
        user_id: input.userId,
        trigger: input.trigger,
        status: 'running',
        started_at: input.startedAt,
      });
      return Number(id);
    },

    /** Records the end of a run still marked running; false when the reaper already called it lost. */
    async finish(id: number, result: RunResult): Promise<boolean> {
      const changed = await table()
        .where({ id, status: 'running' })
        .update(runFinishColumns(result) as Partial<Row>);
      return changed === 1;
    },

    /** Marks a run whose process died `lost`; false when it finished (or was reaped) meanwhile. */
    async markLost(id: number, now: number, startedAt: number): Promise<boolean> {
      const changed = await table()
        .where({ id, status: 'running' })
        .update({ status: 'lost', finished_at: now, duration_ms: now - startedAt, error: 'the run was lost: the Chime process running it stopped', lease_owner: null, lease_expires_at: null } as Partial<Row>);
      return changed === 1;
    },

    async findById(id: number): Promise<Run | undefined> {
      const row = await table().where({ id }).first();
      return row && toRun(row);
    },

    /** Newest first; `before` is the id of the last run of the previous page. */
    async listForTask(taskId: number, page: { limit: number; before?: number }): Promise<Run[]> {
      let query = table().select(SUMMARY_COLUMNS).where({ task_id: taskId });
      if (page.before) query = query.andWhere('id', '<', page.before);
      return (await query.orderBy('id', 'desc').limit(page.limit)).map((r) => toRun(r as Row));
    },

    async findSummaries(ids: number[]): Promise<Run[]> {
      if (ids.length === 0) return [];
      return (await table().select(SUMMARY_COLUMNS).whereIn('id', ids)).map((r) => toRun(r as Row));
    },
  };
}

export type RunsRepo = ReturnType<typeof runsRepo>;

/** A run as the charts draw it. */
export type ChartRunRow = { id: number; taskId: number; status: RunStatus; startedAt: number; durationMs: number | null };

/** Read-only queries for the charts: a page's worth of tasks at once, never one query per task. */
export function runChartQueries(knex: Knex) {
  return {
    /**
     * The last `perTask` runs of each task, newest first: one statement, a UNION ALL of one small
     * range read per task on the (task_id, id) index, so the cost follows the page, not the history.
     * The owner is checked on the rows, not in SQL: with `user_id = ?` in the WHERE, SQLite walks the
     * (user_id, id) index through every run of the user instead (40 ms for 30,000 runs, not 2).
     */
    async recentForTasks(userId: number, taskIds: number[], perTask: number): Promise<ChartRunRow[]> {
      if (taskIds.length === 0) return [];
      const one = (taskId: number, i: number) =>
        knex
          .select('*')
          .from(
            knex('task_runs')
              .select('id', 'task_id', 'user_id', 'status', 'started_at', 'duration_ms')
              .where({ task_id: taskId })
              .orderBy('id', 'desc')
              .limit(perTask)
              .as(`r${i}`),
          );
      const [first, ...rest] = taskIds.map(one);
      const rows = (await (rest.length ? first!.unionAll(rest) : first!)) as Pick<Row, 'id' | 'task_id' | 'user_id' | 'status' | 'started_at' | 'duration_ms'>[];
      return rows.filter((r) => Number(r.user_id) === userId).map((r) => ({
        id: Number(r.id),
        taskId: Number(r.task_id),
        status: r.status as RunStatus,
        startedAt: Number(r.started_at),
        durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
      }));
    },

    /** Finished runs per task and outcome since `since` (index task_runs_task_finished; the owner checked on the rows, as above). */
    async outcomesSince(userId: number, taskIds: number[], since: number): Promise<Map<number, { success: number; failure: number }>> {
      const out = new Map<number, { success: number; failure: number }>();
      if (taskIds.length === 0) return out;
      const rows = (await knex('task_runs')
        .select('task_id', 'status')
        .count({ n: '*' })
        .select('user_id')
        .whereIn('task_id', taskIds)
        .andWhere('finished_at', '>=', since)
        .groupBy('task_id', 'user_id', 'status')) as { task_id: number | string; user_id: number | string; status: string; n: number | string }[];
      for (const row of rows) {
        // No status filter in SQL: with one, SQLite reads by the status index instead of (task_id, finished_at).
        if (Number(row.user_id) !== userId || (row.status !== 'success' && row.status !== 'failure' && row.status !== 'lost')) continue;
        const entry = out.get(Number(row.task_id)) ?? { success: 0, failure: 0 };
        if (row.status === 'success') entry.success += Number(row.n);
        else entry.failure += Number(row.n);
        out.set(Number(row.task_id), entry);
      }
      return out;
    },
  };
}

export type RunChartQueries = ReturnType<typeof runChartQueries>;
