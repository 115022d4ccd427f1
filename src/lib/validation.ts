// Turns zod issues into field errors keyed by path, with i18n keys, for forms and the API alike.
import { z } from 'zod';
import { invalid, type FieldErrors, type Message } from './errors.js';

/** zod's expected types that have their own sentence ("Must be a list."), in both languages. */
const TYPE_NAMES = new Set(['string', 'number', 'int', 'boolean', 'array', 'object', 'record', 'bigint']);

function messageFor(issue: z.core.$ZodIssue): Message {
  // Schemas may name their own message as an i18n key.
  if (issue.message.startsWith('errors.')) {
    const params = issue.code === 'custom' ? (issue.params as Message['params']) : undefined;
    return params ? { key: issue.message, params } : { key: issue.message };
  }
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined || issue.input === null || issue.input === ''
        ? { key: 'errors.required' }
        : { key: TYPE_NAMES.has(issue.expected) ? `errors.type.${issue.expected}` : 'errors.invalid_value' };
    case 'too_small':
      if (issue.origin === 'string') {
        return Number(issue.minimum) <= 1 ? { key: 'errors.required' } : { key: 'errors.too_short', params: { min: Number(issue.minimum) } };
      }
      return { key: 'errors.too_small', params: { min: Number(issue.minimum) } };
    case 'too_big':
      return issue.origin === 'string'
        ? { key: 'errors.too_long', params: { max: Number(issue.maximum) } }
        : { key: 'errors.too_big', params: { max: Number(issue.maximum) } };
    case 'invalid_format':
      return issue.format === 'email' ? { key: 'errors.email_invalid' } : { key: 'errors.invalid_format' };
    case 'invalid_value':
      return { key: 'errors.invalid_choice', params: { options: issue.values.map(String).join(', ') } };
    default:
      return { key: 'errors.invalid_value' };
  }
}

export function fieldErrorsFrom(error: z.ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.') || '_';
    // An unknown field is reported under its own name, like any other bad field.
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[path === '_' ? key : `${path}.${key}`] ??= { key: 'errors.unknown_field' };
      continue;
    }
    // The first problem of a field is the one worth showing.
    fields[path] ??= messageFor(issue);
  }
  return fields;
}

/** Parses input with a schema or throws a 400 AppError naming each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  // reportInput: the issue then carries the value, which tells "missing" from "wrong type".
  const result = schema.safeParse(input, { reportInput: true });
  if (!result.success) throw invalid(fieldErrorsFrom(result.error));
  return result.data;
}
