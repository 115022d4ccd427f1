// Scenario 5 — pages under load: the real app (src/main.ts, NODE_ENV=production so views are cached,
// LOG_LEVEL=info as shipped) in its own process; autocannon in this one. A user registered through the
// pages owns 1,000 tasks, each with a last run; /tasks (its first page, the dashboard), a run page
// (a real manual run made through the page's button) and /healthz (the ceiling: no session, no view)
// each get the load in turn with the user's session cookie.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Knex } from 'knex';
import type { Dialect } from '../../src/db/knex.js';
import { startChime } from '../../test/helpers/process.js';
import { chunkOf, log, round, SECRET, seedTasks, type BenchOptions, type ScenarioResult } from './helpers.js';

const TASKS = 1000;
const CONNECTIONS = 10;

/** A browser stand-in: the session cookie and the CSRF token of the last page. */
class Browser {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly baseUrl: string) {}

  get cookie() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async send(method: string, url: string, form?: Record<string, string>): Promise<{ status: number; location: string | null }> {
    const body = form ? new URLSearchParams({ _csrf: this.csrf, ...form }).toString() : undefined;
    const headers: Record<string, string> = { cookie: this.cookie, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) };
    const res = await fetch(this.baseUrl + url, { method, redirect: 'manual', headers, body });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(await res.text());
    if (token) this.csrf = token[1]!;
    return { status: res.status, location: res.headers.get('location') };
  }
}

/** The user's template (one GET to the site), TASKS tasks, and a copy of `runId` as each one's last run. */
async function seedDashboard(knex: Knex, userId: number, siteUrl: string, now: number): Promise<number> {
  const steps = JSON.stringify([{ method: 'GET', url: `${siteUrl}/ping?token={{ token }}` }]);
  const [templateId] = await knex('templates').insert({ user_id: userId, name: 'ping', public: 0, variables: JSON.stringify([{ name: 'token', secret: true }]), steps, step_count: 1, created_at: now, updated_at: now });
  await seedTasks(knex, { userIds: [userId], templateOf: new Map([[userId, Number(templateId)]]) }, 0, TASKS, now);
  return (await knex('tasks').where({ user_id: userId }).orderBy('id').first('id')).id as number;
}

async function copyLastRuns(knex: Knex, userId: number, runId: number): Promise<void> {
  const run = (await knex('task_runs').where({ id: runId }).first()) as Record<string, unknown>;
  const taskIds = (await knex('tasks').where({ user_id: userId }).whereNot({ id: run.task_id as number }).pluck('id')) as number[];
  const { id: _id, ...rest } = run;
  await knex.batchInsert('task_runs', taskIds.map((taskId) => ({ ...rest, task_id: taskId })), chunkOf(knex));
  await knex('tasks')
    .where({ user_id: userId })
    .update({ last_run_id: knex.raw('(select max(r.id) from task_runs r where r.task_id = tasks.id)'), success_count: 1, last_success_at: Number(run.finished_at) });
}

type Load = { p50Ms: number; p99Ms: number; reqPerSec: number; non2xx: number; errors: number };

async function load(url: string, cookie: string, seconds: number): Promise<Load> {
  const headers = { cookie };
  // Warm: views compiled, connections open, the JIT at work. A run of `amount` requests ends at its
  // next sample, a second in by default: sampling often ends it when the requests are done.
  await autocannon({ url, headers, connections: CONNECTIONS, amount: 10, sampleInt: 50 });
  const r = await autocannon({ url, headers, connections: CONNECTIONS, duration: seconds });
  return { p50Ms: r.latency.p50, p99Ms: r.latency.p99, reqPerSec: round(r.requests.average, 0), non2xx: r.non2xx, errors: r.errors };
}

export type PagesRun = { measure(): Promise<ScenarioResult>; stop(): Promise<void> };

