// QD's rules → a step's assert / failIf / extract (QD-COMPAT.md "Rules", "How it maps to Chime").
// QD reads every `re` with Python's re.search; the engine reads rule patterns the same way
// (src/runs/regex.ts), except that it also takes `/re/flags` — which QD allows in extractions only.
import type { Message } from '../../lib/errors.js';
import { compilePythonRegex } from '../../lib/jinja.js';
import { extractSchema, hasJinja, type Condition, type ExtractRule } from '../schema.js';
import { ImportError } from './index.js';

export type QdRule = { re: string; from: string; name?: string };
export type RuleList = 'success_asserts' | 'failed_asserts' | 'extract_variables';

type Source = { from: 'body' | 'status' | 'header'; header?: string };

/** Where the engine reads what QD's `from` names; undefined for a `from` QD reads as nothing. */
function sourceOf(from: string): Source | undefined {
  if (from === 'content') return { from: 'body' };
  if (from === 'status') return { from: 'status' };
  if (from === 'header') return { from: 'header' }; // no name: every header as "Name: value" lines
  const named = /^header-(.+)$/.exec(from);
  return named ? { from: 'header', header: named[1]! } : undefined;
}

/** The engine would read `/x/i` as x with a flag; QD's asserts read it as text with slashes. */
const ENGINE_SLASHED = /^\/[\s\S]*\/[gimsu]*$/;
const asPlainPattern = (pattern: string) => (ENGINE_SLASHED.test(pattern) ? `(?:${pattern})` : pattern);

// QD's own test, `re.match(r"^/(.*?)/([gimsu]*)$", re)`: `.` stops at a newline and `$` may stand
// before a final one.
const QD_SLASHED = /^\/([^\n]*?)\/([gimsu]*)\n?$/;

/** A regex that can never match: an empty success assertion, which QD counts as failed. */
const NEVER = '(?!)';

type Where = { index: number; list: RuleList; position: number };

/** A pattern with no Jinja in it is compiled now, so a broken one is reported before anything is saved. */
function checkRegex(pattern: string, flags: { ignorecase?: boolean; multiline?: boolean; dotall?: boolean }, where: Where): void {
  if (hasJinja(pattern)) return;
  try {
    compilePythonRegex(pattern, flags);
  } catch (err) {
    const problem = (err as Error).message.replace(/^invalid regular expression '.*?': /s, '');
    throw new ImportError('import.qd_rule_bad_regex', { ...where, pattern: pattern.slice(0, 200), problem }, (err as Error).message);
  }
}

/** An assertion: QD's re.search on the source. An unknown `from` is left out, with a warning. */
export function conditionFrom(rule: QdRule, where: Where, warnings: Message[]): Condition | undefined {
  const source = sourceOf(rule.from);
  if (!source) {
    warnings.push({ key: 'import.qd_rule_from_unknown', params: { ...where, from: rule.from.slice(0, 100) } });
    return undefined;
  }
  // QD skips an empty `re`: a failed assertion never fires, a success assertion never holds.
  if (rule.re === '') return where.list === 'failed_asserts' ? undefined : { ...source, op: 'matches', value: NEVER };
  checkRegex(rule.re, {}, where);
  return { ...source, op: 'matches', value: asPlainPattern(rule.re) };
}

/** An extraction: `/re/flags` becomes `all: true` for g and inline flags for i, m, s (u is Python's default). */
export function extractFrom(rule: QdRule, where: Where, warnings: Message[]): ExtractRule | undefined {
  const name = rule.name ?? '';
  const source = sourceOf(rule.from);
  if (!source) {
    warnings.push({ key: 'import.qd_rule_from_unknown', params: { ...where, from: rule.from.slice(0, 100) } });
    return undefined;
  }
  let pattern = rule.re;
  let all = false;
  const slashed = QD_SLASHED.exec(rule.re);
  if (slashed) {
    const flags = slashed[2]!;
    all = flags.includes('g');
    const inline = [...'ims'].filter((f) => flags.includes(f)).join('');
    checkRegex(slashed[1]!, { ignorecase: inline.includes('i'), multiline: inline.includes('m'), dotall: inline.includes('s') }, where);
    pattern = inline ? `(?${inline})${slashed[1]}` : asPlainPattern(slashed[1]!);
  } else {
    checkRegex(pattern, {}, where);
  }
  const draft: ExtractRule = { name, ...source, pattern: pattern === '' ? undefined : pattern };
  if (all) draft.all = true;
  const checked = extractSchema.safeParse(draft);
  if (checked.success) return draft;
  const field = String(checked.error.issues[0]?.path[0] ?? '');
  if (field === 'name') warnings.push({ key: 'import.qd_extract_name_invalid', params: { ...where, name: name.slice(0, 100) } });
  else if (field === 'header') warnings.push({ key: 'import.qd_extract_all_headers', params: { ...where, name } });
  else warnings.push({ key: 'import.qd_rule_dropped', params: { ...where, problem: checked.error.issues[0]?.message ?? '' } });
  return undefined;
}
