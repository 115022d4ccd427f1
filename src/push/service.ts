// Push registrations as the pages and the API use them: validated against the channel's schema,
// secrets write-only (an edit that leaves a secret out keeps it), the Test button (a saved or an
// unsaved config, sent at once and answered inline, never through the outbox), the delivery
// history, and `enqueue` for the events of runs and digests.
import type { Knex } from 'knex';
import { z } from 'zod';
import type { User } from '../accounts/users-repo.js';
import type { SecretBox } from '../db/secret-box.js';
import { invalid, notFound, type FieldErrors } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import { fieldErrorsFrom } from '../lib/validation.js';
import { translator, isLanguage, type Translate } from '../lib/i18n.js';
import type { Mailer } from '../lib/mailer.js';
import { DeliveryError, memoryCache, type Channel, type PushMessage, type SendContext } from './channel.js';
import { CHANNELS, isChannelType, type ChannelType } from './channels/registry.js';
import { enqueue, type EnqueueInput, type MessageStatus } from './outbox-repo.js';
import { registrationsRepo, type Registration } from './registrations-repo.js';
import { historyRepo, type HistoryFilter } from './history-repo.js';

export type PushDeps = {
  knex: Knex;
  box: SecretBox;
  http: SendContext['http'];
  clock: Clock;
  mailer?: Mailer;
  baseUrl?: string;
  /** Wakes the dispatcher after an enqueue (it also looks every second by itself). */
  poke?: () => void;
};

/** A registration with its delivery figures of the last 7 days. */
export type RegistrationView = Registration & { sent7d: number; failed7d: number };

export type TestResult = { ok: true } | { ok: false; error: string; detail?: string };

export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'failed'] as const satisfies readonly MessageStatus[];
export const EVENTS = ['task.success', 'task.failure', 'task.disabled', 'task.recovered', 'digest', 'test'] as const;

const WEEK_MS = 7 * 24 * 3600 * 1000;

/** What an edit may send for a config field: a value, null to clear it; omitted keeps it. */
export type ConfigPatch = Record<string, unknown>;

const nameSchema = z.string().trim().min(1).max(100);

export const registrationSchema = z
  .object({
    channel: z.string().refine(isChannelType, { error: 'errors.unknown_channel' }),
    name: nameSchema,
    config: z.record(z.string(), z.unknown()).default({}),
    enabled: z.boolean().optional(),
  })
  .strict();

export const registrationPatchSchema = z
  .object({
    name: nameSchema.optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export const unsavedTestSchema = z
  .object({ channel: z.string().refine(isChannelType, { error: 'errors.unknown_channel' }), config: z.record(z.string(), z.unknown()).default({}) })
  .strict();

/** "••••1234": what pages and the API show of a set secret (the last 4 only when it is long enough to spare them). */
export function maskedSecret(value: unknown): string {
  const text = typeof value === 'string' ? value : '';
  return text.length > 8 ? `••••${text.slice(-4)}` : '••••';
}

const isMasked = (value: unknown) => typeof value === 'string' && /^•{4}/.test(value);

/** The config as it may be shown: every set secret masked. */
export function maskedConfig(type: string, config: Record<string, unknown>): Record<string, unknown> {
  const secrets: readonly string[] = isChannelType(type) ? CHANNELS[type].secrets : [];
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, secrets.includes(k) && v !== undefined && v !== null && v !== '' ? maskedSecret(v) : v]),
  );
}

/**
 * The stored config with an edit applied: a field given replaces the stored one, null clears it, an
 * omitted field keeps its value. A secret sent back empty or as its mask keeps its value too, so a
 * client that echoes what it read never overwrites a secret with its mask.
 */
export function mergeConfig(channel: Channel, stored: Record<string, unknown>, patch: ConfigPatch): Record<string, unknown> {
  const merged = { ...stored };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (channel.secrets.includes(key) && (value === '' || isMasked(value))) continue;
    else merged[key] = value;
  }
  return merged;
}

const strictSchemas = new Map<string, z.ZodType>();
/** The channel's schema refusing unknown fields, so a typo in an API call is named rather than dropped. */
function strictConfigSchema(channel: Channel): z.ZodType {
  let schema = strictSchemas.get(channel.type);
  if (!schema) {
    schema = (channel.config as unknown as z.ZodObject).strict();
    strictSchemas.set(channel.type, schema);
  }
  return schema;
}

/** Validates a config for its channel; errors are named `config.<field>`. Returns the parsed config. */
export function validateConfig(type: ChannelType, config: Record<string, unknown>): Record<string, unknown> {
  const channel: Channel = CHANNELS[type];
  // Empty strings mean "not set" (a form's empty input, a cleared value).
  const present = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== '' && v !== undefined));
  const result = strictConfigSchema(channel).safeParse(present, { reportInput: true });
  if (!result.success) {
    const fields: FieldErrors = {};
    for (const [path, message] of Object.entries(fieldErrorsFrom(result.error))) fields[path === '_' ? 'config' : `config.${path}`] = message;
    throw invalid(fields);
  }
  // What is stored is what was entered (trimmed), not the defaults: a later default change applies.
  return Object.fromEntries(Object.entries(result.data as Record<string, unknown>).filter(([k]) => k in present));
}

