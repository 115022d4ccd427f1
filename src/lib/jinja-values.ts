// The interpreter's runtime values, and how they turn into text the way Python/Jinja2 would print them.
// @huggingface/jinja exports only Environment, Interpreter, parse and tokenize; its value classes are
// not exported, yet the interpreter checks values with `instanceof`. We therefore take each class from
// an instance that Environment.set makes, so the values we build are the library's own.
import { Environment } from '@huggingface/jinja';

/** What every value of the library has; `value` is the JS payload (string, number, Map, array, function). */
export interface RuntimeValue<T = unknown> {
  type: string;
  value: T;
  readonly builtins: ReadonlyMap<string, AnyValue>;
  __bool__(): { value: boolean };
  toString(): string;
}
export type AnyValue = RuntimeValue<unknown>;
export type JinjaFn = (args: AnyValue[], scope: Environment) => AnyValue;

const probe = new Environment();
let probes = 0;
function classOf<T>(sample: unknown): new (value: T) => RuntimeValue<T> {
  return (probe.set(`probe${probes++}`, sample) as unknown as { constructor: new (value: T) => RuntimeValue<T> }).constructor;
}

export const StringValue = classOf<string>('');
export const IntegerValue = classOf<number>(1);
export const FloatValue = classOf<number>(1.5);
export const BooleanValue = classOf<boolean>(true);
export const NullValue = classOf<null>(null);
export const UndefinedValue = classOf<undefined>(undefined);
export const ArrayValue = classOf<AnyValue[]>([]);
export const ObjectValue = classOf<Map<string, AnyValue>>({});
export const FunctionValue = classOf<JinjaFn>(() => null);

export type StrV = RuntimeValue<string>;
export type ListV = RuntimeValue<AnyValue[]>;
export type DictV = RuntimeValue<Map<string, AnyValue>>;

/** What one render may use; jinja-interpreter.ts enforces them. */
export const LIMITS = Object.freeze({
  /** Items in one list, range() included. */
  listItems: 100_000,
  /** Characters of one text value and of the rendered output. */
  textChars: 10 * 1024 * 1024,
  /** Characters produced in total while rendering (loops build their output piece by piece). */
  producedChars: 64 * 1024 * 1024,
  /** Evaluation steps, and wall time, of one render. */
  steps: 1_000_000,
  millis: 2_000,
  /** Nesting of evaluation (macro recursion). */
  depth: 400,
});

/** An error a template author caused; jinja.ts turns it into a TemplateError with a position. */
export class RenderFault extends Error {
  /** `needle` is text to look for near the failing tag, to put the caret on the exact spot. */
  constructor(message: string, public needle?: RegExp) {
    super(message);
    this.name = 'RenderFault';
  }
}

export const str = (s: string): StrV => new StringValue(s);
export const int = (n: number) => new IntegerValue(n);
export const float = (n: number) => new FloatValue(n);
export const bool = (b: boolean) => new BooleanValue(b);
export const none = () => new NullValue(null);
export const undef = () => new UndefinedValue(undefined);
export const list = (items: AnyValue[]): ListV => new ArrayValue(items);
export const dict = (entries: Iterable<[string, AnyValue]>): DictV => new ObjectValue(new Map(entries));

export const isStr = (v: AnyValue): v is StrV => v instanceof StringValue;
export const isInt = (v: AnyValue): v is RuntimeValue<number> => v instanceof IntegerValue;
export const isFloat = (v: AnyValue): v is RuntimeValue<number> => v instanceof FloatValue;
export const isNum = (v: AnyValue): v is RuntimeValue<number> => isInt(v) || isFloat(v);
export const isBool = (v: AnyValue): v is RuntimeValue<boolean> => v instanceof BooleanValue;
export const isNone = (v: AnyValue) => v instanceof NullValue;
export const isUndef = (v: AnyValue) => v instanceof UndefinedValue;
export const isList = (v: AnyValue): v is ListV => v instanceof ArrayValue;
/** Dicts and namespaces: both hold a Map. */
export const isDict = (v: AnyValue): v is DictV => v.value instanceof Map;
export const isFn = (v: AnyValue): v is RuntimeValue<JinjaFn> => v instanceof FunctionValue;

// Bytes (from a2b_hex, utf8, …) are text values that remember their raw bytes, so md5/b2a_hex of them
// hash the bytes while printing them shows their UTF-8 reading.
const rawBytes = new WeakMap<object, Buffer>();
export function bytesValue(bytes: Buffer): StrV {
  const v = str(bytes.toString('utf8'));
  rawBytes.set(v, bytes);
  return v;
}
export function rawBytesOf(v: AnyValue): Buffer | undefined {
  return rawBytes.get(v);
}
/** Python's to_bytes: bytes as they are, text as UTF-8, anything else as its str(). */
export function toBytes(v: AnyValue): Buffer {
  return rawBytes.get(v) ?? Buffer.from(pyStr(v), 'utf8');
}

