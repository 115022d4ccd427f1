// What a task is: a template, the user's variables for it, a schedule, retry and push settings.
// API.md "Tasks". The scheduler issue adds the cron, daily and interval schedules.
import { z } from 'zod';

export const scheduleSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('manual') }).strict()], {
  error: 'errors.schedule_type',
});

export const retrySchema = z
  .object({
    count: z.number().int().min(-1).max(1000).default(8), // -1: forever, 0: never
    intervalSeconds: z.number().int().min(60).max(7 * 24 * 3600).nullable().default(null), // null: QD's backoff
  })
  .strict();

export const pushSchema = z.object({ enabled: z.boolean().default(true) }).strict();

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
    retry: retrySchema,
    push: pushSchema,
    runNow: z.boolean(),
  })
  .partial()
  .strict();

export type TaskInput = z.infer<typeof taskSchema>;
export type TaskPatch = z.infer<typeof taskPatchSchema>;
export type Schedule = z.infer<typeof scheduleSchema>;
export type Retry = z.infer<typeof retrySchema>;
export type PushSettings = z.infer<typeof pushSchema>;

/** The proxy for a task's requests, as QD: a task variable of this name. */
export const PROXY_VARIABLE = '_proxy';
