// Small server-rendered SVG charts: data in, an escaped SVG string out (with its axis texts as HTML
// beside it, see axisRow), no script needed. Each chart
// is an image with a text alternative (role="img" + aria-label + <title>); outcomes are told apart by
// shape as well as colour (a failure carries a triangle under its bar, a failed push a hatch), so a
// reader who cannot tell red from green loses nothing. Colours are presentation attributes that
// chime.css overrides by class (presentation attributes pass the CSP; style attributes would not).

export type Outcome = 'success' | 'failure' | 'lost' | 'running';

/** One run as the charts need it; `label` is its tooltip ("#12 · failure · 1.2 s · Nov 21, 08:00"). */
export type ChartRun = { status: Outcome; durationMs: number | null; label: string };

const COLOURS: Record<Outcome, string> = { success: '#2e7d32', failure: '#c62828', lost: '#6d4c41', running: '#ef6c00' };

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A number for an SVG attribute: at most two decimals, no "-0". */
const n = (v: number) => String(Math.round(v * 100) / 100 + 0);

/** "850 ms", "1.2 s", "3.5 min": durations read the same in English and Chinese. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/**
 * Bar heights for durations: a square-root scale, so one slow run does not flatten every other bar,
 * and a minimum so that a 5 ms run is still visible. A run without a duration gets the minimum.
 */
function heights(runs: ChartRun[], max: number, min: number): number[] {
  const longest = Math.max(0, ...runs.map((r) => r.durationMs ?? 0));
  return runs.map((r) => (longest === 0 || r.durationMs === null ? min : min + (max - min) * Math.sqrt(r.durationMs / longest)));
}

const isFailure = (s: Outcome) => s === 'failure' || s === 'lost';

/** A small downward triangle centred on `x` from `y`: the mark of a failed run. */
function failureMark(x: number, y: number, size: number, status: Outcome): string {
  return `<path class="chart-mark chart-${status}" fill="${COLOURS[status]}" d="M${n(x - size)} ${n(y)}h${n(size * 2)}l${n(-size)} ${n(size * 1.5)}z"/>`;
}

function bar(x: number, y: number, w: number, h: number, run: ChartRun): string {
  const dashed = run.status === 'running' ? ' stroke-dasharray="2 1" fill-opacity="0.4"' : '';
  return `<rect class="chart-bar chart-${run.status}" x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${COLOURS[run.status]}" stroke="${COLOURS[run.status]}" stroke-width="0.5"${dashed}><title>${escapeXml(run.label)}</title></rect>`;
}

