// User-written templates (request steps, message texts): Jinja through @huggingface/jinja, extended
// with QD's globals and filters (QD-COMPAT.md) and Chime's (`now`, uuid(), sha256, hmac_sha256, json).
// Templates come from untrusted users: they only ever see template data (no JavaScript objects), and
// the work and output of one render are bounded (LIMITS).
import crypto from 'node:crypto';
import { Environment } from '@huggingface/jinja';
import type { Builtin, RenderContext } from './jinja-call.js';
import { CODEC_FUNCTIONS } from './jinja-codec.js';
import { JINJA_FILTERS, splitKeywords } from './jinja-filters.js';
import { ChimeInterpreter } from './jinja-interpreter.js';
import { ParseError, compileTemplate, spanOf, type Node, type Program } from './jinja-parse.js';
import { GLOBAL_FUNCTIONS, QD_FUNCTIONS } from './jinja-qd.js';
import { REGEX_FUNCTIONS } from './jinja-regex.js';
import { FunctionValue, RenderFault, bool, none, str, toJs, toRuntime, type AnyValue } from './jinja-values.js';

export { LIMITS } from './jinja-values.js';
export { MAX_RANGE } from './jinja-qd.js';
export { compilePythonRegex } from './jinja-regex.js';
export { encodeText } from './jinja-codec.js';

export class TemplateError extends Error {
  /** The offending line of the template with a caret under the column, for the run log ('' without a position). */
  readonly excerpt: string;

  constructor(message: string, readonly source: string, readonly position?: { line: number; column: number }) {
    super(message);
    this.name = 'TemplateError';
    this.excerpt = position ? excerptAt(source, position) : '';
  }
}

export type RenderOptions = {
  now?: () => Date;
  random?: () => number;
  /** IANA zone for date_time() (QD uses the server's local time, which is the default here too). */
  timeZone?: string;
};

