// What every scenario of `npm run bench` (and scripts/bench-scheduler.ts) shares: options, seeding
// (users, one template each, tasks with encrypted variables, all due in 1 to 7 days), statistics,
// and the shape of a result. Databases are made in databases.ts.
import os from 'node:os';
import type { Knex } from 'knex';
import type { Dialect } from '../../src/db/knex.js';
import { createSecretBox } from '../../src/db/secret-box.js';
import type { DatabaseStock } from './databases.js';

export const SECRET = 'bench-secret-that-is-long-enough-0123456789';
export const box = createSecretBox(SECRET);
export const DAY = 24 * 60 * 60 * 1000;
export const MB = 1024 * 1024;

/** `--name=value`, `--name value` or a bare `--flag`. */
export function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) out.set(a.slice(2), argv[++i]!);
    else out.set(a.slice(2), 'true');
  }
  return out;
}

export const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]!;
export const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
/** Rounds to `digits` decimals (figures in the table and the JSON). */
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Polls `check` until it returns true; throws after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A target a figure is held to: `value < limit` or `value >= limit`. */
export type Target = { figure: string; op: '<' | '>='; limit: number; value: number; pass: boolean };

export function target(figure: string, value: number, op: Target['op'], limit: number): Target {
  return { figure, op, limit, value, pass: op === '<' ? value < limit : value >= limit };
}

/** One scenario on one database: its figures (name → value, units in the names) and its targets. */
export type ScenarioResult = {
  scenario: string;
  db: Dialect | 'none';
  figures: Record<string, number | string | boolean>;
  targets: Target[];
  notes: string[];
};

export type BenchOptions = {
  quick: boolean;
  dialects: Dialect[];
  /** The site the tasks call and the webhook receiver (another process). */
  siteUrl: string;
  /** Where a scenario gets its fresh, migrated database (made at the start of the run). */
  databases: DatabaseStock;
};

// knex writes a SQLite multi-row insert as a compound SELECT, which SQLite caps at 500 terms.
export const chunkOf = (knex: Knex) => (knex.client.config.client === 'better-sqlite3' ? 400 : 1000);

/** `count` users, each with one template whose one step GETs `${siteUrl}/ping`. */
export async function seedUsers(knex: Knex, siteUrl: string, count: number, now = Date.now()): Promise<{ userIds: number[]; templateOf: Map<number, number> }> {
  const chunk = chunkOf(knex);
  const first = Number((await knex('users').max({ m: 'id' }).first())?.m ?? 0);
  const users = Array.from({ length: count }, (_, i) => ({ email: `bench-${first + i}@example.com`, password_hash: 'x', timezone: i % 2 ? 'Europe/Berlin' : null, created_at: now, updated_at: now }));
  await knex.batchInsert('users', users, chunk);
  const userIds = (await knex('users').where('id', '>', first).orderBy('id').pluck('id')).map(Number);
  const steps = JSON.stringify([{ method: 'GET', url: `${siteUrl}/ping?token={{ token }}` }]);
  const variables = JSON.stringify([{ name: 'token', secret: true }]);
  await knex.batchInsert('templates', userIds.map((id) => ({ user_id: id, name: 'ping', public: 0, variables, steps, step_count: 1, created_at: now, updated_at: now })), chunk);
  const templateOf = new Map((await knex('templates').whereIn('user_id', userIds).select('id', 'user_id')).map((r) => [Number(r.user_id), Number(r.id)]));
  return { userIds, templateOf };
}

const SCHEDULES = [
  JSON.stringify({ type: 'daily', time: '08:00' }),
  JSON.stringify({ type: 'cron', expression: '*/30 * * * *', timezone: 'Asia/Shanghai' }),
  JSON.stringify({ type: 'interval', seconds: 3600 }),
];

/**
 * Tasks number `from` … `to - 1`, round robin over the users, none due (1 to 7 days ahead). The
 * variables are encrypted once per 100 tasks: encrypting 100,000 separately only slows the seeding.
 */
export async function seedTasks(knex: Knex, users: { userIds: number[]; templateOf: Map<number, number> }, from: number, to: number, now = Date.now()): Promise<void> {
  const chunk = chunkOf(knex);
  const retry = JSON.stringify({ count: 8, intervalSeconds: null });
  const push = JSON.stringify({ enabled: true });
  const variables = Array.from({ length: 100 }, (_, i) => box.encryptJson({ token: `secret-${i}` }));
  const BATCH = 5000;
  for (let start = from; start < to; start += BATCH) {
    const rows = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) {
      const userId = users.userIds[i % users.userIds.length]!;
      rows.push({
        user_id: userId,
        template_id: users.templateOf.get(userId)!,
        name: `task ${i}`,
        enabled: 1,
        variables_enc: variables[i % 100]!,
        persisted_enc: null, // as the app stores "nothing persisted yet"
        schedule: SCHEDULES[i % SCHEDULES.length]!,
        retry,
        push,
        next_run_at: now + DAY + Math.floor(Math.random() * 6 * DAY),
        next_trigger: 'auto',
        created_at: now,
        updated_at: now,
      });
    }
    await knex.batchInsert('tasks', rows, chunk);
  }
}

/**
 * Grows the tasks table to `to` rows by copying the rows there are (INSERT … SELECT, in the database:
 * seconds faster than sending 90,000 rows), each copy due at another instant 1 to 7 days ahead.
 */
export async function growTasks(knex: Knex, to: number, now = Date.now()): Promise<void> {
  const columns = ['user_id', 'template_id', 'name', 'enabled', 'variables_enc', 'persisted_enc', 'schedule', 'retry', 'push', 'next_trigger', 'created_at', 'updated_at'];
  for (;;) {
    const have = await count(knex('tasks'));
    if (have >= to) return;
    const take = Math.min(have, to - have);
    // MySQL reads the source rows into a temporary table first, so the copy may select from its own table.
    await knex.raw(
      `INSERT INTO tasks (${columns.join(', ')}, next_run_at) SELECT ${columns.join(', ')}, ? + ((id * 7919 + ?) % ?) FROM tasks ORDER BY id LIMIT ?`,
      [now + DAY, have, 6 * DAY, take],
    );
  }
}

/** Due at `slot`: the tasks with these ids (in batches, for the IN list). */
export async function makeDue(knex: Knex, ids: number[], slot: number): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) await knex('tasks').whereIn('id', ids.slice(i, i + 500)).update({ next_run_at: slot });
}

/** Back to 1 to 7 days ahead, not running: undoes makeDue and the claims of a scenario. */
export async function makeIdle(knex: Knex, ids: number[], now = Date.now()): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await knex('tasks')
      .whereIn('id', ids.slice(i, i + 500))
      .update({ next_run_at: now + DAY + Math.floor(Math.random() * 6 * DAY), running_since: null, next_trigger: 'auto' });
  }
}

export async function count(query: Knex.QueryBuilder): Promise<number> {
  const row = (await query.count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/** The machine, for results.json and the README. */
export function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((n) => round(n)),
  };
}
