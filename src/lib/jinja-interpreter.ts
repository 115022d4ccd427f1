// Our Interpreter: @huggingface/jinja's, with Jinja2/Python semantics where the library differs
// (printing None/True, ==, ~, undefined errors), our filters, and bounds on the work a template may do.
// The library declares the methods we override `private`; they are ordinary prototype methods at run
// time, so we view the class through an interface that makes them visible to the compiler.
import { Environment, Interpreter } from '@huggingface/jinja';
import type { Builtin, RenderContext } from './jinja-call.js';
import { stringMethod } from './jinja-filters.js';
import { spanOf, type Node, type Span } from './jinja-parse.js';
import {
  LIMITS, RenderFault, bool, escapeRegExp, float, identifierNeedle, int, isDict, isFloat, isFn, isList, isNum, isStr, isUndef,
  list, namedUndefined, pyEquals, pyStr, str, undef, undefinedError, type AnyValue,
} from './jinja-values.js';


interface Internals {
  global: Environment;
  evaluate(node: Node | undefined, env: Environment): AnyValue;
  evaluateBlock(nodes: Node[], env: Environment): AnyValue;
  evaluateIdentifier(node: Node, env: Environment): AnyValue;
  evaluateMemberExpression(node: Node, env: Environment): AnyValue;
  evaluateCallExpression(node: Node, env: Environment): AnyValue;
  evaluateBinaryExpression(node: Node, env: Environment): AnyValue;
  evaluateFor(node: Node, env: Environment): AnyValue;
  applyFilter(operand: AnyValue, filter: Node, env: Environment): AnyValue;
  evaluateArguments(args: Node[], env: Environment): [AnyValue[], Map<string, AnyValue>];
}
const LibraryInterpreter = Interpreter as unknown as new (env: Environment) => Internals;

/** Filters the library implements with Jinja's meaning; everything else is ours or unknown. */
const LIBRARY_FILTERS = new Set(['safe', 'tojson', 'items', 'unique', 'title', 'capitalize', 'abs', 'sort', 'selectattr', 'rejectattr', 'map', 'dictsort']);
/** Statements whose result is not output ({% set %} returns none, which would otherwise print "None"). */
const SILENT = new Set(['Set', 'Macro', 'Comment']);
const CONSTANT = 'ChimeConstant';
const constant = (value: AnyValue): Node => ({ type: CONSTANT, value });

export class ChimeInterpreter extends LibraryInterpreter {
  private steps = 0;
  private nextClockCheck = 1024;
  private depth = 0;
  private produced = 0;
  private readonly deadline = Date.now() + LIMITS.millis;
  /** For each error, the innermost tag that was being evaluated when it was thrown. */
  readonly errorSpans = new WeakMap<object, Span>();

  constructor(
    env: Environment,
    private readonly ctx: RenderContext,
    private readonly filters: ReadonlyMap<string, Builtin>,
  ) {
    super(env);
  }

  override evaluate(node: Node | undefined, env: Environment): AnyValue {
    if (node?.type === CONSTANT) return node.value as AnyValue;
    this.charge(1);
    if (++this.depth > LIMITS.depth) throw new RenderFault('the template nests too deeply (a macro calling itself?)');
    try {
      const value = super.evaluate(node, env);
      if (isStr(value) && value.value.length > LIMITS.textChars) throw tooLarge();
      if (isList(value)) {
        if (value.value.length > LIMITS.listItems) throw new RenderFault(`a list grew over ${LIMITS.listItems.toLocaleString('en')} items`);
        this.charge(value.value.length);
      }
      return value;
    } catch (err) {
      const span = node && spanOf(node);
      if (span && typeof err === 'object' && err !== null && !this.errorSpans.has(err)) this.errorSpans.set(err, span);
      throw err;
    } finally {
      this.depth--;
    }
  }

  /** Counts work: one step per evaluation, one per list item made or looped over; the clock is read now and then. */
  private charge(steps: number): void {
    this.steps += steps;
    if (this.steps > LIMITS.steps || (this.steps >= this.nextClockCheck && Date.now() > this.deadline)) {
      throw new RenderFault(`the template does too much work (over ${LIMITS.steps.toLocaleString('en')} steps or ${LIMITS.millis / 1000} s)`);
    }
    if (this.steps >= this.nextClockCheck) this.nextClockCheck = this.steps + 1024;
  }

