// A QD template file (a JSON array of {request, rule} entries) → a template whose steps keep QD's
// meaning: QD-COMPAT.md "The file", "Rules", "Control entries" and "How it maps to Chime".
import type { Message } from '../../lib/errors.js';
import { renderTemplate } from '../../lib/jinja.js';
import { BUILTIN_NAMES, hasJinja, LIMITS, METHODS, type Variable } from '../schema.js';
import { finishTemplate, ImportError, withoutBom, type ImportResult, type StepDraft } from './index.js';
import { controlOf, ControlNesting, isApiUrl, warnApiUrl } from './qd-control.js';
import { qdHeaders, type QdPair } from './qd-headers.js';
import { collectNames, emptyNames, filterKind, globalKind, namesByPattern, type NamesFound } from '../jinja-names.js';
import { conditionFrom, extractFrom, type QdRule, type RuleList } from './qd-rules.js';
import { httpUrl, stepName, templateName } from './request-parts.js';

export type QdImportOptions = { name?: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** What QD's renderer passes besides the task's variables (`_cookies`) and the loop variables of control steps. */
const QD_NAMES = new Set(['_cookies', 'loop_index', 'loop_index0', 'loop_first', 'loop_last', 'loop_length', 'loop_revindex', 'loop_revindex0', 'loop_depth', 'loop_depth0']);
/** Variable names that hold credentials: their values are masked in run records. */
const SECRET_WORDS = new Set(['cookie', 'cookies', 'password', 'passwd', 'pwd', 'token', 'secret', 'key', 'sid', 'apikey']);
const LISTS: RuleList[] = ['success_asserts', 'failed_asserts', 'extract_variables'];
const FALLBACK_NAME = 'QD template';

function parseEntries(content: unknown): unknown[] {
  let parsed = content;
  if (typeof content === 'string') {
    try {
      parsed = JSON.parse(withoutBom(content));
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new ImportError('import.not_json', { detail }, detail);
    }
  }
  if (!Array.isArray(parsed)) throw new ImportError('import.qd_not_array');
  if (parsed.length === 0) throw new ImportError('import.qd_no_entries');
  if (parsed.length > LIMITS.steps) throw new ImportError('import.too_many_steps', { count: parsed.length, max: LIMITS.steps });
  return parsed;
}

function pairs(list: unknown, index: number, field: string): QdPair[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new ImportError('import.qd_entry_bad_field', { index, field });
  return list.map((item, i) => {
    const name = isObject(item) ? text(item.name) : undefined;
    if (name === undefined) throw new ImportError('import.qd_entry_bad_field', { index, field: `${field}[${i + 1}]` });
    return [name, (isObject(item) ? text(item.value) : undefined) ?? ''];
  });
}

function rulesOf(entry: Json, index: number): Record<RuleList, QdRule[]> {
  const rule = entry.rule ?? {};
  if (!isObject(rule)) throw new ImportError('import.qd_entry_bad_field', { index, field: 'rule' });
  const out = {} as Record<RuleList, QdRule[]>;
  for (const list of LISTS) {
    const items = rule[list] ?? [];
    if (!Array.isArray(items)) throw new ImportError('import.qd_entry_bad_field', { index, field: `rule.${list}` });
    out[list] = items.map((r, i) => {
      const re = isObject(r) ? text(r.re) : undefined;
      const from = isObject(r) ? text(r.from) : undefined;
      const name = isObject(r) ? text(r.name) : undefined;
      if (re === undefined || from === undefined || (list === 'extract_variables' && name === undefined)) {
        throw new ImportError('import.qd_rule_invalid', { index, list, position: i + 1 });
      }
      return { re, from, name };
    });
  }
  return out;
}

/** Everything the step's texts read, and warnings for functions and filters the renderer lacks. */
function readNames(texts: { field: string; text: string }[], index: number, warnings: Message[]): NamesFound {
  const names = emptyNames();
  for (const { field, text: source } of texts) {
    const found = emptyNames();
    try {
      collectNames(source, found);
    } catch (err) {
      warnings.push({ key: 'import.qd_template_invalid', params: { index, field, problem: (err as Error).message } });
      namesByPattern(source, found);
    }
    for (const name of found.calls) {
      if (found.bound.has(name)) continue;
      const kind = globalKind(name);
      if (kind !== 'known') warnings.push({ key: `import.qd_function_${kind}`, params: { index, name } });
    }
    for (const name of found.filters) {
      const kind = filterKind(name);
      if (kind !== 'known') warnings.push({ key: `import.qd_filter_${kind}`, params: { index, name } });
    }
    found.used.forEach((n) => names.used.add(n));
    found.bound.forEach((n) => names.bound.add(n));
    for (const [n, v] of found.defaults) if (!names.defaults.has(n)) names.defaults.set(n, v);
  }
  return names;
}

/** The name read as words (`access_token`, `userPwd` → access/token, user/pwd): is one of them a credential? */
function isSecretName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/_+/).filter(Boolean);
  return SECRET_WORDS.has(name.toLowerCase()) || words.some((w) => SECRET_WORDS.has(w));
}

