// What a template is: an ordered list of steps (HTTP requests with rules) and declared variables.
// One schema for the editor form, the API and the importers (API.md "Templates", SEMANTICS.md §1).
import { z } from 'zod';
import { collectExpressionNames, collectNames, emptyNames, globalKind, namesByPattern } from './jinja-names.js';
import { controlTagOf } from '../runs/control-flow.js';

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const SOURCES = ['body', 'json', 'header', 'status'] as const;
export const OPS = ['equals', 'not_equals', 'contains', 'not_contains', 'matches', 'not_matches', 'lt', 'gt'] as const;

export const LIMITS = {
  steps: 100,
  headersPerStep: 100,
  rulesPerStep: 50,
  variables: 100,
  bodyBytes: 1024 * 1024,
  nameLength: 100,
  urlLength: 4096,
  timeoutMsDefault: 30_000,
  timeoutMsMax: 120_000,
} as const;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
// RFC 9110 token characters; a name may also be a Jinja expression, checked once rendered.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const hasJinja = (text: string) => /\{\{|\{%/.test(text);

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const name = z.string().trim().min(1, { error: 'errors.required' }).max(LIMITS.nameLength);
const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .optional()
    .transform((v) => (v === '' ? undefined : v));

export const variableNameSchema = z.string().trim().min(1, { error: 'errors.required' }).max(LIMITS.nameLength).regex(IDENTIFIER, { error: 'errors.identifier' });

export const conditionSchema = z
  .object({
    from: z.enum(SOURCES),
    path: optionalText(500),
    header: optionalText(200),
    op: z.enum(OPS),
    value: z.union([z.string().max(10_000), z.number()]),
  })
  .strict()
  .refine((c) => c.from !== 'json' || c.path, { path: ['path'], error: 'errors.json_path_required' })
  .refine((c) => !['lt', 'gt'].includes(c.op) || c.value === '' || !Number.isNaN(Number(c.value)) || hasJinja(String(c.value)), {
    path: ['value'],
    error: 'errors.number_required',
  });

export const extractSchema = z
  .object({
    name: variableNameSchema,
    from: z.enum(SOURCES),
    pattern: optionalText(10_000),
    path: optionalText(500),
    header: optionalText(200),
    all: z.boolean().optional(),
    persist: z.boolean().optional(),
  })
  .strict()
  .refine((e) => e.from !== 'body' || e.pattern, { path: ['pattern'], error: 'errors.pattern_required' })
  .refine((e) => e.from !== 'json' || e.path, { path: ['path'], error: 'errors.json_path_required' })
  .refine((e) => e.from !== 'header' || e.header, { path: ['header'], error: 'errors.header_required' });

export const stepSchema = z
  .object({
    name: optionalText(LIMITS.nameLength),
    method: z.enum(METHODS),
    url: z
      .string()
      .trim()
      .min(1, { error: 'errors.required' })
      .max(LIMITS.urlLength)
      // A URL with {{ }} is checked once rendered, at run time; a control step's URL is a block tag
      // ({% if … %}, run-time structure); api://… is answered inside Chime (QD-COMPAT.md).
      .refine((u) => hasJinja(u) || isHttpUrl(u) || /^api:\/\/\S/i.test(u), { error: 'errors.http_url' }),
    headers: z
      .record(z.string(), z.string().max(16_384))
      .optional()
      .superRefine((headers, ctx) => {
        const names = Object.keys(headers ?? {});
        if (names.length > LIMITS.headersPerStep) ctx.addIssue({ code: 'custom', message: 'errors.too_many_headers' });
        for (const n of names) {
          if (!HEADER_NAME.test(n) && !hasJinja(n)) ctx.addIssue({ code: 'custom', path: [n], message: 'errors.header_name' });
        }
      }),
    body: z
      .string()
      .optional()
      .refine((b) => b === undefined || Buffer.byteLength(b) <= LIMITS.bodyBytes, { error: 'errors.body_too_large' })
      .transform((v) => (v === '' ? undefined : v)),
    timeoutMs: z.number().int().min(1000).max(LIMITS.timeoutMsMax).optional(),
    followRedirects: z.boolean().optional(),
    insecure: z.boolean().optional(),
    allowErrorStatus: z.boolean().optional(),
    extract: z.array(extractSchema).max(LIMITS.rulesPerStep).optional(),
    assert: z.array(conditionSchema).max(LIMITS.rulesPerStep).optional(),
    assertMode: z.enum(['all', 'any']).optional(),
    failIf: z.array(conditionSchema).max(LIMITS.rulesPerStep).optional(),
  })
  .strict();

