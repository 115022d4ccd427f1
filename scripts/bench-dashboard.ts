// Dashboard benchmark: one user with 1,000 tasks of 30 runs each in a temporary SQLite database; the
// /tasks page (50 tasks a page, with sparklines, 7-day rates and the first-run checklist) is timed
// server-side, from the request entering the handler's router to the last byte written. Views are
// cached as in production. Prints one JSON line: {tasks, runs, requests, p50Ms, p99Ms, maxMs, bytes}.
//
//   npx tsx scripts/bench-dashboard.ts [--tasks=1000] [--runs=30] [--requests=200] [--page=1]
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createDb } from '../src/db/knex.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { parseConfig } from '../src/config.js';
import { createServices } from '../src/services.js';
import { silentLogger } from '../src/lib/log.js';
import { translator } from '../src/lib/i18n.js';
import { setViewCache, timeFormatter } from '../src/web/render.js';
import { dashboardRoutes } from '../src/tasks/dashboard-routes.js';
import { dashboardQueries } from '../src/tasks/repo.js';
import { runChartQueries } from '../src/runs/repo.js';
import { templateSchema } from '../src/templates/schema.js';
import { taskSchema } from '../src/tasks/schema.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const TASKS = Number(args.get('tasks') ?? 1000);
const RUNS = Number(args.get('runs') ?? 30);
const REQUESTS = Number(args.get('requests') ?? 200);
const PAGE = Number(args.get('page') ?? 1);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-bench-dashboard-'));
  const url = `sqlite://${path.join(dir, 'bench.sqlite')}`;
  const config = parseConfig({ NODE_ENV: 'production', APP_SECRET: 'bench-secret-that-is-long-enough-0123456789', DATABASE_URL: url, LOG_LEVEL: 'silent' });
  const db = createDb(url);
  try {
    await migrateToLatest(db);
    const services = createServices({ config, db, log: silentLogger });
    const knex = db.knex;
    const user = await services.accounts.register({ email: 'bench@example.com', password: 'correct horse battery' });
    const template = await services.templates.create(user, templateSchema.parse({ name: 'ping', steps: [{ method: 'GET', url: 'http://127.0.0.1:1/' }] }));

    const seedStart = performance.now();
    const now = Date.now();
    const taskIds: number[] = [];
    for (let i = 0; i < TASKS; i++) {
      const task = await services.tasks.create(user, taskSchema.parse({ templateId: template.id, name: `Task ${i}`, group: `group ${i % 10}`, schedule: { type: 'daily', time: '08:00' } }));
      taskIds.push(task.id);
    }
    const rows = taskIds.flatMap((taskId, t) =>
      Array.from({ length: RUNS }, (_, r) => {
        const startedAt = now - (RUNS - r) * 3_600_000 - t;
        const failed = (r + t) % 7 === 0;
        return { task_id: taskId, user_id: user.id, trigger: 'auto', status: failed ? 'failure' : 'success', started_at: startedAt, finished_at: startedAt + 200 + (r % 13) * 40, duration_ms: 200 + (r % 13) * 40, error: failed ? 'HTTP 500' : null };
      }),
    );
    await knex.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += 500) await trx('task_runs').insert(rows.slice(i, i + 500));
    });
    const lastRun = await knex('task_runs').select('task_id').max({ id: 'id' }).groupBy('task_id');
    await knex.transaction(async (trx) => {
      for (const r of lastRun as { task_id: number; id: number }[]) await trx('tasks').where({ id: r.task_id }).update({ last_run_id: r.id });
    });
    const seedMs = performance.now() - seedStart;

    // The dashboard's router alone, with what the app's middleware would have put on the request.
    setViewCache(true);
    const session: Record<string, unknown> = {};
    const app = express();
    app.use((req, res, next) => {
      Object.assign(req, { user, t: translator('en'), language: 'en', session });
      res.locals.nav = [];
      res.locals.timeZone = 'UTC';
      res.locals.formatTime = timeFormatter('en', 'UTC');
      res.locals.now = Date.now();
      next();
    });
    app.use(dashboardRoutes({ tasks: services.tasks, runs: services.runs, charts: runChartQueries(knex), setup: dashboardQueries(knex) }));

    const times: number[] = [];
    const server = http.createServer((req, res) => {
      const start = process.hrtime.bigint();
      res.on('finish', () => times.push(Number(process.hrtime.bigint() - start) / 1e6));
      app(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let bytes = 0;
    for (let i = 0; i < 20; i++) await (await fetch(`${base}/tasks?page=${PAGE}`)).text(); // warm-up
    times.length = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const res = await fetch(`${base}/tasks?page=${PAGE}`);
      const html = await res.text();
      if (res.status !== 200 || !html.includes('class="chart sparkline"')) throw new Error(`unexpected answer ${res.status}: ${html.slice(0, 300)}`);
      bytes = html.length;
    }
    server.close();
    const sorted = [...times].sort((a, b) => a - b);
    const round = (v: number) => Math.round(v * 100) / 100;
    console.log(JSON.stringify({ tasks: TASKS, runs: rows.length, page: PAGE, requests: REQUESTS, p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1)!), bytes, seedSeconds: round(seedMs / 1000), db: 'sqlite' }));
  } finally {
    await db.knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