export function createPushService(deps: PushDeps) {
  const { knex, box, clock } = deps;
  const registrations = registrationsRepo(knex, box);
  const history = historyRepo(knex);
  const cache = memoryCache(clock);

  async function owned(user: User, id: number): Promise<Registration> {
    const registration = await registrations.find(user.id, id);
    if (!registration) throw notFound();
    return registration;
  }

  function sendContext(user: User): SendContext {
    return {
      http: deps.http,
      clock,
      cache,
      accountEmail: user.email,
      ...(deps.mailer ? { mail: deps.mailer.send } : {}),
    };
  }

  function testMessage(user: User, name: string): PushMessage {
    const t: Translate = translator(isLanguage(user.locale) ? user.locale : 'en');
    const url = deps.baseUrl ? `${deps.baseUrl.replace(/\/+$/, '')}/push` : undefined;
    return {
      id: `test_${clock.now()}`,
      event: 'test',
      title: t('push.test_message.title'),
      body: t('push.test_message.body', { name }),
      url,
      data: { test: true, registration: { name } },
      at: clock.now(),
    };
  }

  /** Sends a test message now and says how it went, in the channel's own words. */
  async function sendTest(user: User, type: ChannelType, name: string, config: Record<string, unknown>): Promise<TestResult> {
    const channel: Channel = CHANNELS[type];
    const parsed = channel.config.parse(config);
    try {
      await channel.send(testMessage(user, name), parsed, sendContext(user));
      return { ok: true };
    } catch (err) {
      if (err instanceof DeliveryError) return { ok: false, error: err.message, ...(err.detail ? { detail: err.detail } : {}) };
      return { ok: false, error: `unexpected error: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  return {
    /** Whether the email channel can send (MAIL_SMTP is set). */
    mailConfigured: deps.mailer !== undefined,

    async list(user: User): Promise<RegistrationView[]> {
      const list = await registrations.listForUser(user.id);
      const stats = await history.weekStats(list.map((r) => r.id), clock.now() - WEEK_MS);
      return list.map((r) => ({ ...r, sent7d: stats.get(r.id)?.sent ?? 0, failed7d: stats.get(r.id)?.failed ?? 0 }));
    },

    get: owned,

    async create(user: User, input: z.output<typeof registrationSchema>): Promise<Registration> {
      const type = input.channel as ChannelType;
      const config = validateConfig(type, input.config);
      const id = await registrations.insert(user.id, { channel: type, name: input.name, config, enabled: input.enabled }, clock.now());
      return owned(user, id);
    },

    async update(user: User, id: number, patch: z.output<typeof registrationPatchSchema>): Promise<Registration> {
      const stored = await owned(user, id);
      let config: Record<string, unknown> | undefined;
      if (patch.config !== undefined) {
        if (!isChannelType(stored.channel)) throw invalid({ channel: { key: 'errors.unknown_channel' } });
        config = validateConfig(stored.channel, mergeConfig(CHANNELS[stored.channel], stored.config, patch.config));
      }
      await registrations.update(user.id, id, { name: patch.name, enabled: patch.enabled, config }, clock.now());
      return owned(user, id);
    },

    async remove(user: User, id: number): Promise<void> {
      if (!(await registrations.delete(user.id, id))) throw notFound();
    },

    /** Tests a saved registration, or its edit in progress when `patch` is given (nothing is saved). */
    async test(user: User, id: number, patch?: ConfigPatch, name?: string): Promise<TestResult> {
      const stored = await owned(user, id);
      if (!isChannelType(stored.channel)) return { ok: false, error: `unknown channel "${stored.channel}"` };
      const config = validateConfig(stored.channel, patch ? mergeConfig(CHANNELS[stored.channel], stored.config, patch) : stored.config);
      return sendTest(user, stored.channel, name || stored.name, config);
    },

    /** Tests a config that is not saved (the add form). */
    async testUnsaved(user: User, type: ChannelType, config: Record<string, unknown>, name = ''): Promise<TestResult> {
      return sendTest(user, type, name, validateConfig(type, config));
    },

    async messages(user: User, filter: HistoryFilter) {
      return history.page(user.id, filter);
    },

    /** Queues a message for the user's registrations (null: all enabled ones) and wakes the dispatcher. */
    async enqueue(input: EnqueueInput, trx?: Knex.Transaction): Promise<number[]> {
      const ids = await enqueue(trx ?? knex, input, clock.now());
      if (ids.length > 0) deps.poke?.();
      return ids;
    },
  };
}

export type PushService = ReturnType<typeof createPushService>;
