// The server-rendered charts: escaped, accessible, and never relying on colour alone.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, formatDuration, pushChart, pushSwatch, runChart, sparkline, type ChartRun } from '../../src/web/charts.js';
import { relativeTimeFormatter } from '../../src/web/render.js';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient, api, userWithToken } from '../helpers/client.js';

const run = (status: ChartRun['status'], durationMs: number | null, label = `${status} ${durationMs}`): ChartRun => ({ status, durationMs, label });
const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

/** The sparkline's bars per outcome, each "M x y h w v h h -w z" with its height. */
function sparkBars(svg: string): { status: string; x: number; h: number }[] {
  return [...svg.matchAll(/<path class="chart-bar chart-(\w+)"[^>]* d="([^"]+)"/g)].flatMap((m) =>
    [...m[2]!.matchAll(/M([\d.]+) [\d.]+h[\d.]+v([\d.]+)/g)].map((b) => ({ status: m[1]!, x: Number(b[1]), h: Number(b[2]) })),
  );
}
const sparkMarks = (svg: string) => [...svg.matchAll(/<path class="chart-mark chart-(\w+)"[^>]* d="([^"]+)"/g)].flatMap((m) => (m[2]!.match(/M/g) ?? []).map(() => m[1]!));

describe('sparkline', () => {
  it('draws one bar per run and a triangle under each failed or lost one', () => {
    const svg = sparkline([run('success', 100), run('failure', 300), run('success', 200), run('lost', null)], { summary: '4 runs' });
    assert.deepEqual(sparkBars(svg).map((b) => b.status).sort(), ['failure', 'lost', 'success', 'success']);
    assert.deepEqual(sparkMarks(svg).sort(), ['failure', 'lost']);
    assert.match(svg, /^<svg [^>]*role="img" aria-label="4 runs"[^>]*><title>4 runs<\/title>/);
  });

  it('makes bar height follow duration, the longest run reaching the top', () => {
    const hs = sparkBars(sparkline([run('success', 100), run('success', 400)], { summary: 's' })).sort((a, b) => a.x - b.x).map((b) => b.h);
    assert.equal(hs.length, 2);
    assert.ok(hs[1]! > hs[0]!, `${hs}`);
    assert.equal(hs[1], 17);
  });

  it('keeps the last 30 runs, right-aligned so sparklines of different tasks line up', () => {
    const many = Array.from({ length: 40 }, (_, i) => run(i === 9 || i === 10 ? 'failure' : 'success', i * 10, `#${i}`));
    const svg = sparkline(many, { summary: 's' });
    assert.equal(sparkBars(svg).length, 30);
    assert.deepEqual(sparkMarks(svg), ['failure'], 'run 9 fell out, run 10 stayed');
    const few = sparkBars(sparkline([run('success', 5)], { summary: 's' }));
    assert.equal(few[0]!.x, 116, 'a single run sits in the rightmost slot');
  });

  it('escapes the summary', () => {
    const svg = sparkline([run('success', 1, '<script>')], { summary: 'a<b & "c" \'d\'' });
    assert.doesNotMatch(svg, /<script>/);
    assert.match(svg, /aria-label="a&lt;b &amp; &quot;c&quot; &#39;d&#39;"/);
  });

  it('marks a running run with a dashed, lighter bar and no failure triangle', () => {
    const svg = sparkline([run('running', null)], { summary: 's' });
    assert.match(svg, /chart-running[^>]*stroke-dasharray/);
    assert.doesNotMatch(svg, /chart-mark/);
  });
});

describe('runChart', () => {
  it('escapes the tooltips of its bars', () => {
    const svg = runChart([run('success', 1, `<script>"x" & 'y'</script>`)], { summary: 's', longestLabel: 'l', first: 'a', last: 'b' });
    assert.doesNotMatch(svg, /<script>/);
    assert.match(svg, /<title>&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;\/script&gt;<\/title>/);
  });

  it('labels the longest duration and both ends of the time axis in HTML, which does not shrink with the chart', () => {
    const svg = runChart([run('success', 1200), run('failure', 50)], { summary: '2 runs', longestLabel: 'longest: 1.2 s', first: 'Nov 20', last: 'Nov 21' });
    assert.match(svg, /aria-label="2 runs"/);
    assert.doesNotMatch(svg, /<text/);
    assert.match(svg, /<\/svg><div class="chart-axis-labels chart-ends" aria-hidden="true"><span>Nov 20<\/span><span>Nov 21<\/span><\/div>/);
    assert.match(svg, /<div class="chart-axis-labels chart-top" aria-hidden="true"><span>longest: 1\.2 s<\/span><\/div><svg/);
    assert.equal(count(svg, /chart-mark chart-failure/g), 1);
  });
});