const QD_AND_CHIME = [...QD_FUNCTIONS, ...CODEC_FUNCTIONS, ...REGEX_FUNCTIONS];
const FILTERS: ReadonlyMap<string, Builtin> = new Map([...JINJA_FILTERS, ...QD_AND_CHIME]);
const GLOBALS: ReadonlyMap<string, Builtin> = new Map([...QD_AND_CHIME, ...GLOBAL_FUNCTIONS]);
const TAG_START = /\{[{%#]/;

/** Renders `source` with `variables`. Throws TemplateError on syntax or render errors. Text without {{, {% or {# is returned as is. */
export function renderTemplate(source: string, variables: Record<string, unknown>, options: RenderOptions = {}): string {
  if (!TAG_START.test(source)) return source;
  const program = cached(source, source, 0);
  const ctx = contextOf(options);
  const interpreter = new ChimeInterpreter(environment(variables, ctx), ctx, FILTERS);
  try {
    return String(interpreter.evaluate(program as unknown as Node, interpreter.global).value);
  } catch (err) {
    throw templateError(err, source, source, 0, interpreter);
  }
}

/** Evaluates one Jinja expression ("i < 3", "list(items)", "range(1, 4)") to plain JS data. */
export function evaluateExpression(expression: string, variables: Record<string, unknown>, options: RenderOptions = {}): unknown {
  // Parsed as `{{expression}}`; positions are shifted back by the two characters of `{{`.
  const wrapped = `{{${expression}}}`;
  let program: Program;
  try {
    program = cached(wrapped, expression, -2);
  } catch (err) {
    // The closing `}}` is ours: running into it means the expression stopped short.
    if (err instanceof TemplateError && /'}}'/.test(err.message)) throw new TemplateError('the expression is incomplete', expression, err.position);
    throw err;
  }
  const [node] = program.body;
  const span = node && spanOf(node);
  if (program.body.length !== 1 || !span || span.start !== 0 || span.end !== wrapped.length) {
    throw new TemplateError('expected one expression (without {{ }} or {% %})', expression, { line: 1, column: 1 });
  }
  const ctx = contextOf(options);
  const interpreter = new ChimeInterpreter(environment(variables, ctx), ctx, FILTERS);
  try {
    return toJs(interpreter.evaluate(node, interpreter.global));
  } catch (err) {
    throw templateError(err, wrapped, expression, -2, interpreter);
  }
}

// Parsed templates, most recently used last: the same step text renders on every run.
const CACHE_ENTRIES = 500;
const cache = new Map<string, Program>();
const stats = { hits: 0, misses: 0 };

export function templateCacheStats(): { size: number; hits: number; misses: number } {
  return { size: cache.size, ...stats };
}
export function clearTemplateCache(): void {
  cache.clear();
  stats.hits = stats.misses = 0;
}

function cached(source: string, shown: string, shift: number): Program {
  const hit = cache.get(source);
  if (hit) {
    stats.hits++;
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  stats.misses++;
  let program: Program;
  try {
    program = compileTemplate(source);
  } catch (err) {
    throw templateError(err, source, shown, shift);
  }
  cache.set(source, program);
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  return program;
}

function contextOf(options: RenderOptions): RenderContext {
  const random = options.random;
  return {
    now: options.now ?? (() => new Date()),
    random: random ?? Math.random,
    randomBytes: random ? undefined : (size) => crypto.randomBytes(size),
    timeZone: options.timeZone,
  };
}

/** Globals (QD's, Jinja's, Chime's) in an outer scope; the caller's variables shadow them, as in Jinja. */
function environment(variables: Record<string, unknown>, ctx: RenderContext): Environment {
  const globals = new Environment();
  const set = (env: Environment, name: string, value: AnyValue) => env.setVariable(name, value as never);
  for (const [name, builtin] of GLOBALS) {
    set(globals, name, new FunctionValue((args) => {
      const [positional, kwargs] = splitKeywords(args);
      return builtin({ name, args: positional, kwargs, ctx });
    }));
  }
  for (const [name, value] of [['true', bool(true)], ['false', bool(false)], ['none', none()], ['True', bool(true)], ['False', bool(false)], ['None', none()]] as const) {
    set(globals, name, value);
  }
  set(globals, 'now', str(ctx.now().toISOString()));
  const scope = new Environment(globals);
  for (const [name, value] of Object.entries(variables)) set(scope, name, toRuntime(value));
  return scope;
}

const TYPE_NAMES: Record<string, string> = {
  StringValue: 'text', IntegerValue: 'integer', FloatValue: 'float', BooleanValue: 'boolean', ObjectValue: 'mapping',
  ArrayValue: 'list', TupleValue: 'tuple', NullValue: 'none', UndefinedValue: 'undefined', FunctionValue: 'function',
  NamespaceValue: 'namespace', KeywordArgumentsValue: 'keyword arguments',
};

/**
 * Any failure while parsing or rendering becomes a TemplateError pointing into `shown`. Offsets are
 * in `parsed` (the text that was parsed), which is `shown` moved by `shift` characters.
 */
function templateError(err: unknown, parsed: string, shown: string, shift: number, interpreter?: ChimeInterpreter): TemplateError {
  if (err instanceof TemplateError) return err;
  if (err instanceof ParseError) return new TemplateError(err.message, shown, positionAt(shown, err.offset + shift));
  const raw = err instanceof RangeError && /call stack/i.test(err.message) ? 'the template nests too deeply' : err instanceof Error ? err.message : String(err);
  // The library's own messages name its classes ("Cannot apply filter to UndefinedValue"): reword those.
  const message = err instanceof RenderFault ? raw : raw.replace(/\b[A-Z][a-zA-Z]*Value\b/g, (t) => TYPE_NAMES[t] ?? t).replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase());
  // The library's nodes have no positions: we know the innermost tag being evaluated, and look in it
  // for the text the error names (a filter, a function, a variable) to put the caret on it.
  const span = typeof err === 'object' && err !== null ? interpreter?.errorSpans.get(err) : undefined;
  const from = span?.start ?? 0;
  const found = err instanceof RenderFault ? err.needle?.exec(parsed.slice(from, span?.end ?? parsed.length)) : undefined;
  const offset = found ? from + found.index : span?.start;
  return new TemplateError(message, shown, offset === undefined ? undefined : positionAt(shown, offset + shift));
}

function positionAt(source: string, offset: number): { line: number; column: number } {
  const clamped = Math.max(0, Math.min(offset, source.length));
  const before = source.slice(0, clamped);
  const line = before.split('\n').length;
  return { line, column: clamped - (before.lastIndexOf('\n') + 1) + 1 };
}

/** The line, cut to ~120 characters around the column, and a caret under the column. */
function excerptAt(source: string, { line, column }: { line: number; column: number }): string {
  const text = (source.split('\n')[line - 1] ?? '').replace(/\r$/, '');
  const start = text.length > 120 ? Math.max(0, Math.min(column - 61, text.length - 120)) : 0;
  const shown = (start > 0 ? '…' : '') + text.slice(start, start + 120) + (start + 120 < text.length ? '…' : '');
  const lead = (start > 0 ? ' ' : '') + text.slice(start, column - 1).replace(/[^\t]/g, ' ');
  return `${shown}\n${lead}^`;
}
