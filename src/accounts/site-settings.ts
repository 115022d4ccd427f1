// Site-wide settings an admin changes at run time. A missing row means the default below.
import type { Knex } from 'knex';
import { z } from 'zod';

export const siteSettingsSchema = z.object({
  registrationOpen: z.boolean(),
  logRetentionDays: z.number().int().min(1).max(3650),
  /** QD's MustVerifyEmailEn: unverified users may log in but not create tasks or push registrations. */
  mustVerifyEmail: z.boolean(),
});

export type SiteSettings = z.infer<typeof siteSettingsSchema>;

export const DEFAULT_SITE_SETTINGS: SiteSettings = { registrationOpen: true, logRetentionDays: 365, mustVerifyEmail: false };

export function siteSettingsRepo(knex: Knex) {
  return {
    async get(): Promise<SiteSettings> {
      const rows = await knex<{ key: string; value: string }>('site_settings').select('key', 'value');
      const stored = Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
      // A stored value that no longer fits the schema (an older version's) falls back to the default.
      const merged = { ...DEFAULT_SITE_SETTINGS, ...stored };
      const parsed = siteSettingsSchema.safeParse(merged);
      return parsed.success ? parsed.data : DEFAULT_SITE_SETTINGS;
    },

    async set(changes: Partial<SiteSettings>, now: number): Promise<void> {
      await knex.transaction(async (trx) => {
        for (const [key, value] of Object.entries(changes)) {
          await trx('site_settings')
            .insert({ key, value: JSON.stringify(value), updated_at: now })
            .onConflict('key')
            .merge({ value: JSON.stringify(value), updated_at: now });
        }
      });
    },
  };
}

export type SiteSettingsRepo = ReturnType<typeof siteSettingsRepo>;
