// Running tasks and testing templates: resolve variables, execute, mask, store, update the task.
// No transaction is open while requests are in flight: the run row is written before and after.
import type { Knex } from 'knex';
import { notFound } from '../lib/errors.js';
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

export type RunsDeps = { knex: Knex; box: SecretBox; http: HttpClient; clock?: Clock };

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

export function createRunsService({ knex, box, http, clock = systemClock }: RunsDeps) {
  const runs = runsRepo(knex);
  const tasks = tasksRepo(knex, box);
  const templates = templatesRepo(knex, box);

  async function execute(recipe: Recipe, taskVariables: Record<string, string>, persisted: Record<string, string>): Promise<RunOutcome> {
    const { values, secretNames } = resolveVariables(recipe, taskVariables, persisted);
    const outcome = await runSteps({ steps: recipe.steps, log: recipe.log, variables: values, proxy: values[PROXY_VARIABLE] || undefined }, { http, clock });
    return maskOutcome(outcome, secretValues(values, secretNames, outcome));
  }

  return {
    /** Runs the task now and waits for the result. */
    async runTask(user: User, taskId: number, trigger: RunTrigger = 'manual'): Promise<Run> {
      const task = await tasks.findById(taskId);
      if (!task || task.userId !== user.id) throw notFound();
      return runLoadedTask(task, trigger);
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

  async function runLoadedTask(task: Task, trigger: RunTrigger): Promise<Run> {
    const template = (await templates.findById(task.templateId))!;
    const startedAt = clock.now();
    const runId = await runs.insertRunning({ taskId: task.id, userId: task.userId, trigger, startedAt });
    let outcome: RunOutcome;
    try {
      outcome = await execute(template, task.variables, task.persisted);
    } catch (err) {
      // A fault of ours, not of the task: the run must not stay "running" forever.
      await runs.finish(runId, { status: 'failure', finishedAt: clock.now(), durationMs: clock.now() - startedAt, log: null, error: 'Chime failed while running this task; the error was logged.', failedStep: null, steps: [] });
      throw err;
    }
    const finishedAt = clock.now();
    await runs.finish(runId, { ...outcome, finishedAt, durationMs: finishedAt - startedAt });
    const persistedNow = Object.keys(outcome.persist).length ? { ...task.persisted, ...outcome.persist } : undefined;
    await tasks.recordOutcome(task.id, { runId, success: outcome.status === 'success', finishedAt, persisted: persistedNow });
    return (await runs.findById(runId))!;
  }
}

export type RunsService = ReturnType<typeof createRunsService>;