/** The step's body: QD sends none with GET (nor can a HEAD request carry one). */
function bodyOf(method: string, data: string | undefined, index: number, warnings: Message[]): string | undefined {
  if (!data) return undefined;
  if (method === 'GET' || method === 'HEAD') {
    warnings.push({ key: 'import.qd_get_data_dropped', params: { index, method } });
    return undefined;
  }
  if (Buffer.byteLength(data) > LIMITS.bodyBytes) throw new ImportError('import.qd_body_too_large', { index, max: LIMITS.bodyBytes });
  return data;
}

type Read = { step: StepDraft; names: NamesFound };

function requestStep(entry: Json, request: Json, url: string, method: StepDraft['method'], index: number, warnings: Message[]): Read {
  const api = isApiUrl(url);
  if (api) warnApiUrl(url, index, warnings);
  else if (!hasJinja(url) && !httpUrl(url.trim())) throw new ImportError('import.qd_entry_bad_url', { index, url: url.slice(0, 200) });
  const body = bodyOf(method, text(request.data), index, warnings);
  const headers = qdHeaders(pairs(request.headers, index, 'request.headers'), pairs(request.cookies, index, 'request.cookies'), index, warnings);
  // QD's client (curl, or tornado's own) posts a body without a type as a form; mimeType is only the editor's.
  if (!api && body !== undefined && method === 'POST' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }

  const rules = rulesOf(entry, index);
  const at = (list: RuleList, position: number) => ({ index, list, position });
  const assert = rules.success_asserts.flatMap((r, i) => conditionFrom(r, at('success_asserts', i + 1), warnings) ?? []);
  const failIf = rules.failed_asserts.flatMap((r, i) => conditionFrom(r, at('failed_asserts', i + 1), warnings) ?? []);
  const extract = rules.extract_variables.flatMap((r, i) => extractFrom(r, at('extract_variables', i + 1), warnings) ?? []);
  const names = readNames(
    [
      { field: 'url', text: url },
      ...Object.entries(headers).flatMap(([n, v]) => [{ field: `header ${n}`, text: n }, { field: `header ${n}`, text: v }]),
      { field: 'data', text: body ?? '' },
      ...[...rules.success_asserts, ...rules.failed_asserts, ...rules.extract_variables].map((r) => ({ field: 'rule', text: r.re })),
    ],
    index,
    warnings,
  );

  const comment = text(entry.comment)?.trim();
  const literalUrl = hasJinja(url) ? undefined : httpUrl(url.trim());
  const step: StepDraft = { name: comment || (literalUrl ? stepName(method, literalUrl) : `${method} ${url.trim()}`).slice(0, LIMITS.nameLength), method, url };
  if (Object.keys(headers).length > 0) step.headers = headers;
  if (body !== undefined) step.body = body;
  if (!api) step.followRedirects = false;
  if (assert.length > 0) {
    step.assert = assert;
    step.assertMode = 'any';
  }
  if (failIf.length > 0) step.failIf = failIf;
  // QD passes an entry without assertions whatever its status (SEMANTICS.md §1).
  if (rules.success_asserts.length === 0 && rules.failed_asserts.length === 0) step.allowErrorStatus = true;
  if (extract.length > 0) step.extract = extract;
  return { step, names };
}