// An undefined value remembers the name it was looked up by, for "'x' is undefined".
const undefinedNames = new WeakMap<object, string>();
export function namedUndefined(name: string): AnyValue {
  const v = undef();
  undefinedNames.set(v, name);
  return v;
}
export function undefinedName(v: AnyValue): string | undefined {
  return undefinedNames.get(v);
}
export function undefinedError(v: AnyValue): RenderFault {
  const name = undefinedNames.get(v);
  return new RenderFault(name ? `'${name}' is undefined` : 'a value is undefined', name ? identifierNeedle(name) : undefined);
}
export function identifierNeedle(name: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(name)}(?![\\p{L}\\p{N}_])`, 'u');
}
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Python's repr() of a float: shortest round-trip digits, exponent below 1e-4 and from 1e16. */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = n.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  const sign = n < 0 ? '-' : '';
  const digits = mantissa.replace(/[-.]/g, '');
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  return `${sign}${digits.slice(0, e + 1).padEnd(e + 1, '0')}.${digits.slice(e + 1) || '0'}`;
}

function pyIntText(n: number): string {
  return Number.isSafeInteger(n) || !Number.isFinite(n) ? String(n) : BigInt(Math.trunc(n)).toString();
}

/** Python's str(): what `{{ v }}` prints. Undefined prints nothing, none prints "None" (as in Jinja2). */
export function pyStr(v: AnyValue): string {
  if (isStr(v)) return v.value;
  if (isUndef(v)) return '';
  return pyRepr(v);
}

/** Python's repr(), used for values inside lists and dicts. */
export function pyRepr(v: AnyValue): string {
  if (isStr(v)) return reprText(v.value);
  if (isInt(v)) return pyIntText(v.value);
  if (isFloat(v)) return pyFloat(v.value);
  if (isBool(v)) return v.value ? 'True' : 'False';
  if (isNone(v)) return 'None';
  if (isUndef(v)) return '';
  if (isList(v)) {
    const inner = v.value.map(pyRepr).join(', ');
    return v.type === 'TupleValue' ? `(${inner}${v.value.length === 1 ? ',' : ''})` : `[${inner}]`;
  }
  if (isDict(v)) {
    const inner = [...v.value].map(([k, item]) => `${reprText(k)}: ${pyRepr(item)}`).join(', ');
    return v.type === 'NamespaceValue' ? `<Namespace {${inner}}>` : `{${inner}}`;
  }
  // Functions are never printed: their JS source must not reach a rendered request.
  throw new RenderFault('a function cannot be printed; call it with ( )');
}

function reprText(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's ==: 1 == 1.0 == True, lists and dicts by content, never JS's loose coercion ('1' == 1). */
export function pyEquals(a: AnyValue, b: AnyValue): boolean {
  const numeric = (v: AnyValue) => isNum(v) || isBool(v);
  if (numeric(a) && numeric(b)) return Number(a.value) === Number(b.value);
  if (isStr(a) && isStr(b)) return a.value === b.value;
  if (isList(a) && isList(b)) return a.value.length === b.value.length && a.value.every((x, i) => pyEquals(x, b.value[i]!));
  if (isDict(a) && isDict(b)) {
    if (a.value.size !== b.value.size) return false;
    for (const [k, x] of a.value) {
      const y = b.value.get(k);
      if (y === undefined || !pyEquals(x, y)) return false;
    }
    return true;
  }
  return (isNone(a) && isNone(b)) || (isUndef(a) && isUndef(b));
}

export function truthy(v: AnyValue): boolean {
  return v.__bool__().value;
}

/** JS value → runtime value. Only data crosses: functions and class instances become undefined. */
export function toRuntime(input: unknown, depth = 0): AnyValue {
  switch (typeof input) {
    case 'string':
      return str(input);
    case 'number':
      return Number.isInteger(input) ? int(input) : float(input);
    case 'boolean':
      return bool(input);
    case 'bigint':
      return Number.isSafeInteger(Number(input)) ? int(Number(input)) : str(input.toString());
    case 'object': {
      if (input === null) return none();
      if (depth > 64) return undef();
      if (Array.isArray(input)) return list(input.map((x) => toRuntime(x, depth + 1)));
      if (input instanceof Date) return str(input.toISOString());
      if (Buffer.isBuffer(input)) return bytesValue(input);
      const proto = Object.getPrototypeOf(input) as unknown;
      if (proto !== Object.prototype && proto !== null) return undef();
      return dict(Object.entries(input).map(([k, v]) => [k, toRuntime(v, depth + 1)]));
    }
    default:
      return undef();
  }
}

/** Runtime value → plain JS data (for evaluateExpression and the json filter). */
export function toJs(v: AnyValue): unknown {
  if (isStr(v) || isNum(v) || isBool(v)) return v.value;
  if (isNone(v)) return null;
  if (isUndef(v)) return undefined;
  if (isList(v)) return v.value.map(toJs);
  if (isDict(v)) return Object.fromEntries([...v.value].map(([k, x]) => [k, toJs(x)]));
  throw new RenderFault('a function is not a value');
}
