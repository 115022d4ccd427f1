// The template editor as an HTML form that works without JavaScript: the whole draft travels with
// every submit, and buttons named `op` edit it (add, remove, move) before it is shown again.
import { METHODS, SOURCES, OPS } from './schema.js';
import type { TemplateVariable } from './repo.js';

type Loose = Record<string, unknown>;

export type DraftCondition = { from: string; path: string; header: string; op: string; value: string };
export type DraftExtract = { name: string; from: string; pattern: string; path: string; header: string; all: boolean; persist: boolean };
export type DraftStep = {
  name: string;
  method: string;
  url: string;
  headers: string; // "Name: value" lines
  body: string;
  timeoutSeconds: string;
  followRedirects: boolean;
  insecure: boolean;
  allowErrorStatus: boolean;
  assertMode: string;
  extract: DraftExtract[];
  assert: DraftCondition[];
  failIf: DraftCondition[];
};
export type DraftVariable = { name: string; default: string; secret: boolean; description: string; clear: boolean };
export type Draft = { name: string; siteUrl: string; note: string; public: boolean; log: string; variables: DraftVariable[]; steps: DraftStep[] };

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const bool = (v: unknown) => v === 'on' || v === 'true' || v === true;

/** qs turns `steps[25]` into an object key past its array limit; this takes both shapes. */
function list(v: unknown): Loose[] {
  if (Array.isArray(v)) return v.filter((x): x is Loose => typeof x === 'object' && x !== null);
  if (v && typeof v === 'object') {
    return Object.entries(v as Loose)
      .filter(([k]) => /^\d+$/.test(k))
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, x]) => x as Loose);
  }
  return [];
}

export const emptyCondition = (): DraftCondition => ({ from: 'status', path: '', header: '', op: 'equals', value: '' });
export const emptyExtract = (): DraftExtract => ({ name: '', from: 'body', pattern: '', path: '', header: '', all: false, persist: false });
export const emptyStep = (): DraftStep => ({
  name: '',
  method: 'GET',
  url: '',
  headers: '',
  body: '',
  timeoutSeconds: '',
  followRedirects: false,
  insecure: false,
  allowErrorStatus: false,
  assertMode: 'all',
  extract: [],
  assert: [],
  failIf: [],
});
export const emptyDraft = (): Draft => ({ name: '', siteUrl: '', note: '', public: false, log: '', variables: [], steps: [emptyStep()] });

/** The form shows one box per rule for "where": a JSON path, a header name or (extraction) a regex. */
const located = (from: string, where: string) => ({
  path: from === 'json' ? where : '',
  header: from === 'header' ? where : '',
  pattern: from === 'body' ? where : '',
});

const condition = (c: Loose): DraftCondition => {
  const from = str(c.from) || 'status';
  const { path, header } = located(from, str(c.where));
  return { from, path, header, op: str(c.op) || 'equals', value: str(c.value) };
};

const extraction = (e: Loose): DraftExtract => {
  const from = str(e.from) || 'body';
  return { name: str(e.name), from, ...located(from, str(e.where)), all: bool(e.all), persist: bool(e.persist) };
};

/** What the "where" box of a rule shows. */
export const whereOf = (r: { from: string; path: string; header: string; pattern?: string }) =>
  r.from === 'json' ? r.path : r.from === 'header' ? r.header : (r.pattern ?? '');

export function draftFromBody(body: Loose): Draft {
  return {
    name: str(body.name),
    siteUrl: str(body.siteUrl),
    note: str(body.note),
    public: bool(body.public),
    log: str(body.log),
    variables: list(body.variables).map((v) => ({ name: str(v.name), default: str(v.default), secret: bool(v.secret), description: str(v.description), clear: bool(v.clear) })),
    steps: list(body.steps).map((s) => ({
      name: str(s.name),
      method: str(s.method) || 'GET',
      url: str(s.url),
      headers: str(s.headers),
      body: str(s.body),
      timeoutSeconds: str(s.timeoutSeconds),
      followRedirects: bool(s.followRedirects),
      insecure: bool(s.insecure),
      allowErrorStatus: bool(s.allowErrorStatus),
      assertMode: str(s.assertMode) === 'any' ? 'any' : 'all',
      extract: list(s.extract).map(extraction),
      assert: list(s.assert).map(condition),
      failIf: list(s.failIf).map(condition),
    })),
  };
}