  /** Output as Jinja2 prints it: none → "None", true → "True", floats as Python writes them. */
  override evaluateBlock(nodes: Node[], env: Environment): AnyValue {
    let out = '';
    for (const node of nodes) {
      const value = this.evaluate(node, env);
      if (SILENT.has(node.type)) continue;
      const text = pyStr(value);
      this.produced += text.length;
      out += text;
      if (out.length > LIMITS.textChars || this.produced > LIMITS.producedChars) throw tooLarge();
    }
    return str(out);
  }

  override evaluateIdentifier(node: Node, env: Environment): AnyValue {
    const value = super.evaluateIdentifier(node, env);
    return isUndef(value) ? namedUndefined(String(node.value)) : value;
  }

  /** Attribute of an undefined value is an error, as in Jinja2; otherwise the library's lookup, which only reaches template data. */
  override evaluateMemberExpression(node: Node, env: Environment): AnyValue {
    const object = this.evaluate(node.object as Node, env);
    const property = node.property as Node;
    if (isUndef(object)) throw undefinedError(object);
    if (node.computed && property.type !== 'SliceExpression') {
      const key = this.evaluate(property, env);
      if (isDict(object) && !isStr(key)) return undef();
      return this.member(object, key, node, env);
    }
    if (!node.computed && property.type === 'Identifier' && isStr(object)) {
      const method = stringMethod(object, String(property.value));
      if (method) return method;
    }
    const value = super.evaluateMemberExpression({ ...node, object: constant(object) }, env);
    return isUndef(value) ? namedUndefined(describe(node)) : value;
  }

  private member(object: AnyValue, key: AnyValue, node: Node, env: Environment): AnyValue {
    const value = super.evaluateMemberExpression({ ...node, object: constant(object), property: constant(key) }, env);
    return isUndef(value) ? namedUndefined(`${describe(node.object as Node)}[${pyStr(key)}]`) : value;
  }

  override evaluateCallExpression(node: Node, env: Environment): AnyValue {
    const callee = node.callee as Node;
    const fn = this.evaluate(callee, env);
    if (isUndef(fn)) throw undefinedError(fn);
    if (!isFn(fn)) throw new RenderFault(`'${describe(callee)}' is not a function (it is ${pyStr(fn).slice(0, 40) || 'empty'})`);
    try {
      return super.evaluateCallExpression({ ...node, callee: constant(fn) }, env);
    } catch (err) {
      throw withNeedle(err, callNeedle(callee));
    }
  }

  override evaluateBinaryExpression(node: Node, env: Environment): AnyValue {
    const op = String((node.operator as { value: string }).value);
    if (op === 'and' || op === 'or') return super.evaluateBinaryExpression(node, env);
    const left = this.evaluate(node.left as Node, env);
    const right = this.evaluate(node.right as Node, env);
    switch (op) {
      case '~':
        return str(pyStr(left) + pyStr(right));
      case '==':
        return bool(pyEquals(left, right));
      case '!=':
        return bool(!pyEquals(left, right));
      case 'in':
      case 'not in':
        if (isUndef(right)) return bool(op === 'not in');
        break;
    }
    if (isUndef(left)) throw undefinedError(left);
    if (isUndef(right)) throw undefinedError(right);
    if (op === '*' && (isStr(left) || isList(left) || isStr(right) || isList(right))) return repeat(left, right);
    if (['/', '//', '%'].includes(op) && isNum(right) && right.value === 0) throw new RenderFault('division by zero');
    if (op === '%' && isNum(left) && isNum(right)) {
      // Python's remainder takes the divisor's sign: -5 % 3 == 1.
      const r = left.value % right.value;
      const value = r !== 0 && r < 0 !== right.value < 0 ? r + right.value : r;
      return isFloat(left) || isFloat(right) ? float(value) : int(value);
    }
    if (op === '+' && isStr(left) !== isStr(right)) throw new RenderFault("'+' cannot join text and a non-text value; use '~' instead");
    if (['<', '>', '<=', '>='].includes(op) && isStr(left) && isStr(right)) {
      const order = left.value < right.value ? -1 : left.value > right.value ? 1 : 0;
      return bool(op === '<' ? order < 0 : op === '>' ? order > 0 : op === '<=' ? order <= 0 : order >= 0);
    }
    return super.evaluateBinaryExpression({ ...node, left: constant(left), right: constant(right) }, env);
  }

