// How a global or filter receives its arguments: Python-style positional and keyword arguments bound
// to parameter names, plus the render's clock and random source.
import {
  RenderFault, isBool, isDict, isList, isNone, isNum, isStr, isUndef, pyStr, rawBytesOf, undefinedError,
  type AnyValue,
} from './jinja-values.js';

export type RenderContext = {
  now: () => Date;
  random: () => number;
  /** Bytes for uuid(): crypto-random unless a test fixed `random`. */
  randomBytes?: (size: number) => Buffer;
  /** IANA zone for date_time(); the server's zone when absent, as QD uses the server's local time. */
  timeZone?: string;
};

export type Call = { name: string; args: AnyValue[]; kwargs: Map<string, AnyValue>; ctx: RenderContext };
export type Builtin = (call: Call) => AnyValue;

/**
 * Binds arguments to `params` the way Python does ("value", "pattern", …). A "*name" entry collects
 * the remaining positional arguments into `rest`; parameters after it are keyword-only. A parameter
 * that was not passed is undefined in the result.
 */
export function bind<const P extends string>(call: Call, params: readonly P[]): Record<P, AnyValue | undefined> & { rest: AnyValue[] } {
  const star = params.findIndex((p) => p.startsWith('*'));
  const positional = star < 0 ? params : params.slice(0, star);
  const named = params.filter((p) => !p.startsWith('*'));
  if (star < 0 && call.args.length > positional.length) {
    throw new RenderFault(`${call.name}() takes at most ${positional.length} argument${positional.length === 1 ? '' : 's'} (${call.args.length} given)`);
  }
  const bound = Object.create(null) as Record<string, AnyValue | undefined>;
  positional.forEach((p, i) => (bound[p] = call.args[i]));
  for (const [key, value] of call.kwargs) {
    if (!named.includes(key as P)) throw new RenderFault(`${call.name}() got an unexpected keyword argument '${key}'`);
    if (bound[key] !== undefined) throw new RenderFault(`${call.name}() got multiple values for argument '${key}'`);
    bound[key] = value;
  }
  return Object.assign(bound as Record<P, AnyValue | undefined>, { rest: star < 0 ? [] : call.args.slice(positional.length) });
}

/** Text of an argument as Python's str() would give it; undefined gives '' like Jinja's Undefined. */
export function text(v: AnyValue | undefined, fallback = ''): string {
  return v === undefined ? fallback : pyStr(v);
}

export function isBytes(v: AnyValue): boolean {
  return rawBytesOf(v) !== undefined;
}

/** Python truthiness, for flags such as ignorecase=true or 'True'-like text (QD passes both). */
export function flag(v: AnyValue | undefined, fallback = false): boolean {
  return v === undefined ? fallback : v.__bool__().value;
}

/** A number argument; arithmetic on undefined is an error in Jinja, as here. */
export function number(v: AnyValue | undefined, what: string, fallback?: number): number {
  if (v === undefined || (isNone(v) && fallback !== undefined)) {
    if (fallback !== undefined) return fallback;
    throw new RenderFault(`${what} is required`);
  }
  if (isUndef(v)) throw undefinedError(v);
  if (isNum(v) || isBool(v)) return Number(v.value);
  throw new RenderFault(`${what} must be a number, not ${typeName(v)}`);
}

export function integer(v: AnyValue | undefined, what: string, fallback?: number): number {
  const n = number(v, what, fallback);
  if (!Number.isInteger(n)) throw new RenderFault(`${what} must be a whole number, not ${n}`);
  return n;
}

/** Python's type names, for messages and type_debug(). */
export function typeName(v: AnyValue): string {
  if (isStr(v)) return isBytes(v) ? 'bytes' : 'str';
  if (isBool(v)) return 'bool';
  if (isNum(v)) return v.type === 'IntegerValue' ? 'int' : 'float';
  if (isNone(v)) return 'NoneType';
  if (isUndef(v)) return 'Undefined';
  if (isList(v)) return v.type === 'TupleValue' ? 'tuple' : 'list';
  if (isDict(v)) return v.type === 'NamespaceValue' ? 'Namespace' : 'dict';
  return 'function';
}
