// Imports an export file into the current account, through the same services and schemas as the
// API, inside one transaction: services built on the transaction do every write, so a failure that
// is not the file's (the database going away) leaves nothing behind.
//
// The rule (README): the FILE must be readable — JSON, format "chime-export", version 1, the lists
// of objects each with a unique id and a name, a well-formed `secrets` block, and the right
// passphrase when one is given — or nothing is imported (400 naming what is wrong). Each OBJECT is
// then checked on its own: one that does not validate, names an unknown channel, or uses a template
// that is not imported is skipped and reported, and the others are imported.
import type { Knex } from 'knex';
import type { User } from '../accounts/users-repo.js';
import type { Clock } from '../lib/clock.js';
import type { SecretBox } from '../db/secret-box.js';
import { AppError, invalid, type FieldErrors } from '../lib/errors.js';
import { fieldErrorsFrom, parseInput } from '../lib/validation.js';
import { createTemplatesService } from '../templates/service.js';
import { templateSchema } from '../templates/schema.js';
import { createTasksService } from '../tasks/service.js';
import { taskSchema } from '../tasks/schema.js';
import { tasksRepo } from '../tasks/repo.js';
import { createPushService, registrationSchema, type PushDeps } from '../push/service.js';
import { registrationsRepo } from '../push/registrations-repo.js';
import { createPushSettingsService } from '../push/settings-service.js';
import { pushSettingsSchema } from '../push/settings-schema.js';
import { isChannelType } from '../push/channels/registry.js';
import { FORMAT, VERSION, fileSchema, type FileItem, type ParsedFile } from './format.js';
import { openSecrets, type SecretValues } from './secrets.js';

export type ImportDeps = { knex: Knex; box: SecretBox; clock: Clock; defaultTimezone: string; http: PushDeps['http']; random?: () => number };

export type Kind = 'template' | 'task' | 'registration' | 'pushSettings';
/** Why, as an i18n key; `fields` when the object did not validate. */
export type Reason = { key: string; params?: Record<string, string | number>; fields?: FieldErrors };
export type CreatedItem = { id: number; name: string; fileId: number; renamedFrom?: string; missingSecrets?: string[]; notes: Reason[] };
export type SkippedItem = { kind: Kind; name: string; fileId?: number; reason: Reason };
export type ImportReport = {
  /** restored: the passphrase opened them; left_out: the file has none; no_passphrase: not given. */
  secrets: 'restored' | 'left_out' | 'no_passphrase' | 'none';
  created: { templates: CreatedItem[]; tasks: CreatedItem[]; registrations: CreatedItem[]; pushSettings: boolean };
  skipped: SkippedItem[];
};
export type ImportOptions = { passphrase?: string; replacePushSettings?: boolean };

const ALL = 1_000_000;
const NAME_MAX = 100;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const badFile = (fields: FieldErrors) => invalid(fields, 'portability.errors.bad_file');

/** The file, or a 400 naming what makes it unreadable. A string is read as the JSON text of the file. */
export function parseFile(input: unknown): ParsedFile {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value.replace(/^\uFEFF/, ''));
    } catch {
      throw badFile({ file: { key: 'portability.errors.not_json' } });
    }
  }
  if (!isObject(value) || value.format !== FORMAT) throw badFile({ [isObject(value) ? 'file.format' : 'file']: { key: 'portability.errors.not_export' } });
  if (value.version !== VERSION) throw badFile({ 'file.version': { key: 'portability.errors.version', params: { version: String(value.version), supported: VERSION } } });
  const result = fileSchema.safeParse(value, { reportInput: true });
  if (!result.success) {
    throw badFile(Object.fromEntries(Object.entries(fieldErrorsFrom(result.error)).map(([path, message]) => [path === '_' ? 'file' : `file.${path}`, message])));
  }
  return result.data;
}

/** Gives each imported object a name not yet taken in the account: "Name", "Name (2)", … */
function namer(existing: string[]) {
  const taken = new Set(existing);
  return (raw: unknown): unknown => {
    if (typeof raw !== 'string' || !raw.trim()) return raw; // the schema names the problem
    const name = raw.trim().slice(0, NAME_MAX);
    let candidate = name;
    for (let n = 2; taken.has(candidate); n++) {
      const suffix = ` (${n})`;
      candidate = name.slice(0, NAME_MAX - suffix.length) + suffix;
    }
    taken.add(candidate);
    return candidate;
  };
}