/** A saved template as a draft. Secret defaults are not put in the form: empty keeps them. */
export function draftFromTemplate(t: { name: string; siteUrl?: string; note?: string; public: boolean; log?: string; variables: TemplateVariable[]; steps: import('./schema.js').Step[] }): Draft {
  return {
    name: t.name,
    siteUrl: t.siteUrl ?? '',
    note: t.note ?? '',
    public: t.public,
    log: t.log ?? '',
    variables: t.variables.map((v) => ({ name: v.name, default: v.secret ? '' : (v.default ?? ''), secret: Boolean(v.secret), description: v.description ?? '', clear: false })),
    steps: t.steps.map((s) => ({
      name: s.name ?? '',
      method: s.method,
      url: s.url,
      headers: Object.entries(s.headers ?? {})
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
      body: s.body ?? '',
      timeoutSeconds: s.timeoutMs ? String(s.timeoutMs / 1000) : '',
      followRedirects: Boolean(s.followRedirects),
      insecure: Boolean(s.insecure),
      allowErrorStatus: Boolean(s.allowErrorStatus),
      assertMode: s.assertMode ?? 'all',
      extract: (s.extract ?? []).map((e) => ({ name: e.name, from: e.from, pattern: e.pattern ?? '', path: e.path ?? '', header: e.header ?? '', all: Boolean(e.all), persist: Boolean(e.persist) })),
      assert: (s.assert ?? []).map((c) => ({ from: c.from, path: c.path ?? '', header: c.header ?? '', op: c.op, value: String(c.value) })),
      failIf: (s.failIf ?? []).map((c) => ({ from: c.from, path: c.path ?? '', header: c.header ?? '', op: c.op, value: String(c.value) })),
    })),
  };
}

/** Header lines → a record; a line that is not `Name: value` is reported by its number (1-based). */
export function parseHeaderLines(text: string): { headers: Record<string, string>; badLine?: number } {
  const headers: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':', line.startsWith(':') ? 1 : 0);
    if (colon <= 0) return { headers, badLine: i + 1 };
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { headers };
}

const conditionInput = (c: DraftCondition) => ({
  from: c.from,
  ...(c.path ? { path: c.path } : {}),
  ...(c.header ? { header: c.header } : {}),
  op: c.op,
  value: c.value,
});

/**
 * The draft as API-shaped input for templateSchema. Header lines that cannot be read are returned as
 * field errors alongside, so the form shows them with the schema's own errors.
 */
export function inputFromDraft(d: Draft): { input: Loose; lineErrors: Record<string, { key: string; params?: Record<string, number> }> } {
  const lineErrors: Record<string, { key: string; params?: Record<string, number> }> = {};
  const steps = d.steps.map((s, i) => {
    const { headers, badLine } = parseHeaderLines(s.headers);
    if (badLine) lineErrors[`steps.${i}.headers`] = { key: 'errors.header_line', params: { line: badLine } };
    const seconds = s.timeoutSeconds.trim();
    return {
      ...(s.name ? { name: s.name } : {}),
      method: s.method,
      url: s.url,
      ...(Object.keys(headers).length ? { headers } : {}),
      ...(s.body ? { body: s.body } : {}),
      ...(seconds ? { timeoutMs: /^\d+(\.\d+)?$/.test(seconds) ? Math.round(Number(seconds) * 1000) : NaN } : {}),
      ...(s.followRedirects ? { followRedirects: true } : {}),
      ...(s.insecure ? { insecure: true } : {}),
      ...(s.allowErrorStatus ? { allowErrorStatus: true } : {}),
      ...(s.extract.length ? { extract: s.extract.map((e) => ({ name: e.name, from: e.from, ...(e.pattern ? { pattern: e.pattern } : {}), ...(e.path ? { path: e.path } : {}), ...(e.header ? { header: e.header } : {}), ...(e.all ? { all: true } : {}), ...(e.persist ? { persist: true } : {}) })) } : {}),
      ...(s.assert.length ? { assert: s.assert.map(conditionInput), assertMode: s.assertMode } : {}),
      ...(s.failIf.length ? { failIf: s.failIf.map(conditionInput) } : {}),
    };
  });
  const variables = d.variables.map((v) => ({
    name: v.name,
    // A secret left empty keeps its stored value (undefined); "clear" removes it ('').
    ...(v.secret ? (v.clear ? { default: '' } : v.default ? { default: v.default } : {}) : v.default ? { default: v.default } : {}),
    ...(v.secret ? { secret: true } : {}),
    ...(v.description ? { description: v.description } : {}),
  }));
  return {
    input: { name: d.name, siteUrl: d.siteUrl, note: d.note, public: d.public, log: d.log, variables, steps },
    lineErrors,
  };
}

