// What a task is: a template, the user's variables for it, a schedule, retry and push settings.
// API.md "Tasks"; the schedule rules are SEMANTICS.md §2–3.
import { z } from 'zod';
import { pushOverrideSchema } from '../push/settings-schema.js';
import { canonicalTimeZone, isValidTimeZone } from '../lib/timezone.js';
import { cronProblem } from '../scheduler/schedule.js';

const timezone = z
  .string()
  .max(64)
  .refine(isValidTimeZone, { error: 'errors.timezone_invalid' })
  .transform((v) => canonicalTimeZone(v)!)
  .optional();

export const scheduleSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('manual') }).strict(),
    z
      .object({
        type: z.literal('cron'),
        expression: z
          .string()
          .trim()
          .min(1, { error: 'errors.required' })
          .max(200)
          .superRefine((expr, ctx) => {
            const problem = cronProblem(expr);
            if (problem) ctx.addIssue({ code: 'custom', message: 'errors.cron_invalid', params: { problem } });
          }),
        timezone,
      })
      .strict(),
    z
      .object({
        type: z.literal('daily'),
        time: z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, { error: 'errors.daily_time' }),
        timezone,
      })
      .strict(),
    z.object({ type: z.literal('interval'), seconds: z.number().int().min(60).max(366 * 24 * 3600) }).strict(),
  ],
  { error: 'errors.schedule_type' },
);

export const randomDelaySchema = z
  .object({ min: z.number().int().min(0).max(604_800), max: z.number().int().min(0).max(604_800) })
  .strict()
  .refine((d) => d.min <= d.max, { path: ['max'], error: 'errors.delay_order' });

export const retrySchema = z
  .object({
    count: z.number().int().min(-1).max(1000).default(8), // -1: forever, 0: never
    intervalSeconds: z.number().int().min(60).max(7 * 24 * 3600).nullable().default(null), // null: QD's backoff
  })
  .strict();

/** The task's push switch (QD's per-task switch) and its override of any of the user's defaults. */
export const pushSchema = z.object({ enabled: z.boolean().default(true), override: pushOverrideSchema.optional() }).strict();

const text = (max: number) =>
  z
    .string()
    .max(max)
    .optional()
    .transform((v) => (v === '' ? undefined : v));

const variableValue = z.string().max(10_000);

export const taskSchema = z
  .object({
    templateId: z.number({ error: 'errors.template_required' }).int().positive(),
    name: z.string().trim().min(1, { error: 'errors.required' }).max(100),
    group: text(100),
    note: text(2000),
    enabled: z.boolean().default(true),
    variables: z.record(z.string(), variableValue).default({}),
    schedule: scheduleSchema.default({ type: 'manual' }),
    randomDelay: randomDelaySchema.nullable().optional(),
    retry: retrySchema.default({ count: 8, intervalSeconds: null }),
    push: pushSchema.default({ enabled: true }),
    runNow: z.boolean().optional(),
  })
  .strict();

/** PATCH: any subset; a variable set to null is removed. The template cannot change. */
export const taskPatchSchema = z
  .object({
    name: z.string().trim().min(1, { error: 'errors.required' }).max(100),
    group: text(100),
    note: text(2000),
    enabled: z.boolean(),
    variables: z.record(z.string(), variableValue.nullable()),
    schedule: scheduleSchema,
    randomDelay: randomDelaySchema.nullable(),
    retry: retrySchema,
    push: pushSchema,
    runNow: z.boolean(),
  })
  .partial()
  .strict();

export type TaskInput = z.infer<typeof taskSchema>;
export type TaskPatch = z.infer<typeof taskPatchSchema>;
export type Schedule = z.infer<typeof scheduleSchema>;
export type RandomDelay = z.infer<typeof randomDelaySchema>;
export type Retry = z.infer<typeof retrySchema>;
export type PushSettings = z.infer<typeof pushSchema>;

/** The proxy for a task's requests, as QD: a task variable of this name. */
export const PROXY_VARIABLE = '_proxy';