/** Registration ids of the file → the new ones; ids of registrations not imported are dropped. */
function remapIds(ids: unknown, map: Map<number, number>): { ids: unknown; dropped: number } {
  if (!Array.isArray(ids)) return { ids, dropped: 0 };
  const kept = ids.filter((id) => typeof id === 'number' && map.has(id)).map((id) => map.get(id as number)!);
  return { ids: kept, dropped: ids.length - kept.length };
}

export async function importFile(deps: ImportDeps, user: User, input: unknown, options: ImportOptions = {}): Promise<ImportReport> {
  const file = parseFile(input);
  let values: SecretValues | undefined;
  if (file.secrets && options.passphrase) {
    values = await openSecrets(file.secrets, options.passphrase);
    if (!values) throw invalid({ passphrase: { key: 'portability.errors.wrong_passphrase' } }, 'portability.errors.wrong_passphrase');
  }
  const anySecretFields = [...file.templates, ...file.tasks, ...file.registrations].some((i) => i.secretFields?.length);
  const report: ImportReport = {
    secrets: values ? 'restored' : file.secrets ? 'no_passphrase' : anySecretFields ? 'left_out' : 'none',
    created: { templates: [], tasks: [], registrations: [], pushSettings: false },
    skipped: [],
  };

  // Runs one object's creation; a validation problem skips the object, anything else aborts it all.
  async function attempt(kind: Kind, item: { id?: number; name: unknown }, create: () => Promise<void>): Promise<void> {
    try {
      await create();
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const name = typeof item.name === 'string' ? item.name : '';
      report.skipped.push({ kind, name, ...(item.id ? { fileId: item.id } : {}), reason: { key: err.messageKey, ...(err.params ? { params: err.params } : {}), ...(err.fields ? { fields: err.fields } : {}) } });
    }
  }
  const skip = (kind: Kind, item: FileItem, reason: Reason) => report.skipped.push({ kind, name: item.name, fileId: item.id, reason });
  const secretsOf = (kind: keyof SecretValues, item: FileItem) => {
    const given = values?.[kind][String(item.id)] ?? {};
    return { given, missing: (item.secretFields ?? []).filter((f) => !(f in given)) };
  };
  const createdItem = (id: number, name: string, item: FileItem, missing: string[], notes: Reason[] = []): CreatedItem => ({
    id,
    name,
    fileId: item.id,
    ...(name !== item.name ? { renamedFrom: item.name } : {}),
    ...(missing.length ? { missingSecrets: missing } : {}),
    notes,
  });

  await deps.knex.transaction(async (trx) => {
    const { box, clock, defaultTimezone } = deps;
    const templates = createTemplatesService({ knex: trx, box, clock });
    const tasks = createTasksService({ knex: trx, box, clock, defaultTimezone, random: deps.random });
    const push = createPushService({ knex: trx, box, clock, http: deps.http });
    const settings = createPushSettingsService({ knex: trx, clock, defaultTimezone });
    const registrationRows = registrationsRepo(trx, box);

    // Registrations first: tasks and settings name them.
    const registrationMap = new Map<number, number>();
    const registrationName = namer((await registrationRows.listForUser(user.id)).map((r) => r.name));
    for (const item of file.registrations) {
      const { id: _id, secretFields: _s, ...rest } = item;
      if (!isChannelType(rest.channel)) {
        skip('registration', item, { key: 'portability.reason.unknown_channel', params: { channel: String(rest.channel) } });
        continue;
      }
      const { given, missing } = secretsOf('registrations', item);
      await attempt('registration', item, async () => {
        const name = registrationName(rest.name);
        const config = isObject(rest.config) ? { ...rest.config, ...given } : rest.config;
        const parsed = parseInput(registrationSchema, { ...rest, name, config, ...(missing.length ? { enabled: false } : {}) });
        let id: number;
        try {
          id = (await push.create(user, parsed)).id;
        } catch (err) {
          // Without its secrets a registration may not validate (a required token). Kept, switched off,
          // so tasks and settings stay linked to it and the user only has to enter the secret.
          const onlyMissing = err instanceof AppError && err.fields && Object.keys(err.fields).every((f) => missing.some((m) => f === `config.${m}`));
          if (!onlyMissing) throw err;
          id = await registrationRows.insert(user.id, { channel: parsed.channel, name: parsed.name, config: parsed.config, enabled: false }, clock.now());
        }
        registrationMap.set(item.id, id);
        report.created.registrations.push(createdItem(id, parsed.name, item, missing, missing.length ? [{ key: 'portability.note.disabled_missing_secrets' }] : []));
      });
    }

    const templateMap = new Map<number, number>();
    const templateName = namer((await templates.list(user)).filter((t) => t.userId === user.id).map((t) => t.name));
    for (const item of file.templates) {
      const { id: _id, secretFields: _s, ...rest } = item;
      const { given, missing } = secretsOf('templates', item);
      await attempt('template', item, async () => {
        const variables = Array.isArray(rest.variables)
          ? rest.variables.map((v: unknown) => (isObject(v) && typeof v.name === 'string' && v.name in given ? { ...v, default: given[v.name] } : v))
          : rest.variables;
        const input = parseInput(templateSchema, { ...rest, name: templateName(rest.name), variables });
        const created = await templates.create(user, input);
        templateMap.set(item.id, created.id);
        report.created.templates.push(createdItem(created.id, created.name, item, missing));
      });
    }

    const fileTemplateIds = new Set(file.templates.map((t) => t.id));
    const taskName = namer((await tasksRepo(trx, box).listForUser(user.id, ALL)).map((t) => t.name));
    for (const item of file.tasks) {
      const { id: _id, secretFields: _s, runNow: _runNow, templateId, push: pushSettings, ...rest } = item;
      const newTemplateId = typeof templateId === 'number' ? templateMap.get(templateId) : undefined;
      if (newTemplateId === undefined) {
        const key = typeof templateId === 'number' && fileTemplateIds.has(templateId) ? 'portability.reason.template_skipped' : 'portability.reason.template_missing';
        skip('task', item, { key, params: { template: String(templateId) } });
        continue;
      }
      const { given, missing } = secretsOf('tasks', item);
      await attempt('task', item, async () => {
        const notes: Reason[] = [];
        let push = pushSettings;
        if (isObject(pushSettings) && isObject(pushSettings.override) && 'registrationIds' in pushSettings.override) {
          const { ids, dropped } = remapIds(pushSettings.override.registrationIds, registrationMap);
          if (dropped) notes.push({ key: 'portability.note.registrations_dropped', params: { count: dropped } });
          push = { ...pushSettings, override: { ...pushSettings.override, registrationIds: ids } };
        }
        if (missing.length && rest.enabled !== false) notes.push({ key: 'portability.note.disabled_missing_secrets' });
        const input = parseInput(taskSchema, {
          ...rest,
          templateId: newTemplateId,
          name: taskName(rest.name),
          variables: isObject(rest.variables) ? { ...rest.variables, ...given } : rest.variables,
          ...(push !== undefined ? { push } : {}),
          // A task that would run without its credentials waits until the user enters them.
          ...(missing.length ? { enabled: false } : {}),
        });
        const created = await tasks.create(user, input);
        report.created.tasks.push(createdItem(created.id, created.name, item, missing, notes));
      });
    }

    if (file.pushSettings) {
      const current = await settings.get(user);
      const item = { name: '' };
      if (current.saved && !options.replacePushSettings) {
        report.skipped.push({ kind: 'pushSettings', name: '', reason: { key: 'portability.reason.settings_kept' } });
      } else {
        await attempt('pushSettings', item, async () => {
          const given = file.pushSettings!;
          const remap = (part: unknown) => (isObject(part) && 'registrationIds' in part ? { ...part, registrationIds: remapIds(part.registrationIds, registrationMap).ids } : part);
          await settings.save(user, parseInput(pushSettingsSchema, { ...given, defaults: remap(given.defaults), digest: remap(given.digest) }));
          report.created.pushSettings = true;
        });
      }
    }
  });
  return report;
}
