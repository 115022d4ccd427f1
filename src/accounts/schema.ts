// One schema per input, shared by the pages and the API.
import { z } from 'zod';
import { canonicalTimeZone, isValidTimeZone } from '../lib/timezone.js';
import { LANGUAGES } from '../lib/i18n.js';

// No `error` on z.string() itself: zod 4 would use it for every check of the schema too (a value
// that is too long would read "Required."). A missing value is "Required." anyway (validation.ts).
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, { error: 'errors.required' })
  .max(254)
  .pipe(z.email({ error: 'errors.email_invalid' }));

export const newPasswordSchema = z
  .string()
  .min(1, { error: 'errors.required' })
  .min(8, { error: 'errors.password_too_short' })
  .max(200);

const givenPassword = z.string().min(1, { error: 'errors.required' }).max(200);

export const registerSchema = z.object({ email: emailSchema, password: newPasswordSchema });

/** The register page also asks for the password twice. */
export const registerFormSchema = registerSchema
  .extend({ passwordConfirm: z.string().optional() })
  .refine((v) => v.password === v.passwordConfirm, { path: ['passwordConfirm'], error: 'errors.passwords_differ' });

export const loginSchema = z.object({ email: emailSchema, password: givenPassword });

export const tokenNameSchema = z.object({
  name: z.string().trim().min(1, { error: 'errors.required' }).max(100),
});

export const tokenCreateSchema = loginSchema.extend(tokenNameSchema.shape);

// An empty choice in the form means "not set": follow the browser / the site default.
const emptyToNull = (v: unknown) => (v === '' ? null : v);

export const preferencesSchema = z
  .object({
    locale: z.preprocess(emptyToNull, z.enum(LANGUAGES, { error: 'errors.language_invalid' }).nullable()).optional(),
    timezone: z
      .preprocess(
        emptyToNull,
        z.string().max(64).refine(isValidTimeZone, { error: 'errors.timezone_invalid' }).transform((v) => canonicalTimeZone(v)!).nullable(),
      )
      .optional(),
  })
  .strict();

export const passwordChangeSchema = z.object({
  currentPassword: givenPassword,
  newPassword: newPasswordSchema,
});

export const passwordChangeFormSchema = passwordChangeSchema
  .extend({ newPasswordConfirm: z.string().optional() })
  .refine((v) => v.newPassword === v.newPasswordConfirm, { path: ['newPasswordConfirm'], error: 'errors.passwords_differ' });

/** Form fields arrive as text: "30" becomes 30; anything else is left for the schema to refuse. */
function numericString(v: unknown): unknown {
  return typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
}

export const adminUserPatchSchema = z
  .object({
    status: z.enum(['active', 'disabled']).optional(),
    role: z.enum(['admin', 'user']).optional(),
  })
  .strict();

export const siteSettingsPatchSchema = z
  .object({
    registrationOpen: z.boolean().optional(),
    mustVerifyEmail: z.boolean().optional(),
    // The message for a wrong type only: min and max keep their own, which name the bound.
    logRetentionDays: z
      .preprocess(numericString, z.number({ error: (issue) => (issue.code === 'invalid_type' ? 'errors.whole_number' : undefined) }).int({ error: 'errors.whole_number' }).min(1).max(3650))
      .optional(),
  })
  .strict();

export const forgotPasswordSchema = z.object({ email: emailSchema });

export const resetPasswordSchema = z.object({
  token: z.string().min(1, { error: 'errors.required' }).max(200),
  newPassword: newPasswordSchema,
});

export const resetPasswordFormSchema = resetPasswordSchema
  .extend({ newPasswordConfirm: z.string().optional() })
  .refine((v) => v.newPassword === v.newPasswordConfirm, { path: ['newPasswordConfirm'], error: 'errors.passwords_differ' });

export const emailChangeSchema = z.object({ currentPassword: givenPassword, email: emailSchema });

export const accountDeleteSchema = z.object({ currentPassword: givenPassword });

/** GET /api/v1/admin/audit and the audit page. */
export const auditQuerySchema = z.object({
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  action: z.string().trim().max(64).optional(),
});