  /** Loops over text go by character and over undefined not at all, as in Jinja2. */
  override evaluateFor(node: Node, env: Environment): AnyValue {
    const iterable = node.iterable as Node;
    const select = iterable.type === 'SelectExpression';
    const items = iterableOf(this.evaluate((select ? iterable.lhs : iterable) as Node, env));
    this.charge(isList(items) ? items.value.length : (items.value as Map<string, AnyValue>).size);
    return super.evaluateFor({ ...node, iterable: select ? { ...iterable, lhs: constant(items) } : constant(items) }, env);
  }

  override applyFilter(operand: AnyValue, filter: Node, env: Environment): AnyValue {
    const nameNode = (filter.type === 'CallExpression' ? filter.callee : filter) as Node;
    const name = String(nameNode.value);
    const needle = new RegExp(`(?<=\\|\\s*|\\{%-?\\s*filter\\s+)${escapeRegExp(name)}(?![\\p{L}\\p{N}_])`, 'u');
    const builtin = this.filters.get(name);
    try {
      if (builtin) {
        const [args, kwargs] = filter.type === 'CallExpression' ? this.evaluateArguments(filter.args as Node[], env) : [[], new Map<string, AnyValue>()];
        return builtin({ name, args: [operand, ...args], kwargs, ctx: this.ctx });
      }
      if (!LIBRARY_FILTERS.has(name)) throw new RenderFault(`unknown filter '${name}'`, needle);
      if (isUndef(operand)) throw undefinedError(operand);
      return super.applyFilter(operand, filter, env);
    } catch (err) {
      throw withNeedle(err, needle);
    }
  }
}

function tooLarge(): RenderFault {
  return new RenderFault(`the rendered text is too large (over ${LIMITS.textChars / 1024 / 1024} MiB)`);
}

/** Gives an error the text to look for; the library's plain Errors become RenderFaults (its loop-control signals pass). */
function withNeedle(err: unknown, needle: RegExp): unknown {
  if (err instanceof Error && /^(Break|Continue)Control$/.test(err.constructor.name)) return err;
  if (err instanceof RenderFault) err.needle ??= needle;
  else if (err instanceof Error && !(err instanceof RangeError)) return new RenderFault(err.message, needle);
  return err;
}

function callNeedle(callee: Node): RegExp {
  const name = callee.type === 'Identifier' ? String(callee.value) : callee.type === 'MemberExpression' ? String((callee.property as Node).value) : '';
  return name ? new RegExp(`${identifierNeedle(name).source}(?=\\s*\\()`, 'u') : /\(/;
}

/** How a template refers to a value, for messages: `user.name`, `items[…]`. */
export function describe(node: Node): string {
  switch (node.type) {
    case 'Identifier':
      return String(node.value);
    case 'MemberExpression': {
      const property = node.property as Node;
      return `${describe(node.object as Node)}${node.computed ? '[…]' : `.${String(property.value)}`}`;
    }
    case 'CallExpression':
      return `${describe(node.callee as Node)}(…)`;
    case 'StringLiteral':
      return `"${String(node.value)}"`;
    default:
      return 'value';
  }
}

function iterableOf(value: AnyValue): AnyValue {
  if (isUndef(value)) return list([]);
  if (isStr(value)) return list(Array.from(value.value, (ch) => str(ch)));
  if (isList(value) || isDict(value)) return value;
  throw new RenderFault(`cannot loop over ${pyStr(value).slice(0, 40)} (not a list, text or mapping)`);
}

function repeat(left: AnyValue, right: AnyValue): AnyValue {
  const [seq, times] = isNum(right) ? [left, right.value] : isNum(left) ? [right, left.value] : [left, NaN];
  if (!Number.isInteger(times)) throw new RenderFault('text or a list can only be multiplied by a whole number');
  const count = Math.max(0, times);
  if (isStr(seq)) {
    if (seq.value.length * count > LIMITS.textChars) throw tooLarge();
    return str(seq.value.repeat(count));
  }
  const items = (seq as { value: AnyValue[] }).value;
  if (items.length * count > LIMITS.listItems) throw new RenderFault(`a list grew over ${LIMITS.listItems.toLocaleString('en')} items`);
  return list(Array.from({ length: count }, () => items).flat());
}