export const variableSchema = z
  .object({
    name: variableNameSchema,
    default: z.string().max(10_000).optional(),
    secret: z.boolean().optional(),
    description: optionalText(500),
  })
  .strict();

export const templateSchema = z
  .object({
    name,
    siteUrl: optionalText(2048).refine((u) => u === undefined || isHttpUrl(u), { error: 'errors.http_url' }),
    note: optionalText(2000),
    public: z.boolean().default(false),
    log: optionalText(2000),
    variables: z
      .array(variableSchema)
      .max(LIMITS.variables)
      .default([])
      .superRefine((vars, ctx) => {
        const seen = new Set<string>();
        vars.forEach((v, i) => {
          if (seen.has(v.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'errors.duplicate_variable' });
          seen.add(v.name);
        });
      }),
    steps: z.array(stepSchema).min(1, { error: 'errors.steps_required' }).max(LIMITS.steps, { error: 'errors.too_many_steps' }),
  })
  .strict();

/** PATCH: any subset of the fields. */
export const templatePatchSchema = templateSchema.partial().strict();

// Steps as callers write them (optional keys may be left out); parsed ones fit these types too.
export type Step = z.input<typeof stepSchema>;
export type Condition = z.input<typeof conditionSchema>;
export type ExtractRule = z.input<typeof extractSchema>;
export type Variable = z.input<typeof variableSchema>;
export type TemplateInput = z.infer<typeof templateSchema>;

// Names the engine provides itself; using them does not need a declaration.
export const BUILTIN_NAMES = new Set(['now', 'loop', 'true', 'false', 'none', 'True', 'False', 'None', '_proxy']);

/** The variables QD sets inside `{% for %}` and `{% while %}` blocks. */
export const LOOP_VARIABLES = ['loop_index', 'loop_index0', 'loop_first', 'loop_last', 'loop_length', 'loop_revindex', 'loop_revindex0', 'loop_depth', 'loop_depth0'];

/**
 * Variable names a template reads: `{{ name }}`, `{{ name | filter }}`, conditions and sequences of
 * control steps. Read from the Jinja parse tree, so functions (`md5`, `range`), loop targets and
 * QD's loop variables are not inputs; neither are names an earlier step extracts.
 */
export function usedVariableNames(steps: Step[], log?: string): string[] {
  const names = emptyNames();
  const read = (text: string) => {
    try {
      collectNames(text, names);
    } catch {
      namesByPattern(text, names); // broken Jinja: the run will say so; still offer what it names
    }
  };
  read(log ?? '');
  for (const s of steps) {
    const tag = controlTagOf(s.url);
    if (tag) {
      const loop = tag.keyword === 'for' ? /^\s*([A-Za-z_]\w*)\s+in\s+([\s\S]+)$/.exec(tag.argument) : null;
      if (loop) names.bound.add(loop[1]!);
      const expression = loop ? loop[2]! : tag.argument;
      if (expression.trim()) {
        try {
          collectExpressionNames(expression, names);
        } catch {
          namesByPattern(`{{ ${expression} }}`, names);
        }
      }
      continue;
    }
    for (const text of [s.url, s.body ?? '', ...Object.entries(s.headers ?? {}).flat()]) read(text);
    for (const rule of [...(s.assert ?? []), ...(s.failIf ?? [])]) read(String(rule.value));
    for (const rule of s.extract ?? []) read(rule.pattern ?? '');
  }
  const extracted = new Set(steps.flatMap((s) => (s.extract ?? []).map((e) => e.name)));
  const skip = (n: string) => extracted.has(n) || names.bound.has(n) || BUILTIN_NAMES.has(n) || LOOP_VARIABLES.includes(n) || globalKind(n) !== 'unknown';
  return [...names.used].filter((n) => !skip(n)).sort();
}