function stepFromEntry(entry: unknown, index: number, nesting: ControlNesting, warnings: Message[]): Read {
  if (!isObject(entry)) throw new ImportError('import.qd_entry_not_object', { index });
  const request = entry.request;
  if (!isObject(request)) throw new ImportError('import.qd_entry_no_request', { index });
  const url = text(request.url);
  if (!url?.trim()) throw new ImportError('import.qd_entry_no_url', { index });
  if (url.length > LIMITS.urlLength) throw new ImportError('import.qd_url_too_long', { index, max: LIMITS.urlLength });
  const rawMethod = text(request.method)?.trim().toUpperCase() ?? '';
  if (!(METHODS as readonly string[]).includes(rawMethod)) throw new ImportError('import.qd_method_unsupported', { index, method: rawMethod.slice(0, 20) || '—' });
  const method = rawMethod as StepDraft['method'];

  const control = controlOf(url);
  if (!control) return requestStep(entry, request, url, method, index, warnings);
  nesting.enter(control, index, warnings);
  const names = readNames(control.expression === undefined ? [] : [{ field: 'url', text: `{{ ${control.expression} }}` }], index, warnings);
  control.targets.forEach((t) => names.bound.add(t));
  const rules = rulesOf(entry, index);
  if (LISTS.some((l) => rules[l].length > 0)) warnings.push({ key: 'import.qd_control_rules_dropped', params: { index } });
  return { step: { name: (text(entry.comment)?.trim() || url.trim()).slice(0, LIMITS.nameLength), method, url }, names };
}

/**
 * Inputs: names read before any step extracts them (a step renders its request before it extracts,
 * so gebi1's `username` is both the login's input and what the login answers), minus names the
 * template binds itself or the renderer provides. Credentials are secret.
 */
function variablesOf(read: Read[]): Variable[] {
  const bound = new Set(read.flatMap((r) => [...r.names.bound]));
  const defaults = new Map<string, string>();
  const extracted = new Set<string>();
  const inputs = new Set<string>();
  for (const { step, names } of read) {
    for (const n of names.used) if (!extracted.has(n) && !bound.has(n) && !BUILTIN_NAMES.has(n) && !QD_NAMES.has(n) && globalKind(n) === 'unknown') inputs.add(n);
    for (const [n, v] of names.defaults) if (!defaults.has(n)) defaults.set(n, v);
    for (const rule of step.extract ?? []) extracted.add(rule.name);
  }
  return [...inputs].slice(0, LIMITS.variables).map((name) => {
    const variable: Variable = { name };
    const fallback = defaults.get(name);
    if (fallback !== undefined) variable.default = fallback;
    if (isSecretName(name)) variable.secret = true;
    return variable;
  });
}

/** The first http(s) origin among the steps, as written or rendered with the variables' defaults: the template's site. */
function siteOf(steps: StepDraft[], variables: Variable[]): URL | undefined {
  const defaults = Object.fromEntries(variables.flatMap((v) => (v.default === undefined ? [] : [[v.name, v.default]])));
  for (const step of steps) {
    let rendered = step.url.trim();
    try {
      rendered = renderTemplate(rendered, defaults);
    } catch {
      continue; // it reads a variable with no default, or is a control tag
    }
    const url = httpUrl(rendered);
    if (url && url.hostname) return url;
  }
  return undefined;
}

export function importQd(content: unknown, options: QdImportOptions = {}): ImportResult {
  const entries = parseEntries(content);
  const warnings: Message[] = [];
  const nesting = new ControlNesting();
  const read = entries.map((entry, i) => stepFromEntry(entry, i + 1, nesting, warnings));
  nesting.finish(warnings);
  const steps = read.map((r) => r.step);
  const variables = variablesOf(read);
  const site = siteOf(steps, variables);
  const name = site ? templateName(options.name, site) : options.name?.trim().slice(0, LIMITS.nameLength) || FALLBACK_NAME;
  return {
    template: finishTemplate({ name, siteUrl: site?.origin, public: false, variables, steps }),
    warnings,
  };
}
