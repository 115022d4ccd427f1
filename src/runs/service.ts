// Running tasks and testing templates: resolve variables, execute, mask, store, update the task.
// No transaction is open while requests are in flight: the run row is written before and after.
import type { Knex } from 'knex';
import { AppError, notFound } from '../lib/errors.js';
import { claimsRepo } from '../scheduler/claims.js';
import { afterRun } from '../scheduler/after-run.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { SecretBox } from '../db/secret-box.js';
import type { User } from '../accounts/users-repo.js';
import { tasksRepo, type TaskForRun, type TaskWrite } from '../tasks/repo.js';
import type { Recipe } from '../templates/repo.js';
import { PROXY_VARIABLE } from '../tasks/schema.js';
import { runSteps, type HttpClient } from './engine.js';
import { maskOutcome } from './mask.js';
import { runsRepo, type Run, type RunResult, type RunTrigger } from './repo.js';
import type { RunOutcome } from './types.js';
import { queueRunPush, runPushDecision, type FinishedRunFacts } from '../push/task-events.js';
import { quietFinisher } from './finish-direct.js';
import type { Metrics } from '../ops/metrics.js';
import type { Logger } from '../lib/log.js';
import type { ApiUtilSettings } from './api-util.js';

export type Lease = { owner: string; ms: number };

export type RunsDeps = {
  knex: Knex;
  box: SecretBox;
  http: HttpClient;
  clock?: Clock;
  lease: Lease;
  defaultTimezone: string;
  baseUrl?: string;
  /** Counts finished runs (Prometheus). */
  metrics?: Pick<Metrics, 'runFinished'>;
  log?: Logger;
  /** How api://util steps answer (API_DELAY_MAX_SECONDS, DEFAULT_TIMEZONE). */
  apiUtil?: ApiUtilSettings;
};

export const RUNS_PAGE_SIZE = 50;


/** A run the scheduler (or a manual run) has claimed: its row exists, with this start time. */
export type ClaimedRun = { taskId: number; runId: number; trigger: RunTrigger; startedAt: number };

/** A task as a run reads it, with its owner (time zone, and language and email for pushes) and its recipe. */
type LoadedTask = TaskForRun;

/** Template defaults → task variables → values persisted by earlier runs (later wins). */
export function resolveVariables(recipe: Recipe, taskVariables: Record<string, string> = {}, persisted: Record<string, string> = {}) {
  const values: Record<string, string> = {};
  for (const v of recipe.variables) if (v.default !== undefined) values[v.name] = v.default;
  Object.assign(values, taskVariables, persisted);
  const secretNames = new Set(recipe.variables.filter((v) => v.secret).map((v) => v.name));
  return { values, secretNames };
}

/** Every secret value the run saw: given ones and those extracted into secret variables. */
function secretValues(values: Record<string, string>, secretNames: Set<string>, outcome: RunOutcome): string[] {
  const found = [...secretNames].map((n) => values[n]).filter((v): v is string => typeof v === 'string');
  for (const step of outcome.steps) for (const [name, value] of Object.entries(step.extracted)) if (secretNames.has(name)) found.push(value);
  for (const [name, value] of Object.entries(outcome.persist)) if (secretNames.has(name)) found.push(value);
  return found;
}

