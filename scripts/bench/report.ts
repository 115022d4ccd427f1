// The Markdown of a run: the machine, one table per scenario (figures down, databases across), and
// every target with its value and pass/fail.
import type { ScenarioResult } from './helpers.js';

export type Report = {
  mode: string;
  durationS: number;
  machine: { cpuModel: string; cpuCount: number; memoryGb: number; node: string; platform: string; date: string; loadAverage: number[]; loadAverageAfter: number[] };
  scenarios: ScenarioResult[];
};

const cell = (v: unknown) => (v === undefined ? '' : String(v).replace(/\|/g, '\\|'));

export function renderMarkdown(report: Report): string {
  const m = report.machine;
  const lines = [
    `Machine: ${m.cpuCount} × ${m.cpuModel}, ${m.memoryGb} GB, ${m.platform}, Node ${m.node}; ${m.date}; load average ${m.loadAverage.join(' / ')} at the start, ${m.loadAverageAfter.join(' / ')} at the end; ${report.mode} run, ${report.durationS} s.`,
    '',
  ];
  const scenarios = [...new Set(report.scenarios.map((s) => s.scenario))].sort();
  for (const name of scenarios) {
    const rows = report.scenarios.filter((s) => s.scenario === name);
    const figures = [...new Set(rows.flatMap((r) => Object.keys(r.figures)))];
    lines.push(`**${name}**`, '', `| figure | ${rows.map((r) => r.db).join(' | ')} |`, `| --- | ${rows.map(() => '---:').join(' | ')} |`);
    for (const f of figures) lines.push(`| ${cell(f)} | ${rows.map((r) => cell(r.figures[f])).join(' | ')} |`);
    const notes = [...new Set(rows.flatMap((r) => r.notes))];
    if (notes.length) lines.push('', ...notes.map((n) => `- ${n}`));
    lines.push('');
  }
  const targets = report.scenarios.flatMap((s) => s.targets.map((t) => ({ ...t, scenario: s.scenario, db: s.db })));
  if (targets.length) {
    lines.push('**Targets**', '', '| scenario | db | figure | value | target | |', '| --- | --- | --- | ---: | --- | --- |');
    for (const t of targets) lines.push(`| ${t.scenario} | ${t.db} | ${cell(t.figure)} | ${t.value} | ${t.op} ${t.limit} | ${t.pass ? 'pass' : '**miss**'} |`);
  }
  return lines.join('\n');
}
