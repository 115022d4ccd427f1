// What Jinja texts read (templates' inputs, the QD import): variable names, the defaults given with
// `| default('v')`, the functions and filters they call. Read from the parse tree of src/lib/jinja-parse.ts (the
// parser the renderer uses), so a name inside a string or a loop variable is never taken for an input.
import { evaluateExpression, renderTemplate } from '../lib/jinja.js';
import { compileTemplate, type Node } from '../lib/jinja-parse.js';

export type NamesFound = {
  /** Identifiers read as values. */
  used: Set<string>;
  /** Names a template binds itself: loop variables, `{% set %}`, macro names and parameters. */
  bound: Set<string>;
  /** The first literal default given to a name: `{{ x | default('v') }}`, `x | d(0)`. */
  defaults: Map<string, string>;
  /** Functions called by name: `md5(x)`, `Faker()`. */
  calls: Set<string>;
  filters: Set<string>;
};

export const emptyNames = (): NamesFound => ({ used: new Set(), bound: new Set(), defaults: new Map(), calls: new Set(), filters: new Set() });

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && typeof (v as Node).type === 'string';
const LITERALS = new Set(['StringLiteral', 'IntegerLiteral', 'FloatLiteral', 'NumericLiteral', 'BooleanLiteral']);

/** Adds what `source` (a whole Jinja text) reads to `into`; throws the parser's error for broken syntax. */
export function collectNames(source: string, into: NamesFound): void {
  if (!/\{[{%]/.test(source)) return;
  walk(compileTemplate(source), into);
}

/** The same for one expression, as written in a control tag (`i < 3`, `list(items)`). */
export function collectExpressionNames(expression: string, into: NamesFound): void {
  walk(compileTemplate(`{{ ${expression} }}`), into);
}

function bind(target: unknown, into: NamesFound): void {
  if (!isNode(target)) return;
  if (target.type === 'Identifier') into.bound.add(String(target.value));
  else if (target.type === 'TupleLiteral' || target.type === 'ArrayLiteral') for (const t of target.value as unknown[]) bind(t, into);
  else if (target.type === 'KeywordArgumentExpression') bind(target.key, into);
}

function filterName(filter: unknown): { name?: string; args: unknown[] } {
  if (!isNode(filter)) return { args: [] };
  if (filter.type === 'Identifier') return { name: String(filter.value), args: [] };
  if (filter.type === 'CallExpression' && isNode(filter.callee) && filter.callee.type === 'Identifier') {
    return { name: String(filter.callee.value), args: (filter.args as unknown[]) ?? [] };
  }
  return { args: [] };
}

function walk(node: unknown, into: NamesFound): void {
  if (Array.isArray(node)) return node.forEach((n) => walk(n, into));
  if (node instanceof Map) {
    for (const [k, v] of node) walk(k, into), walk(v, into);
    return;
  }
  if (!isNode(node)) return;
  switch (node.type) {
    case 'Identifier':
      into.used.add(String(node.value));
      return;
    case 'MemberExpression':
      walk(node.object, into);
      if (node.computed) walk(node.property, into);
      return;
    case 'CallExpression':
      if (isNode(node.callee) && node.callee.type === 'Identifier') into.calls.add(String(node.callee.value));
      else walk(node.callee, into);
      walk(node.args, into);
      return;
    case 'FilterExpression':
    case 'FilterStatement': {
      walk(node.operand ?? node.body, into);
      const { name, args } = filterName(node.filter);
      if (name) into.filters.add(name);
      walk(args, into);
      const [first] = args;
      if ((name === 'default' || name === 'd') && isNode(node.operand) && node.operand.type === 'Identifier' && isNode(first) && LITERALS.has(first.type)) {
        const variable = String(node.operand.value);
        if (!into.defaults.has(variable)) into.defaults.set(variable, String(first.value));
      }
      return;
    }
    case 'TestExpression':
      walk(node.operand, into);
      return;
    case 'KeywordArgumentExpression':
      walk(node.value, into);
      return;
    case 'For':
      bind(node.loopvar, into);
      walk([node.iterable, node.body, node.defaultBlock], into);
      return;
    case 'Set':
      bind(node.assignee, into);
      walk([node.value, node.body], into);
      return;
    case 'Macro':
      bind(node.name, into);
      for (const arg of (node.args as unknown[]) ?? []) {
        bind(arg, into);
        if (isNode(arg) && arg.type === 'KeywordArgumentExpression') walk(arg.value, into);
      }
      walk(node.body, into);
      return;
    default:
      // Statements and the other expressions: every child node may read names. Operators are
      // lexer tokens, some typed as identifiers (`not`, `and`): not names.
      for (const [key, value] of Object.entries(node)) if (key !== 'type' && key !== 'operator') walk(value, into);
  }
}

/** Names in texts the parser refused: `{{ name …` and `{% if name …`, as the editor's check reads them. */
export function namesByPattern(source: string, into: NamesFound): void {
  for (const m of source.matchAll(/\{\{-?\s*([A-Za-z_]\w*)/g)) into.used.add(m[1]!);
  for (const m of source.matchAll(/\{%-?\s*(?:if|elif|while)\s+(?:not\s+)?([A-Za-z_]\w*)/g)) into.used.add(m[1]!);
  for (const m of source.matchAll(/\{%-?\s*for\s+([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+in\b/g)) for (const n of m[1]!.split(',')) into.bound.add(n.trim());
}

// What the renderer provides, asked of the renderer itself so the two cannot drift apart.
const globals = new Map<string, 'known' | 'unsupported' | 'unknown'>();
const filters = new Map<string, 'known' | 'unsupported' | 'unknown'>();
const UNSUPPORTED = /is not supported in Chime/;

/** A global function of the renderer (`md5`, `range`), one it names but does not implement (`Faker`), or neither. */
export function globalKind(name: string): 'known' | 'unsupported' | 'unknown' {
  let kind = globals.get(name);
  if (kind) return kind;
  kind = 'unknown';
  if (/^[A-Za-z_]\w*$/.test(name) && evaluateExpression(`${name} is defined`, {}) === true) {
    kind = 'known';
    try {
      evaluateExpression(`${name}()`, {});
    } catch (err) {
      if (UNSUPPORTED.test((err as Error).message)) kind = 'unsupported';
    }
  }
  globals.set(name, kind);
  return kind;
}

export function filterKind(name: string): 'known' | 'unsupported' | 'unknown' {
  let kind = filters.get(name);
  if (kind) return kind;
  kind = 'known';
  if (!/^[A-Za-z_]\w*$/.test(name)) kind = 'unknown';
  else {
    try {
      renderTemplate(`{{ none | ${name} }}`, {});
    } catch (err) {
      const message = (err as Error).message;
      if (/unknown filter/.test(message)) kind = 'unknown';
      else if (UNSUPPORTED.test(message)) kind = 'unsupported';
    }
  }
  filters.set(name, kind);
  return kind;
}
