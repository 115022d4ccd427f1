// assert / failIf conditions (SEMANTICS.md §1): what a condition reads, and whether it holds.
import type { Condition } from '../templates/schema.js';
import { parseRegex } from './regex.js';
import { asText, bodyText, headerText, jsonValue, RuleError, type ResponseView } from './response-view.js';

/** The value a condition or extraction reads from the response. */
export function readSource(view: ResponseView, rule: { from: Condition['from']; path?: string; header?: string }): unknown {
  switch (rule.from) {
    case 'status':
      return view.status;
    case 'header':
      return headerText(view, rule.header);
    case 'json':
      return jsonValue(view, rule.path ?? '$');
    case 'body':
      return bodyText(view);
  }
}

function compareNumbers(actual: unknown, expected: string, op: 'lt' | 'gt'): boolean {
  const a = Number(asText(actual));
  const b = Number(expected);
  if (actual === undefined || Number.isNaN(a) || Number.isNaN(b)) return false;
  return op === 'lt' ? a < b : a > b;
}

/** Whether the condition holds. A missing value fails the positive ops and satisfies the negative ones. */
export function conditionHolds(actual: unknown, op: Condition['op'], expected: string): boolean {
  const text = asText(actual);
  const missing = actual === undefined;
  switch (op) {
    case 'equals':
      return !missing && text === expected;
    case 'not_equals':
      return missing || text !== expected;
    case 'contains':
      return !missing && text.includes(expected);
    case 'not_contains':
      return missing || !text.includes(expected);
    case 'matches':
      return !missing && regexFor(expected).test(text);
    case 'not_matches':
      return missing || !regexFor(expected).test(text);
    case 'lt':
    case 'gt':
      return compareNumbers(actual, expected, op);
  }
}

function regexFor(pattern: string): RegExp {
  try {
    return parseRegex(pattern).regex;
  } catch (err) {
    throw new RuleError(`invalid regular expression ${pattern}: ${(err as Error).message}`);
  }
}

const OP_WORDS: Record<Condition['op'], string> = {
  equals: 'equals',
  not_equals: 'does not equal',
  contains: 'contains',
  not_contains: 'does not contain',
  matches: 'matches',
  not_matches: 'does not match',
  lt: 'is less than',
  gt: 'is greater than',
};

/** "json $.code equals 0" — how a condition reads in a run log. */
export function describeCondition(c: { from: string; path?: string; header?: string; op: Condition['op'] }, expected: string): string {
  const where = c.from === 'json' ? `json ${c.path}` : c.from === 'header' ? (c.header ? `header ${c.header}` : 'headers') : c.from;
  return `${where} ${OP_WORDS[c.op]} ${JSON.stringify(expected)}`;
}

/** The actual value, shortened for an error message. */
export function shortActual(actual: unknown): string {
  if (actual === undefined) return 'nothing there';
  const text = asText(actual);
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}
