// What the export and import requests carry, for the API and the "Your data" page alike.
import { z } from 'zod';

/** A passphrase for the secrets of an export; long enough that guessing it costs more than it gives. */
const newPassphrase = z.string().min(8).max(1000);

export const exportRequestSchema = z.object({ passphrase: newPassphrase.optional() }).strict();

export const importRequestSchema = z
  .object({
    file: z.unknown().refine((v) => v !== undefined && v !== null && v !== '', { error: 'errors.required' }),
    passphrase: z.string().max(1000).optional(),
    /** Replace push settings already saved in the account by the file's (otherwise they are kept). */
    replacePushSettings: z.boolean().optional(),
  })
  .strict();

/** The page's export form: the passphrase typed twice, both empty for an export without secrets. */
export const exportFormSchema = z.object({ passphrase: z.union([z.literal(''), newPassphrase]).default(''), passphraseConfirm: z.string().max(1000).default('') });

/**
 * The page's import form besides the file: the passphrase of a sealed file (field `filePassphrase`,
 * reported as `passphrase` like the service's "wrong passphrase"), and a checkbox.
 */
export const importFormSchema = z.object({ passphrase: z.string().max(1000).optional(), replacePushSettings: z.literal('on').optional() });