describe('pushChart', () => {
  const days = [
    { day: '11/20', label: 'Nov 20: 2 sent, 1 failed, 0 waiting', sent: 2, failed: 1, pending: 0 },
    { day: '11/21', label: 'Nov 21: 0 sent, 0 failed, 1 waiting', sent: 0, failed: 0, pending: 1 },
  ];

  it('stacks sent, failed (hatched) and waiting per day, with each day’s date and total under its bar', () => {
    const svg = pushChart(days, { summary: '3 sent', id: 'h' });
    assert.match(svg, /<pattern id="h-hatch"/);
    assert.match(svg, /<rect class="chart-bar chart-failed"[^>]*fill="url\(#h-hatch\)"/);
    assert.equal(count(svg, /<rect class="chart-bar chart-sent"/g), 1);
    assert.equal(count(svg, /<rect class="chart-bar chart-pending"/g), 1);
    assert.match(svg, /<title>Nov 20: 2 sent, 1 failed, 0 waiting<\/title>/);
    assert.match(svg, /<span><span class="chart-day">11\/20<\/span><b class="chart-total">3<\/b><\/span><span><span class="chart-day">11\/21<\/span><b class="chart-total">1<\/b><\/span><\/div>/);
  });

  it('gives the legend its own hatch, so no id appears twice on the page', () => {
    const chart = pushChart(days, { summary: 's', id: 'h' });
    const swatch = pushSwatch('failed', 'h');
    const ids = [...(chart + swatch).matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length);
    assert.match(swatch, /aria-hidden="true"/);
  });
});