const move = <T>(items: T[], from: number, to: number) => {
  if (from < 0 || to < 0 || from >= items.length || to >= items.length) return;
  const [item] = items.splice(from, 1);
  items.splice(to, 0, item!);
};

/**
 * Applies an editor button (`add-step`, `remove-step:2`, `up-step:2`, `add-assert:0`,
 * `remove-extract:0:1`, `declare:token` …) to the draft. Returns false for an unknown op.
 */
export function applyOp(d: Draft, op: string): boolean {
  const [verb, a, b] = op.split(':');
  const i = Number(a);
  const j = Number(b);
  const step = Number.isInteger(i) ? d.steps[i] : undefined;
  switch (verb) {
    case 'add-step':
      d.steps.push(emptyStep());
      return true;
    case 'remove-step':
      if (step) d.steps.splice(i, 1);
      return true;
    case 'up-step':
      move(d.steps, i, i - 1);
      return true;
    case 'down-step':
      move(d.steps, i, i + 1);
      return true;
    case 'add-extract':
      step?.extract.push(emptyExtract());
      return true;
    case 'add-assert':
      step?.assert.push(emptyCondition());
      return true;
    case 'add-failif':
      step?.failIf.push(emptyCondition());
      return true;
    case 'remove-extract':
      step?.extract.splice(j, 1);
      return true;
    case 'remove-assert':
      step?.assert.splice(j, 1);
      return true;
    case 'remove-failif':
      step?.failIf.splice(j, 1);
      return true;
    case 'add-variable':
      d.variables.push({ name: '', default: '', secret: false, description: '', clear: false });
      return true;
    case 'remove-variable':
      if (Number.isInteger(i)) d.variables.splice(i, 1);
      return true;
    case 'cookie-variable':
      if (step) cookieToVariable(d, step);
      return true;
    case 'declare':
      if (a && !d.variables.some((v) => v.name === a)) {
        d.variables.push({ name: a, default: '', secret: /cookie|pass|token|secret|key|auth/i.test(a), description: '', clear: false });
      }
      return true;
    default:
      return false;
  }
}

/** The literal value of a step's Cookie header, if it has one that is not already a template. */
export function literalCookie(step: DraftStep): string | undefined {
  const line = step.headers.split(/\r?\n/).find((l) => /^\s*cookie\s*:/i.test(l));
  const value = line?.slice(line.indexOf(':') + 1).trim();
  return value && !/\{\{|\{%/.test(value) ? value : undefined;
}

/**
 * "Make the cookie a secret variable": the recorded cookie moves out of the steps into a secret
 * variable's default (stored encrypted, never shown again), and every step that sent that same
 * cookie now sends {{ cookie }}.
 */
function cookieToVariable(d: Draft, step: DraftStep): void {
  const value = literalCookie(step);
  if (!value) return;
  const taken = new Set(d.variables.map((v) => v.name));
  let name = 'cookie';
  for (let n = 2; taken.has(name); n++) name = `cookie${n}`;
  for (const s of d.steps) {
    if (literalCookie(s) !== value) continue;
    s.headers = s.headers
      .split(/\r?\n/)
      .map((l) => (/^\s*cookie\s*:/i.test(l) ? `${l.slice(0, l.indexOf(':'))}: {{ ${name} }}` : l))
      .join('\n');
  }
  d.variables.push({ name, default: value, secret: true, description: '', clear: false });
}

export const EDITOR_CHOICES = { methods: METHODS, sources: SOURCES, ops: OPS };
