// A user's push settings (QD's 推送设置): event defaults, which registrations get task events, their
// own title/body templates, and the digest. Registration ids must be the user's own; templates must
// render; saving the digest sets its anchor to the next future `firstAt` (SEMANTICS §5).
import type { Knex } from 'knex';
import type { User } from '../accounts/users-repo.js';
import { invalid, type FieldErrors } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import { isLanguage } from '../lib/i18n.js';
import { TemplateError, renderTemplate } from '../lib/jinja.js';
import { alertMessage, alertVariables, sampleFacts } from './alert-message.js';
import { firstAnchor } from './digest-window.js';
import { pushSettingsRepo, type StoredPushSettings } from './settings-repo.js';
import type { PushDefaults, PushSettingsInput } from './settings-schema.js';

export type SettingsDeps = { knex: Knex; clock: Clock; defaultTimezone: string; baseUrl?: string };

/** A field error for each id that is not one of the user's registrations. */
export async function registrationIdProblems(knex: Knex, userId: number, ids: readonly number[] | null | undefined, field: string): Promise<FieldErrors> {
  if (!ids || ids.length === 0) return {};
  const found = new Set(((await knex('push_registrations').where({ user_id: userId }).whereIn('id', [...ids]).pluck('id')) as (number | string)[]).map(Number));
  const fields: FieldErrors = {};
  ids.forEach((id, i) => {
    if (!found.has(id)) fields[`${field}.${i}`] = { key: 'errors.not_your_registration' };
  });
  return fields;
}

/** A field error for each title/body template that does not render on sample data. */
export function templateProblems(templates: Pick<PushDefaults, 'titleTemplate' | 'bodyTemplate'>, prefix: string): FieldErrors {
  const fields: FieldErrors = {};
  for (const name of ['titleTemplate', 'bodyTemplate'] as const) {
    const source = templates[name];
    if (!source) continue;
    try {
      renderTemplate(source, alertVariables(sampleFacts({ email: 'you@example.com', language: 'en', timeZone: 'UTC' }, 'https://chime.example.com')));
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      fields[`${prefix}${name}`] = { key: 'errors.template_invalid', params: { problem: err.message } };
    }
  }
  return fields;
}

/** Throws one 400 naming every problem, or nothing. */
export function throwIfAny(...problems: FieldErrors[]): void {
  const fields = Object.assign({}, ...problems) as FieldErrors;
  if (Object.keys(fields).length) throw invalid(fields);
}

export function createPushSettingsService(deps: SettingsDeps) {
  const repo = pushSettingsRepo(deps.knex);
  const zoneOf = (user: User) => user.timezone ?? deps.defaultTimezone;

  return {
    get: (user: User): Promise<StoredPushSettings> => repo.get(user.id),

    async save(user: User, input: PushSettingsInput): Promise<StoredPushSettings> {
      throwIfAny(
        await registrationIdProblems(deps.knex, user.id, input.defaults.registrationIds, 'defaults.registrationIds'),
        await registrationIdProblems(deps.knex, user.id, input.digest.registrationIds, 'digest.registrationIds'),
        templateProblems(input.defaults, 'defaults.'),
      );
      const before = await repo.get(user.id);
      const now = deps.clock.now();
      const zone = input.digest.timezone ?? zoneOf(user);
      const sameClock =
        before.digest.enabled &&
        before.digest.nextAt !== null &&
        before.digest.firstAt === input.digest.firstAt &&
        before.digest.intervalSeconds === input.digest.intervalSeconds &&
        (before.digest.timezone ?? zoneOf(user)) === zone;
      // Changing anything else (registrations) keeps the digest's rhythm; changing its clock restarts it.
      const nextAt = !input.digest.enabled ? null : sameClock ? before.digest.nextAt : firstAnchor(input.digest.firstAt, zone, now);
      await repo.save(user.id, input.defaults, input.digest, nextAt, now);
      return repo.get(user.id);
    },

    /** The user's templates (or the standard text) rendered on a sample failure, for the live preview. */
    preview(user: User, templates: Pick<PushDefaults, 'titleTemplate' | 'bodyTemplate'>) {
      const language = isLanguage(user.locale) ? user.locale : 'en';
      const facts = sampleFacts({ email: user.email, language, timeZone: zoneOf(user) }, deps.baseUrl);
      return alertMessage({ ...facts, templates: { title: templates.titleTemplate, body: templates.bodyTemplate } });
    },
  };
}

export type PushSettingsService = ReturnType<typeof createPushSettingsService>;
