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
    async finish(
      id: number,
      result: { status: 'success' | 'failure'; finishedAt: number; durationMs: number; log: string | null; error: string | null; failedStep: number | null; steps: StepRecord[] },
    ): Promise<boolean> {
      const changed = await table()
        .where({ id, status: 'running' })
        .update({
          status: result.status,
          finished_at: result.finishedAt,
          duration_ms: result.durationMs,
          log: result.log,
          error: result.error,
          failed_step: result.failedStep,
          steps: JSON.stringify(result.steps),
          lease_owner: null,
          lease_expires_at: null,
        } as Partial<Row>);
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
