// What a user chooses about pushes (SEMANTICS §4–5, API.md PushDefaults and Digest): their defaults
// for task events, a task's override of any of them, and the periodic digest.
import { z } from 'zod';
import { isValidTimeZone } from '../lib/timezone.js';

const registrationIds = z.array(z.number().int().positive()).max(200).nullable();

export const pushDefaultsSchema = z
  .object({
    manualSuccess: z.boolean().default(false),
    manualFailure: z.boolean().default(false),
    autoSuccess: z.boolean().default(false),
    autoFailure: z.boolean().default(true),
    failureThreshold: z.number().int().min(1).max(1000).default(1),
    repeat: z.enum(['every', 'once']).default('every'),
    notifyRecovery: z.boolean().default(true),
    /** null: all of the user's enabled registrations. */
    registrationIds: registrationIds.default(null),
    /** Jinja templates replacing the title and body (variables task, run, event, user, url). */
    titleTemplate: z.string().trim().max(500).optional(),
    bodyTemplate: z.string().trim().max(5000).optional(),
  })
  .strict();

export type PushDefaults = z.output<typeof pushDefaultsSchema>;

export const DEFAULT_PUSH_DEFAULTS: PushDefaults = pushDefaultsSchema.parse({});

/** A task's override: any of the defaults, each one optional. */
export const pushOverrideSchema = z
  .object({
    manualSuccess: z.boolean(),
    manualFailure: z.boolean(),
    autoSuccess: z.boolean(),
    autoFailure: z.boolean(),
    failureThreshold: z.number().int().min(1).max(1000),
    repeat: z.enum(['every', 'once']),
    notifyRecovery: z.boolean(),
    registrationIds,
    titleTemplate: z.string().trim().max(500),
    bodyTemplate: z.string().trim().max(5000),
  })
  .partial()
  .strict();

export type PushOverride = z.output<typeof pushOverrideSchema>;

/** The settings that apply to one task: its override over the user's defaults. */
export function effectiveSettings(defaults: PushDefaults, override: PushOverride | undefined): PushDefaults {
  const merged: PushDefaults = { ...defaults };
  for (const [key, value] of Object.entries(override ?? {})) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

export const DIGEST_PRESETS_SECONDS = [3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400] as const;

/** "08:00" or "08:00:30" → "08:00:00" / "08:00:30". */
const timeOfDay = z
  .string()
  .trim()
  .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, { error: 'errors.daily_time' })
  .transform((v) => (v.length === 5 ? `${v}:00` : v));

export const digestSchema = z
  .object({
    enabled: z.boolean().default(false),
    firstAt: timeOfDay.default('08:00:00'),
    intervalSeconds: z.number().int().min(60).max(366 * 86400).default(86400),
    timezone: z
      .string()
      .trim()
      .refine(isValidTimeZone, { error: 'errors.timezone_invalid' })
      .nullable()
      .optional(),
    registrationIds: registrationIds.default(null),
  })
  .strict();

export type DigestSettings = z.output<typeof digestSchema>;

export const pushSettingsSchema = z
  .object({ defaults: pushDefaultsSchema.default(DEFAULT_PUSH_DEFAULTS), digest: digestSchema.default(digestSchema.parse({})) })
  .strict();

export type PushSettingsInput = z.output<typeof pushSettingsSchema>;
