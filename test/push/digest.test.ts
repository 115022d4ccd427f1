// The digest's clock and content on real databases: the first anchor is always ahead (QD's fired at
// once), a late look covers only the most recent window; the content groups the window's runs by task
// with their counts, lists idle tasks, leaves out push-disabled tasks, other users and runs outside
// the window, reads only a few runs per task, fits a channel's limit by whole tasks, escapes its HTML
// and speaks the user's language in the user's zone.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { buildDigest, measure, type DigestInput } from '../../src/push/digest.js';
import { dueWindow, firstAnchor, lastInterval } from '../../src/push/digest-window.js';
import { timeFormatter } from '../../src/web/render.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seedTask, seedTemplate, seedUser } from '../helpers/scheduler-fixtures.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const W_END = Date.parse('2026-11-21T08:00:00.000Z');
const W_START = W_END - DAY;

type RunOver = { status?: string; trigger?: string; log?: string | null; error?: string | null };

async function seedRun(knex: Knex, task: { id: number; userId: number }, finishedAt: number | null, over: RunOver = {}): Promise<number> {
  const startedAt = (finishedAt ?? W_END) - 1000;
  const [id] = await knex('task_runs').insert({
    task_id: task.id,
    user_id: task.userId,
    trigger: over.trigger ?? 'auto',
    status: over.status ?? 'success',
    started_at: startedAt,
    finished_at: finishedAt,
    duration_ms: finishedAt === null ? null : 1000,
    log: over.log ?? null,
    error: over.error ?? null,
  });
  return Number(id);
}

describe('digest window', () => {
  const at = (iso: string) => Date.parse(iso);

  it("puts the first anchor at today's time when it is still ahead, else tomorrow's (never in the past)", () => {
    assert.equal(firstAnchor('08:00:00', 'UTC', at('2026-11-21T07:59:59Z')), at('2026-11-21T08:00:00Z'));
    // QD took today's date even when the time had passed, so saving at 09:00 sent a digest at once.
    assert.equal(firstAnchor('08:00:00', 'UTC', at('2026-11-21T09:00:00Z')), at('2026-11-22T08:00:00Z'));
    assert.equal(firstAnchor('08:00:00', 'UTC', at('2026-11-21T08:00:00Z')), at('2026-11-22T08:00:00Z'), 'strictly after now');
    assert.equal(firstAnchor('08:00:00', 'Asia/Shanghai', at('2026-11-21T09:00:00Z')), at('2026-11-22T00:00:00Z'));
    // 08:00 in Berlin is 07:00 UTC in winter and 06:00 UTC in summer.
    assert.equal(firstAnchor('08:00:00', 'Europe/Berlin', at('2026-03-28T12:00:00Z')), at('2026-03-29T06:00:00Z'));
  });

  it('is not due before the anchor; at the anchor the window is the interval before it', () => {
    const anchor = at('2026-11-21T08:00:00Z');
    assert.equal(dueWindow(anchor, 86400, anchor - 1), null);
    assert.deepEqual(dueWindow(anchor, 86400, anchor), { windowStart: anchor - DAY, windowEnd: anchor, nextAnchor: anchor + DAY });
  });

  it('after 3 days of downtime covers only the most recent complete window, and the next anchor is one interval later', () => {
    const anchor = at('2026-11-18T08:00:00Z');
    const now = at('2026-11-21T10:30:00Z');
    assert.deepEqual(dueWindow(anchor, 86400, now), { windowStart: at('2026-11-20T08:00:00Z'), windowEnd: at('2026-11-21T08:00:00Z'), nextAnchor: at('2026-11-22T08:00:00Z') });
    assert.deepEqual(dueWindow(anchor, 6 * 3600, now), { windowStart: at('2026-11-21T02:00:00Z'), windowEnd: at('2026-11-21T08:00:00Z'), nextAnchor: at('2026-11-21T14:00:00Z') });
  });

  it('"send now" covers the last interval up to now', () => {
    assert.deepEqual(lastInterval(3600, W_END), { windowStart: W_END - HOUR, windowEnd: W_END });
  });
});