/**
 * Starts the app on a fresh database and makes the user, its tasks and a run page: everything but
 * the load. `measure()` loads the pages in turn; `stop()` ends the app and drops the database.
 */
export async function preparePages(o: BenchOptions, dialect: Dialect): Promise<PagesRun> {
  const seconds = o.quick ? 2 : 10;
  const database = await o.databases.take(dialect);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-bench-data-'));
  let chime: Awaited<ReturnType<typeof startChime>> | undefined;
  const stop = async () => {
    if (chime) {
      chime.signal('SIGTERM');
      await Promise.race([chime.exited, new Promise((r) => setTimeout(r, 5000))]);
      await chime.kill();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    await database.drop();
  };
  try {
    chime = await startChime(
      { NODE_ENV: 'production', APP_SECRET: SECRET, DATABASE_URL: database.url, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'info', BASE_URL: '' },
      { lifetimeMs: 600_000 },
    );
    const browser = new Browser(chime.url);
    await browser.send('GET', '/register');
    const email = 'pages@example.com';
    const registered = await browser.send('POST', '/register', { email, password: 'correct horse battery', passwordConfirm: 'correct horse battery' });
    if (registered.status !== 303 && registered.status !== 302) throw new Error(`registering answered ${registered.status}`);
    const knex = database.db.knex;
    const userId = Number((await knex('users').where({ email }).first('id')).id);
    const firstTask = await seedDashboard(knex, userId, o.siteUrl, Date.now());
    await browser.send('GET', `/tasks/${firstTask}`);
    const ran = await browser.send('POST', `/tasks/${firstTask}/run`, {});
    const runPage = ran.location ?? '';
    if (!/^\/runs\/\d+$/.test(runPage)) throw new Error(`the manual run answered ${ran.status} ${runPage}`);
    await copyLastRuns(knex, userId, Number(runPage.split('/').pop()));
    const appUrl = chime.url;
    return { measure: () => measure(appUrl, browser.cookie, runPage), stop };
  } catch (err) {
    await stop();
    throw err;
  }

  async function measure(appUrl: string, cookie: string, runPage: string): Promise<ScenarioResult> {
    const results: Record<string, Load> = {};
    for (const [name, url] of [['/tasks', '/tasks'], ['run page', runPage], ['/healthz', '/healthz']] as const) {
      results[name] = await load(appUrl + url, cookie, seconds);
      if (results[name].non2xx || results[name].errors) log(`${dialect}: ${name}: ${results[name].non2xx} answers not 2xx, ${results[name].errors} errors`);
    }
    const figures: ScenarioResult['figures'] = {};
    for (const [name, r] of Object.entries(results)) {
      figures[`${name} p50 ms`] = r.p50Ms;
      figures[`${name} p99 ms`] = r.p99Ms;
      figures[`${name} req/s`] = r.reqPerSec;
      if (r.non2xx || r.errors) figures[`${name} not 2xx or errors`] = r.non2xx + r.errors;
    }
    log(`${dialect}: pages ${Object.entries(results).map(([n, r]) => `${n} ${r.reqPerSec} req/s p50 ${r.p50Ms} p99 ${r.p99Ms} ms`).join('; ')}`);
    return {
      scenario: '5. pages under load',
      db: dialect,
      figures,
      targets: [],
      notes: [
        `autocannon, ${CONNECTIONS} connections, ${seconds} s per page after 10 unmeasured requests; the user has ${TASKS} tasks (/tasks shows the first 50)`,
        ...(o.quick ? ['--quick: the app started with the other processes, at the start of the run, and idled until its turn'] : []),
      ],
    };
  }
}

/** Scenario 5 on one database: prepared, measured, stopped. */
export async function pagesScenario(o: BenchOptions, dialect: Dialect, prepared?: Promise<PagesRun>): Promise<ScenarioResult> {
  const run = await (prepared ?? preparePages(o, dialect));
  try {
    return await run.measure();
  } finally {
    await run.stop();
  }
}
