// Rows for the scheduler's tests, written through the real repos (variables encrypted with the test
// secret, so the real services can read them): a user, a template whose one step GETs a URL, tasks.
import type { Knex } from 'knex';
import { createSecretBox } from '../../src/db/secret-box.js';
import { tasksRepo, type Task, type TaskWrite } from '../../src/tasks/repo.js';
import { templatesRepo } from '../../src/templates/repo.js';
import { TEST_SECRET } from './app.js';

export const testBox = createSecretBox(TEST_SECRET);

let seq = 0;

export async function seedUser(knex: Knex, now = Date.now()): Promise<number> {
  const [id] = await knex('users').insert({ email: `sched-${process.pid}-${++seq}@example.com`, password_hash: 'x', timezone: 'UTC', created_at: now, updated_at: now });
  return Number(id);
}

/** A template with one GET step to `url`. */
export async function seedTemplate(knex: Knex, userId: number, url: string, now = Date.now()): Promise<number> {
  return templatesRepo(knex, testBox).insert(userId, { name: 'ping', public: false, variables: [], steps: [{ method: 'GET', url }] }, now);
}

/** A task (daily at 08:00 UTC unless told otherwise) due at `nextRunAt`. */
export async function seedTask(knex: Knex, userId: number, templateId: number, write: TaskWrite = {}, now = Date.now()): Promise<number> {
  return tasksRepo(knex, testBox).insert(
    userId,
    templateId,
    {
      name: `task ${++seq}`,
      enabled: true,
      variables: {},
      schedule: { type: 'daily', time: '08:00', timezone: 'UTC' },
      randomDelay: null,
      retry: { count: 8, intervalSeconds: null },
      push: { enabled: true },
      nextRunAt: now,
      ...write,
    },
    now,
  );
}

export function findTask(knex: Knex, id: number): Promise<Task | undefined> {
  return tasksRepo(knex, testBox).findById(id);
}

export type RunRow = { id: number; task_id: number; trigger: string; status: string; started_at: number; finished_at: number | null; lease_owner: string | null; lease_expires_at: number | null; error: string | null };

/** The task's runs, oldest first, with the numbers as numbers (MySQL may hand back strings). */
export async function runsOf(knex: Knex, taskId?: number): Promise<RunRow[]> {
  const query = knex('task_runs').select('id', 'task_id', 'trigger', 'status', 'started_at', 'finished_at', 'lease_owner', 'lease_expires_at', 'error').orderBy('id');
  if (taskId !== undefined) query.where({ task_id: taskId });
  const rows = (await query) as Record<string, unknown>[];
  const num = (v: unknown) => (v === null ? null : Number(v));
  return rows.map((r) => ({
    id: Number(r.id),
    task_id: Number(r.task_id),
    trigger: String(r.trigger),
    status: String(r.status),
    started_at: Number(r.started_at),
    finished_at: num(r.finished_at),
    lease_owner: (r.lease_owner as string | null) ?? null,
    lease_expires_at: num(r.lease_expires_at),
    error: (r.error as string | null) ?? null,
  }));
}

/** Polls `check` every 20 ms until it returns a value other than undefined/false; fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