function svgOpen(width: number, height: number, label: string, className: string): string {
  const text = escapeXml(label);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="${className}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${text}" focusable="false"><title>${text}</title>`;
}

/**
 * The dashboard's sparkline: one bar per run, oldest on the left, height = duration, colour =
 * outcome, failures marked by a triangle under the baseline. Always 30 slots wide, so sparklines
 * of different tasks line up; runs beyond `slots` (the oldest) are left out. A page holds 50 of
 * them, so the bars of one outcome are one <path> (a rect each would triple the page's size), and
 * the runs are told in words by the summary rather than one tooltip each.
 */
export function sparkline(runsOldestFirst: ChartRun[], opts: { summary: string; slots?: number }): string {
  const slots = opts.slots ?? 30;
  const runs = runsOldestFirst.slice(-slots);
  const step = 4;
  const barWidth = 3;
  const base = 18;
  const width = slots * step;
  const hs = heights(runs, base - 1, 2);
  const offset = (slots - runs.length) * step;
  const bars: Partial<Record<Outcome, string>> = {};
  const marks: Partial<Record<Outcome, string>> = {};
  runs.forEach((run, i) => {
    const x = offset + i * step;
    const h = hs[i]!;
    bars[run.status] = (bars[run.status] ?? '') + `M${n(x)} ${n(base - h)}h${barWidth}v${n(h)}h-${barWidth}z`;
    if (isFailure(run.status)) marks[run.status] = (marks[run.status] ?? '') + `M${n(x - 0.1)} ${base + 1}h3.2l-1.6 2.4z`;
  });
  const paths = (Object.keys(bars) as Outcome[]).map((status) => {
    const dashed = status === 'running' ? ' fill-opacity="0.4" stroke="' + COLOURS.running + '" stroke-width="0.5" stroke-dasharray="1 1"' : '';
    return `<path class="chart-bar chart-${status}" fill="${COLOURS[status]}"${dashed} d="${bars[status]}"/>`;
  });
  const markPaths = (Object.keys(marks) as Outcome[]).map((status) => `<path class="chart-mark chart-${status}" fill="${COLOURS[status]}" d="${marks[status]}"/>`);
  return `${svgOpen(width, base + 4, opts.summary, 'chart sparkline')}<path class="chart-axis" stroke="#999" stroke-width="0.5" d="M0 ${base + 0.25}H${width}"/>${paths.join('')}${markPaths.join('')}</svg>`;
}

/**
 * The axis texts of a chart as HTML beside its SVG. Why not <text> inside it: the SVG scales with
 * its container, and at 375 px a 10-unit label drew 6 px tall. HTML text keeps the page's font
 * size at every width. aria-hidden: the SVG's label already says all of it in words.
 */
function axisRow(className: string, cells: string[]): string {
  return `<div class="chart-axis-labels ${className}" aria-hidden="true">${cells.join('')}</div>`;
}

/**
 * The task page's chart of recent runs: bars of duration (square-root scale, the longest named
 * above the chart), colour = outcome, failures marked under the axis; `first`/`last` label the ends
 * of the time axis under it. The SVG scales to its container (viewBox), 100 % wide in chime.css.
 */
export function runChart(runsOldestFirst: ChartRun[], opts: { summary: string; longestLabel: string; first: string; last: string }): string {
  const width = 600;
  const top = 4;
  const base = 94;
  const left = 4;
  const slots = Math.max(runsOldestFirst.length, 20);
  const step = (width - left * 2) / slots;
  const barWidth = Math.max(1, step * 0.7);
  const hs = heights(runsOldestFirst, base - top, 2);
  const parts = runsOldestFirst.map((run, i) => {
    const x = left + i * step + (step - barWidth) / 2;
    const h = hs[i]!;
    return bar(x, base - h, barWidth, h, run) + (isFailure(run.status) ? failureMark(x + barWidth / 2, base + 2, Math.min(4, Math.max(2, barWidth / 2)), run.status) : '');
  });
  return (
    `<div class="chart-frame">` +
    axisRow('chart-top', [`<span>${escapeXml(opts.longestLabel)}</span>`]) +
    svgOpen(width, base + 9, opts.summary, 'chart run-chart') +
    `<line class="chart-grid" x1="0" x2="${width}" y1="${top}" y2="${top}" stroke="#999" stroke-width="0.5" stroke-dasharray="3 3"/>` +
    `<line class="chart-axis" x1="0" x2="${width}" y1="${base + 0.5}" y2="${base + 0.5}" stroke="#999" stroke-width="1"/>` +
    parts.join('') +
    '</svg>' +
    axisRow('chart-ends', [`<span>${escapeXml(opts.first)}</span>`, `<span>${escapeXml(opts.last)}</span>`]) +
    '</div>'
  );
}

/** One day: `day` labels the axis ("11/21"), `label` is the tooltip ("Nov 21: 3 sent, 1 failed"). */
export type PushDay = { day: string; label: string; sent: number; failed: number; pending: number };

/** The fills of the push chart, also used by its legend so that the swatches match the bars. */
const PUSH_FILLS = { sent: COLOURS.success, failed: COLOURS.failure, pending: COLOURS.running } as const;
export type PushSeries = keyof typeof PUSH_FILLS;

function hatch(patternId: string): string {
  return `<defs><pattern id="${patternId}" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect class="chart-failed" width="4" height="4" fill="${PUSH_FILLS.failed}"/><line x1="0" y1="0" x2="0" y2="4" stroke="#fff" stroke-width="1.5"/></pattern></defs>`;
}

/**
 * Deliveries per day by status, stacked (sent at the bottom, then failed — hatched —, then queued or
 * sending). Under the bars, one HTML cell per day with its date and total: the cells share the width
 * equally, as the bars' slots do, so each sits under its bar (every other date is left out on narrow
 * screens by chime.css). `id` names the hatch pattern: unique on the page.
 */
export function pushChart(days: PushDay[], opts: { summary: string; id: string }): string {
  const width = 600;
  const top = 4;
  const base = 100;
  const step = width / Math.max(days.length, 1);
  const barWidth = step * 0.6;
  const most = Math.max(1, ...days.map((d) => d.sent + d.failed + d.pending));
  const scale = (base - top) / most;
  const pattern = `${escapeXml(opts.id)}-hatch`;
  const parts = days.map((day, i) => {
    const x = i * step + (step - barWidth) / 2;
    let y = base;
    const segments: string[] = [];
    for (const series of ['sent', 'failed', 'pending'] as const) {
      const count = day[series];
      if (count === 0) continue;
      const h = count * scale;
      y -= h;
      const fill = series === 'failed' ? `url(#${pattern})` : PUSH_FILLS[series];
      segments.push(`<rect class="chart-bar chart-${series}" x="${n(x)}" y="${n(y)}" width="${n(barWidth)}" height="${n(h)}" fill="${fill}"/>`);
    }
    // An invisible full-height slot carries the tooltip, so hovering an empty day says "0 sent…" too.
    const slot = `<rect class="chart-slot" x="${n(i * step)}" y="0" width="${n(step)}" height="${base}" fill="transparent"/>`;
    return `<g><title>${escapeXml(day.label)}</title>${slot}${segments.join('')}</g>`;
  });
  const cells = days.map((day) => {
    const total = day.sent + day.failed + day.pending;
    return `<span><span class="chart-day">${escapeXml(day.day)}</span><b class="chart-total">${total || ''}</b></span>`;
  });
  return (
    `<div class="chart-frame">` +
    svgOpen(width, base + 1, opts.summary, 'chart push-chart') +
    hatch(pattern) +
    `<line class="chart-axis" x1="0" x2="${width}" y1="${base + 0.5}" y2="${base + 0.5}" stroke="#999" stroke-width="1"/>` +
    parts.join('') +
    '</svg>' +
    axisRow('chart-days', cells) +
    '</div>'
  );
}

/** A legend swatch for the push chart (the failed one hatched like its bars); decorative. */
export function pushSwatch(series: PushSeries, id: string): string {
  const pattern = `${escapeXml(id)}-${series}-swatch`;
  const fill = series === 'failed' ? `url(#${pattern})` : PUSH_FILLS[series];
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart-swatch" viewBox="0 0 12 12" width="12" height="12" aria-hidden="true" focusable="false">${series === 'failed' ? hatch(pattern) : ''}<rect class="chart-${series}" width="12" height="12" fill="${fill}"/></svg>`;
}