describe('helpers', () => {
  it('formats durations', () => {
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(1234), '1.2 s');
    assert.equal(formatDuration(45_000), '45 s');
    assert.equal(formatDuration(150_000), '2.5 min');
  });

  it('escapes the five XML specials', () => {
    assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('says times relative to now, in the reader’s language', () => {
    const now = Date.parse('2026-11-21T12:00:00Z');
    const en = relativeTimeFormatter('en', now);
    assert.equal(en(now - 3 * 60_000), '3 min. ago');
    assert.equal(en(now + 2 * 3_600_000), 'in 2 hr.');
    assert.equal(en(now - 10_000), 'now');
    assert.equal(en(now - 26 * 3_600_000), 'yesterday');
    assert.equal(en(null), '');
    const zh = relativeTimeFormatter('zh-CN', now);
    assert.equal(zh(now - 3 * 60_000), '3分钟前');
    assert.equal(zh(now + 2 * 3_600_000), '2小时后');
  });
});

// The pages that show the charts, the first-run checklist and relative times.
for (const dialect of DIALECTS) {
  describe(`charts and helpful states on the pages (${dialect})`, () => {
    const NOW = Date.parse('2026-11-21T12:00:00Z');
    const HOUR = 3_600_000;
    let app: TestApp;
    let browser: WebClient;
    let token: string;
    let userId: number;
    const knex = () => app.database.db.knex;

    before(async () => {
      app = await startTestApp(dialect, { clock: { now: () => NOW } });
      browser = new WebClient(app.url);
      const user = await userWithToken(app.url, `charts-${dialect}@example.com`);
      token = user.token;
      userId = user.id;
      await browser.login(user.email);
    });
    after(() => app.close());

    it('shows a new user the checklist, ticks steps as they are done, and hides it when dismissed', async () => {
      const first = await browser.get('/tasks');
      assert.match(first.html, /<h2 id="welcome-title">Get started<\/h2>/);
      assert.equal((first.html.match(/\(to do\)/g) ?? []).length, 4);
      assert.match(first.html, /No tasks yet\. A task runs one of your templates on a schedule\.\s*<a href="\/templates\/import">First import a template<\/a>/);
      await api(app.url, 'POST', '/templates', { token, body: { name: 'ping', steps: [{ method: 'GET', url: 'http://127.0.0.1:1/' }] } });
      const after = await browser.get('/tasks');
      assert.match(after.html, /<span>Import a template[^<]*<\/span>\s*<span class="check-state">\(done\)<\/span>/);
      assert.equal((after.html.match(/\(to do\)/g) ?? []).length, 3);
      const dismissed = await browser.post('/tasks/checklist/dismiss');
      assert.equal(dismissed.status, 303);
      assert.doesNotMatch((await browser.get('/tasks')).html, /Get started/);
    });

    it('draws each task’s last 30 runs and says its 7-day success rate in words', async () => {
      const templateId = (await api(app.url, 'POST', '/templates', { token, body: { name: 'chart', steps: [{ method: 'GET', url: 'http://127.0.0.1:1/' }] } })).body.id;
      const taskId = (await api(app.url, 'POST', '/tasks', { token, body: { templateId, name: 'Charted' } })).body.id;
      const quiet = (await api(app.url, 'POST', '/tasks', { token, body: { templateId, name: 'Quiet' } })).body.id;
      // 35 runs an hour apart, every fifth one failed; the oldest 5 fall out of the sparkline.
      const rows = Array.from({ length: 35 }, (_, i) => {
        const startedAt = NOW - (35 - i) * HOUR;
        const status = i % 5 === 4 ? 'failure' : 'success';
        return { task_id: taskId, user_id: userId, trigger: 'auto', status, started_at: startedAt, finished_at: startedAt + 100 + i, duration_ms: 100 + i };
      });
      await knex()('task_runs').insert(rows);
      // A run of 8 days ago counts in the sparkline of "Quiet" but not in its 7-day rate.
      await knex()('task_runs').insert({ task_id: quiet, user_id: userId, trigger: 'auto', status: 'success', started_at: NOW - 8 * 24 * HOUR, finished_at: NOW - 8 * 24 * HOUR + 5, duration_ms: 5 });
      const page = await browser.get('/tasks');
      const row = (name: string) => page.html.split('<tr').find((r) => r.includes(`>${name}</a>`)) ?? '';
      const charted = row('Charted');
      assert.equal(sparkBars(charted).length, 30);
      assert.equal(sparkMarks(charted).length, 6);
      assert.match(charted, /role="img" aria-label="Recent runs \(30\): 24 succeeded, 6 failed; the latest: Failed\."/);
      assert.match(charted, /28% succeeded|80% succeeded in 7 days \(28\/35\)/);
      const quietRow = row('Quiet');
      assert.equal(sparkBars(quietRow).length, 1);
      assert.match(quietRow, /No runs in the last 7 days/);

      const taskPage = await browser.get(`/tasks/${taskId}`);
      assert.match(taskPage.html, /<svg [^>]*class="chart run-chart"[^>]*role="img" aria-label="35 runs from [^"]+: 28 succeeded, 7 failed; the longest took 134 ms\."/);
      assert.match(taskPage.html, /failed \(marked ▼ under the bar\)/);
      assert.match(taskPage.html, /<time datetime="2026-11-21T11:00:00.000Z" title="Nov 21, 2026, 11:00 AM">1 hr\. ago<\/time>/, 'run times are relative, absolute on hover');
    });

    it('charts the last 14 days of deliveries by status on the history page', async () => {
      const reg = await api(app.url, 'POST', '/push/registrations', { token, body: { channel: 'webhook', name: 'Hook', config: { url: 'https://example.com/hook', secret: 'whsec_' + Buffer.from('0123456789abcdef').toString('base64') } } });
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
      const message = (status: string, createdAt: number) => ({ user_id: userId, registration_id: reg.body.id, event: 'task.failure', title: 't', body: 'b', status, attempts: 1, created_at: createdAt });
      await knex()('push_messages').insert([
        message('sent', NOW - HOUR),
        message('sent', NOW - 2 * HOUR),
        message('failed', NOW - 2 * HOUR),
        message('queued', NOW - 24 * HOUR),
        message('sent', NOW - 20 * 24 * HOUR),
      ]);
      const page = await browser.get('/push/history');
      assert.match(page.html, /<svg [^>]*class="chart push-chart"[^>]*aria-label="Last 14 days: 2 sent, 1 failed, 1 waiting\."/);
      assert.match(page.html, /<title>Nov 21, 2026: 2 sent, 1 failed, 0 waiting<\/title>/);
      assert.match(page.html, /<title>Nov 20, 2026: 0 sent, 0 failed, 1 waiting<\/title>/);
      assert.equal((page.html.match(/<g><title>/g) ?? []).length, 14);
      assert.match(page.html, /failed \(hatched\)/);
      assert.doesNotMatch((await browser.get('/push/history?status=sent')).html, /push-chart/, 'a filtered page has no chart');
    });
  });
}