export function createRunsService({ knex, box, http, clock = systemClock, lease, defaultTimezone, baseUrl, metrics, log, apiUtil }: RunsDeps) {
  const runs = runsRepo(knex);
  const tasks = tasksRepo(knex, box);
  const claims = claimsRepo(knex);
  /** The hot path without knex (finish-direct.ts) needs the knex instance, not a transaction. */
  const direct = !knex.isTransaction;
  const finishQuietly = quietFinisher(knex, box);

  /** The task's time zone: its schedule's, else its owner's, else the site's. */
  function zoneOf({ task, ownerTimezone }: LoadedTask): string {
    const own = 'timezone' in task.schedule ? task.schedule.timezone : undefined;
    return own || (ownerTimezone ?? defaultTimezone);
  }

  async function execute(recipe: Recipe, taskVariables: Record<string, string>, persisted: Record<string, string>): Promise<RunOutcome> {
    const { values, secretNames } = resolveVariables(recipe, taskVariables, persisted);
    const outcome = await runSteps({ steps: recipe.steps, log: recipe.log, variables: values, proxy: values[PROXY_VARIABLE] || undefined }, { http, clock, apiUtil });
    return maskOutcome(outcome, secretValues(values, secretNames, outcome));
  }

  return {
    /** Runs the task now and waits for the result; a task already running answers 409. */
    async runTask(user: User, taskId: number): Promise<Run> {
      const task = await tasks.findById(taskId);
      if (!task || task.userId !== user.id) throw notFound();
      const startedAt = clock.now();
      const runId = await claims.claimManual(taskId, user.id, startedAt, lease);
      if (runId === null) throw new AppError(409, 'task_running', 'errors.task_running');
      return runClaimed(taskId, runId, 'manual', startedAt);
    },

    runClaimed,

    executeClaimed,

    /** The reaper's part: a run whose process died is `lost`, which counts as an automatic failure. */
    async markLost(run: { id: number; taskId: number; trigger: RunTrigger; startedAt: number }): Promise<boolean> {
      const now = clock.now();
      if (!(await runs.markLost(run.id, now, run.startedAt))) return false;
      const loaded = await tasks.findForRun(run.taskId);
      if (!loaded) return true;
      const error = 'the run was lost';
      const changes = afterRun(loaded.task, { trigger: run.trigger, success: false, error, startedAt: run.startedAt, finishedAt: now }, zoneOf(loaded));
      await knex.transaction(async (trx) => {
        await tasksRepo(trx, box).completeRun(run.taskId, { runId: run.id, success: false, finishedAt: now, changes });
        const facts: FinishedRunFacts = { id: run.id, trigger: run.trigger, success: false, status: 'lost', startedAt: run.startedAt, finishedAt: now, log: null, error, failedStep: null };
        await pushAfter(trx, loaded, changes, facts);
      });
      metrics?.runFinished('lost', run.trigger, now - run.startedAt);
      log?.warn({ runId: run.id, taskId: run.taskId, trigger: run.trigger }, 'run lost: its process stopped renewing the lease');
      return true;
    },

    /** A dry run of a recipe (saved or still in the editor): nothing stored, nothing pushed. */
    testRecipe(recipe: Recipe, variables: Record<string, string> = {}): Promise<RunOutcome> {
      return execute(recipe, variables, {});
    },

    async get(user: User, runId: number): Promise<Run> {
      const run = await runs.findById(runId);
      if (!run || run.userId !== user.id) throw notFound();
      return run;
    },

    async listForTask(user: User, taskId: number, page: { limit?: number; before?: number } = {}): Promise<Run[]> {
      const task = await tasks.findById(taskId);
      if (!task || task.userId !== user.id) throw notFound();
      return runs.listForTask(taskId, { limit: Math.min(Math.max(page.limit ?? RUNS_PAGE_SIZE, 1), 200), before: page.before });
    },

    lastRuns(ids: number[]): Promise<Run[]> {
      return runs.findSummaries(ids);
    },
  };

  /**
   * Executes a run that has been claimed and records its outcome (the scheduler's path: nothing is
   * read back). A fault of ours still ends the run, as a failure, before the error is thrown on.
   */
  async function executeClaimed(claimed: ClaimedRun): Promise<void> {
    const loaded = await tasks.findForRun(claimed.taskId);
    // Deleted between its claim and now: the run row went with it (ON DELETE CASCADE).
    if (!loaded) throw notFound();
    let outcome: RunOutcome;
    try {
      outcome = await execute(loaded.recipe, loaded.task.variables, loaded.task.persisted);
    } catch (err) {
      // A fault of ours, not of the task: the run must not stay "running" forever.
      outcome = { status: 'failure', log: null, error: 'Chime failed while running this task; the error was logged.', failedStep: null, steps: [], persist: {} };
      await record(loaded, claimed, outcome);
      throw err;
    }
    await record(loaded, claimed, outcome);
  }

  /** Executes a claimed run (manual, or from tests) and answers the run as stored. */
  async function runClaimed(taskId: number, runId: number, trigger: RunTrigger, startedAt?: number): Promise<Run> {
    startedAt ??= (await runs.findById(runId))?.startedAt ?? clock.now();
    await executeClaimed({ taskId, runId, trigger, startedAt });
    return (await runs.findById(runId))!;
  }

  /**
   * Stores the run's outcome and what it changes on the task in one transaction, so that a crash
   * cannot leave a finished run on a task still marked running. The task as read at the start is
   * used unless the user edited it while the run went on (the edit moved its version): then it is
   * read again, and the edit (schedule, enabled) counts.
   */
  async function record(loaded: LoadedTask, claimed: ClaimedRun, outcome: RunOutcome): Promise<void> {
    const finishedAt = clock.now();
    const success = outcome.status === 'success';
    const changesFor = (current: LoadedTask): TaskWrite => {
      const run = { trigger: claimed.trigger, success, error: outcome.error, startedAt: claimed.startedAt, finishedAt };
      const changes = afterRun(current.task, run, zoneOf(current));
      if (Object.keys(outcome.persist).length) changes.persisted = { ...current.task.persisted, ...outcome.persist };
      return changes;
    };
    const facts: FinishedRunFacts = {
      id: claimed.runId,
      trigger: claimed.trigger,
      success,
      status: outcome.status,
      startedAt: claimed.startedAt,
      finishedAt,
      log: outcome.log,
      error: outcome.error,
      failedStep: outcome.failedStep,
    };
    const result = { ...outcome, finishedAt, durationMs: finishedAt - claimed.startedAt };
    if (!(direct && (await recordQuietly(loaded, claimed, result, success, changesFor(loaded), facts)))) {
      await knex.transaction(async (trx) => {
        const finished = await runsRepo(trx).finish(claimed.runId, result);
        if (!finished) return; // reaped as lost meanwhile: the reaper has updated the task and pushed
        const tasksInTrx = tasksRepo(trx, box);
        const completion = { runId: claimed.runId, success, finishedAt };
        let written = loaded;
        let changes = changesFor(loaded);
        if (!(await tasksInTrx.completeRun(claimed.taskId, { ...completion, changes, expectedVersion: loaded.task.version }))) {
          const current = await tasksInTrx.findForRun(claimed.taskId);
          if (!current) return;
          written = current;
          changes = changesFor(current);
          await tasksInTrx.completeRun(claimed.taskId, { ...completion, changes });
        }
        await pushAfter(trx, written, changes, facts);
      });
    }
    metrics?.runFinished(outcome.status, claimed.trigger, finishedAt - claimed.startedAt);
    // Ids and the outcome only: never variables, URLs or answers (they may hold secrets).
    log?.info({ runId: claimed.runId, taskId: claimed.taskId, trigger: claimed.trigger, status: outcome.status, durationMs: finishedAt - claimed.startedAt }, 'run finished');
  }

  /**
   * The hot path (see finish-direct.ts): records a run that pushes nothing on a task nobody
   * edited meanwhile. False when that is not the case and nothing was written: the knex path follows.
   */
  async function recordQuietly(loaded: LoadedTask, claimed: ClaimedRun, result: RunResult, success: boolean, changes: TaskWrite, facts: FinishedRunFacts): Promise<boolean> {
    const push = runPushDecision({ task: loaded.task, changes, run: facts, owner: loaded.owner });
    if (push.event) return false;
    if (push.failurePushed !== loaded.task.failurePushed) changes.failurePushed = push.failurePushed;
    const run = { runId: claimed.runId, taskId: claimed.taskId, success, result, changes, expectedVersion: loaded.task.version };
    return (await finishQuietly(run)) !== 'stale';
  }

  /**
   * Queues the run's push in the transaction that records it (nothing is sent from here), and keeps
   * the task's "failure pushed in this streak" flag; one more statement only when the flag changes.
   */
  async function pushAfter(trx: Knex.Transaction, loaded: LoadedTask, changes: TaskWrite, run: FinishedRunFacts): Promise<void> {
    const failurePushed = await queueRunPush(trx, { defaultTimezone, baseUrl }, { task: loaded.task, changes, run, owner: loaded.owner });
    if (failurePushed !== loaded.task.failurePushed) await trx('tasks').where({ id: loaded.task.id }).update({ failure_pushed: failurePushed ? 1 : 0 });
  }
}

export type RunsService = ReturnType<typeof createRunsService>;
