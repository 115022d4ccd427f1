// Running tasks and testing templates: resolve variables, execute, mask, store, update the task.
// No transaction is open while requests are in flight: the run row is written before and after.
import type { Knex } from 'knex';
import { AppError, notFound } from '../lib/errors.js';
import { claimsRepo } from '../scheduler/claims.js';
import { afterRun } from '../scheduler/after-run.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { SecretBox } from '../db/secret-box.js';
import type { User } from '../accounts/users-repo.js';
import type { TemplateVariable } from '../templates/repo.js';
import type { Step } from '../templates/schema.js';
import { tasksRepo, type Task } from '../tasks/repo.js';
import { templatesRepo } from '../templates/repo.js';
import { PROXY_VARIABLE } from '../tasks/schema.js';
import { runSteps, type HttpClient } from './engine.js';
import { maskOutcome } from './mask.js';
import { runsRepo, type Run, type RunTrigger } from './repo.js';
import type { RunOutcome } from './types.js';

export type Lease = { owner: string; ms: number };

export type RunsDeps = { knex: Knex; box: SecretBox; http: HttpClient; clock?: Clock; lease: Lease; defaultTimezone: string };

export const RUNS_PAGE_SIZE = 50;

type Recipe = { steps: Step[]; log?: string; variables: TemplateVariable[] };

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

export function createRunsService({ knex, box, http, clock = systemClock, lease, defaultTimezone }: RunsDeps) {
  const runs = runsRepo(knex);
  const tasks = tasksRepo(knex, box);
  const templates = templatesRepo(knex, box);
  const claims = claimsRepo(knex);

  /** The task's time zone: its schedule's, else its owner's, else the site's. */
  async function zoneOf(task: Task): Promise<string> {
    const own = 'timezone' in task.schedule ? task.schedule.timezone : undefined;
    if (own) return own;
    const user = (await knex('users').where({ id: task.userId }).first('timezone')) as { timezone: string | null } | undefined;
    return user?.timezone ?? defaultTimezone;
  }

  async function execute(recipe: Recipe, taskVariables: Record<string, string>, persisted: Record<string, string>): Promise<RunOutcome> {
    const { values, secretNames } = resolveVariables(recipe, taskVariables, persisted);
    const outcome = await runSteps({ steps: recipe.steps, log: recipe.log, variables: values, proxy: values[PROXY_VARIABLE] || undefined }, { http, clock });
    return maskOutcome(outcome, secretValues(values, secretNames, outcome));
  }

  return {
    /** Runs the task now and waits for the result; a task already running answers 409. */
    async runTask(user: User, taskId: number): Promise<Run> {
      const task = await tasks.findById(taskId);
      if (!task || task.userId !== user.id) throw notFound();
      const runId = await claims.claimManual(taskId, user.id, clock.now(), lease);
      if (runId === null) throw new AppError(409, 'task_running', 'errors.task_running');
      return runClaimed(taskId, runId, 'manual');
    },

    /** Executes a run the scheduler (or runTask) has claimed, and records its outcome. */
    runClaimed,

    /** The reaper's part: a run whose process died is `lost`, which counts as an automatic failure. */
    async markLost(run: { id: number; taskId: number; trigger: RunTrigger; startedAt: number }): Promise<boolean> {
      const now = clock.now();
      if (!(await runs.markLost(run.id, now, run.startedAt))) return false;
      const task = await tasks.findById(run.taskId);
      if (!task) return true;
      const changes = afterRun(task, { trigger: run.trigger, success: false, error: 'the run was lost', startedAt: run.startedAt, finishedAt: now }, await zoneOf(task));
      await tasks.completeRun(task.id, { runId: run.id, success: false, finishedAt: now, changes });
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

  async function runClaimed(taskId: number, runId: number, trigger: RunTrigger): Promise<Run> {
    const task = await tasks.findById(taskId);
    // Deleted between its claim and now: the run row went with it (ON DELETE CASCADE).
    if (!task) throw notFound();
    const template = (await templates.findById(task.templateId))!;
    const startedAt = (await runs.findById(runId))?.startedAt ?? clock.now();
    let outcome: RunOutcome;
    try {
      outcome = await execute(template, task.variables, task.persisted);
    } catch (err) {
      // A fault of ours, not of the task: the run must not stay "running" forever.
      outcome = { status: 'failure', log: null, error: 'Chime failed while running this task; the error was logged.', failedStep: null, steps: [], persist: {} };
      await record(task, runId, trigger, outcome, startedAt);
      throw err;
    }
    await record(task, runId, trigger, outcome, startedAt);
    return (await runs.findById(runId))!;
  }

  async function record(task: Task, runId: number, trigger: RunTrigger, outcome: RunOutcome, startedAt: number): Promise<void> {
    const finishedAt = clock.now();
    const finished = await runs.finish(runId, { ...outcome, finishedAt, durationMs: finishedAt - startedAt });
    if (!finished) return; // reaped as lost meanwhile: the reaper has updated the task
    // Read again: the user may have edited the task (schedule, enabled) while it ran.
    const current = (await tasks.findById(task.id)) ?? task;
    const changes = afterRun(current, { trigger, success: outcome.status === 'success', error: outcome.error, startedAt, finishedAt }, await zoneOf(current));
    if (Object.keys(outcome.persist).length) changes.persisted = { ...current.persisted, ...outcome.persist };
    await tasks.completeRun(task.id, { runId, success: outcome.status === 'success', finishedAt, changes });
  }
}

export type RunsService = ReturnType<typeof createRunsService>;