for (const dialect of DIALECTS) {
  describe(`digest content (${dialect})`, () => {
    let t: TestDatabase;
    let knex: Knex;
    before(async () => {
      t = await createTestDatabase(dialect);
      knex = t.db.knex;
    });
    after(() => t.drop());

    async function owner() {
      const userId = await seedUser(knex, W_START);
      const templateId = await seedTemplate(knex, userId, 'https://example.com/ping', W_START);
      const task = async (name: string, over: { enabled?: boolean; push?: boolean } = {}) => ({
        id: await seedTask(knex, userId, templateId, { name, enabled: over.enabled ?? true, push: { enabled: over.push ?? true }, nextRunAt: null }, W_START),
        userId,
      });
      return { userId, task };
    }
    const input = (userId: number, over: Partial<DigestInput> = {}): DigestInput => ({ userId, windowStart: W_START, windowEnd: W_END, language: 'en', zone: 'UTC', ...over });
    const time = timeFormatter('en', 'UTC');

    it('groups the runs of the window by task, with counts, and lists the enabled tasks that did not run', async () => {
      const { userId, task } = await owner();
      const checkIn = await task('Check-in');
      const backup = await task('Backup');
      const idle = await task('Weekly report');
      await task('Switched off', { enabled: false }); // no run, not enabled: not listed
      const quiet = await task('Quiet', { push: false }); // push off: never in the digest
      const c1 = await seedRun(knex, checkIn, W_START + HOUR, { log: 'signed in, +5 points' });
      const c2 = await seedRun(knex, checkIn, W_END - HOUR, { trigger: 'manual', status: 'failure', log: 'tried to sign in', error: 'HTTP 500\n(expected 200)' });
      const c3 = await seedRun(knex, checkIn, W_END, { trigger: 'retry', log: 'ok' }); // the end is in the window
      const b1 = await seedRun(knex, backup, W_START + 2 * HOUR, { status: 'lost', error: 'the run was lost' });
      const b2 = await seedRun(knex, backup, W_START + 3 * HOUR, { log: 'done' });
      await seedRun(knex, checkIn, W_START); // the start is not
      await seedRun(knex, checkIn, W_END + 1);
      await seedRun(knex, checkIn, null, { status: 'running' });
      await seedRun(knex, quiet, W_START + HOUR, { status: 'failure' });
      const stranger = await owner();
      await seedRun(knex, await stranger.task('Check-in'), W_START + HOUR, { status: 'failure' });

      const digest = await buildDigest(knex, input(userId, { baseUrl: 'https://chime.example.com/' }));
      assert.ok(digest);
      assert.deepEqual(digest.data, {
        windowStart: '2026-11-20T08:00:00.000Z',
        windowEnd: '2026-11-21T08:00:00.000Z',
        tasks: [
          // failing tasks first, by name; then the ones that only succeeded; then the idle ones
          {
            id: backup.id, name: 'Backup', successes: 1, failures: 1,
            runs: [
              { id: b2, status: 'success', trigger: 'auto', finishedAt: new Date(W_START + 3 * HOUR).toISOString(), log: 'done' },
              { id: b1, status: 'lost', trigger: 'auto', finishedAt: new Date(W_START + 2 * HOUR).toISOString(), log: 'the run was lost' },
            ],
          },
          {
            id: checkIn.id, name: 'Check-in', successes: 2, failures: 1,
            runs: [
              { id: c3, status: 'success', trigger: 'retry', finishedAt: new Date(W_END).toISOString(), log: 'ok' },
              { id: c2, status: 'failure', trigger: 'manual', finishedAt: new Date(W_END - HOUR).toISOString(), log: 'tried to sign in — HTTP 500 (expected 200)' },
              { id: c1, status: 'success', trigger: 'auto', finishedAt: new Date(W_START + HOUR).toISOString(), log: 'signed in, +5 points' },
            ],
          },
          { id: idle.id, name: 'Weekly report', successes: 0, failures: 0, runs: [] },
        ],
      });
      assert.deepEqual([digest.successes, digest.failures], [3, 2]);
      assert.equal(digest.title, 'Chime digest · 3 ✓ 2 ✗ · Nov 20, 08:00 – Nov 21, 08:00');
      assert.equal(
        digest.text(100_000),
        [
          `${time(W_START)} – ${time(W_END)} (UTC)`,
          '',
          'Backup: 1 succeeded, 1 failed',
          `  ${time(W_START + 3 * HOUR)} · Scheduled · Success · done`,
          `  ${time(W_START + 2 * HOUR)} · Scheduled · Lost · the run was lost`,
          '',
          'Check-in: 2 succeeded, 1 failed',
          `  ${time(W_END)} · Retry · Success · ok`,
          `  ${time(W_END - HOUR)} · Manual · Failed · tried to sign in — HTTP 500 (expected 200)`,
          `  ${time(W_START + HOUR)} · Scheduled · Success · signed in, +5 points`,
          '',
          'Weekly report: did not run in this period',
        ].join('\n'),
      );
      assert.match(digest.html, new RegExp(`<a href="https://chime.example.com/tasks/${checkIn.id}">Check-in</a>`));
      assert.match(digest.html, /<td [^>]*colspan="3">Did not run in this period<\/td>/);
      assert.doesNotMatch(digest.text(100_000) + digest.html, /Quiet|Switched off/);
    });

    it('counts every run but reads only the 10 latest of a task ("… and 15 more runs")', async () => {
      const { userId, task } = await owner();
      const busy = await task('Every minute');
      for (let i = 1; i <= 25; i++) await seedRun(knex, busy, W_START + i * 60_000, { status: i % 5 === 0 ? 'failure' : 'success', log: `run ${i}` });
      const digest = (await buildDigest(knex, input(userId)))!;
      const [only] = digest.tasks;
      assert.deepEqual([only!.successes, only!.failures], [20, 5]);
      assert.deepEqual(only!.runs.map((r) => r.log), ['run 25', 'run 24', 'run 23', 'run 22', 'run 21', 'run 20', 'run 19', 'run 18', 'run 17', 'run 16']);
      assert.match(digest.text(100_000), /\n {2}… and 15 more runs$/);
      assert.equal(digest.data.tasks[0]!.runs.length, 10);
    });

    it('is null when nothing ran and no enabled push-enabled task exists', async () => {
      const { userId, task } = await owner();
      assert.equal(await buildDigest(knex, input(userId)), null, 'no tasks at all');
      const off = await task('Off', { enabled: false });
      const quiet = await task('Quiet', { push: false });
      await seedRun(knex, quiet, W_START + HOUR);
      await seedRun(knex, off, W_START - HOUR);
      assert.equal(await buildDigest(knex, input(userId)), null);
      // A task switched off during the window still reports what it did.
      await seedRun(knex, off, W_START + HOUR, { status: 'failure' });
      assert.deepEqual((await buildDigest(knex, input(userId)))?.tasks.map((x) => [x.name, x.failures]), [['Off', 1]]);
    });

    it('cuts the text to a small limit by whole tasks and says how many are left out', async () => {
      const { userId, task } = await owner();
      for (const name of ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot']) {
        const x = await task(name);
        for (let i = 1; i <= 3; i++) await seedRun(knex, x, W_START + i * HOUR, { log: `${name} run ${i} — a log message of some length` });
      }
      const digest = (await buildDigest(knex, input(userId)))!;
      const full = digest.text(100_000);
      const leftOut = (text: string) => Number(/\n\n… and (\d+) more tasks$/.exec(text)?.[1] ?? 0);
      const runLines = (text: string) => text.split('\n').filter((line) => line.startsWith('  ')).length;
      for (const max of [150, 200, 300, 500, 800, 1000]) {
        const text = digest.text(max);
        assert.ok(measure(`${digest.title}\n\n${text}`) <= max, `fits ${max}`);
        const shown = text.split('\n').filter((line) => /^\w+: \d+ succeeded/.test(line));
        assert.equal(shown.length + leftOut(text), 6, `every task is shown or counted at ${max}: ${text}`);
        // Whole tasks: each one shown has its counts, and all its runs or none of them.
        for (const line of shown) assert.ok(full.includes(line));
        assert.equal(runLines(text) % 3, 0);
        assert.ok(!text.endsWith('…'), 'never cut in the middle of a line');
      }
      assert.deepEqual([150, 200, 300, 500].map((max) => leftOut(digest.text(max))), [6, 5, 2, 0], 'as many tasks as fit, by their counts');
      assert.equal(runLines(digest.text(500)), 0);
      assert.equal(digest.text(800), [`${time(W_START)} – ${time(W_END)} (UTC)`, full.split('\n\n')[1], ...['Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot'].map((n) => `${n}: 3 succeeded, 0 failed`)].join('\n\n'), 'then the runs of the first tasks, where they fit');
      assert.equal(runLines(digest.text(1000)), 6);
      assert.equal(digest.text(100_000), full);
      assert.doesNotMatch(full, /more tasks/);
    });

    it('escapes every value of the HTML table and links each task under BASE_URL', async () => {
      const { userId, task } = await owner();
      const evil = await task('<img src=x onerror=alert(1)> & "co"');
      await seedRun(knex, evil, W_START + HOUR, { status: 'failure', log: '<script>alert("x")</script> & \'y\'' });
      const digest = (await buildDigest(knex, input(userId, { baseUrl: 'https://chime.example.com/a"b' })))!;
      assert.doesNotMatch(digest.html, /<img|<script/);
      assert.match(digest.html, /&lt;img src=x onerror=alert\(1\)&gt; &amp; &quot;co&quot;<\/a>/);
      assert.match(digest.html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &apos;y&apos;/);
      assert.match(digest.html, new RegExp(`href="https://chime.example.com/a&quot;b/tasks/${evil.id}"`));
      assert.match(digest.html, /<table[^>]*>[\s\S]*<th[^>]*>Task<\/th><th[^>]*>Successes<\/th><th[^>]*>Failures<\/th><th[^>]*>Last log<\/th>/);
      // The text is plain: nothing escaped there.
      assert.match(digest.text(10_000), /<img src=x onerror=alert\(1\)> & "co": 0 succeeded, 1 failed/);
    });

    it("speaks the user's language and shows times in the digest's zone", async () => {
      const { userId, task } = await owner();
      const x = await task('签到');
      await seedRun(knex, x, W_START + HOUR, { status: 'failure', trigger: 'manual', log: '今日已签到' });
      const digest = (await buildDigest(knex, input(userId, { language: 'zh-CN', zone: 'Asia/Shanghai' })))!;
      assert.equal(digest.title, 'Chime 汇总 · 0 ✓ 1 ✗ · 11月20日 16:00 – 11月21日 16:00');
      const zhTime = timeFormatter('zh-CN', 'Asia/Shanghai');
      assert.equal(
        digest.text(10_000),
        [`${zhTime(W_START)} – ${zhTime(W_END)}（Asia/Shanghai）`, '', '签到：成功 0 次，失败 1 次', `  ${zhTime(W_START + HOUR)} · 手动 · 失败 · 今日已签到`].join('\n'),
      );
      assert.match(digest.html, /<th[^>]*>任务<\/th>/);
    });
  });
}
