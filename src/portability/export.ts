// Builds one user's export file: their own templates (never someone else's public ones), tasks,
// push registrations and push settings, with ids local to the file. Left out on purpose: run
// history, values earlier runs kept (`persisted`), counters and next runs, where a template was
// copied from (another user's id), and anything still encrypted with this server's APP_SECRET.
import type { Knex } from 'knex';
import type { User } from '../accounts/users-repo.js';
import type { Clock } from '../lib/clock.js';
import type { SecretBox } from '../db/secret-box.js';
import { templatesRepo, type Template } from '../templates/repo.js';
import { tasksRepo } from '../tasks/repo.js';
import { secretNames } from '../tasks/service.js';
import { registrationsRepo } from '../push/registrations-repo.js';
import { pushSettingsRepo } from '../push/settings-repo.js';
import { CHANNELS, isChannelType } from '../push/channels/registry.js';
import { FORMAT, VERSION, type ExportFile, type ExportRegistration, type ExportTask, type ExportTemplate } from './format.js';
import { emptySecrets, sealSecrets, type SecretValues } from './secrets.js';

export type ExportDeps = { knex: Knex; box: SecretBox; clock: Clock };

// Far above any real account; the repos' list functions default to a page.
const ALL = 1_000_000;

/** Old id → id in the file, in the order of the old ids. */
function localIds(ids: number[]): Map<number, number> {
  return new Map([...ids].sort((a, b) => a - b).map((id, i) => [id, i + 1]));
}

/** A list of registration ids in the file's ids; null (all enabled) stays null, unknown ids go. */
function mapIds(ids: number[] | null | undefined, map: Map<number, number>): number[] | null | undefined {
  if (!Array.isArray(ids)) return ids;
  return ids.flatMap((id) => (map.has(id) ? [map.get(id)!] : []));
}

function splitSecrets<T extends Record<string, unknown>>(values: T, isSecret: (name: string) => boolean) {
  const open: Record<string, unknown> = {};
  const secret: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (!isSecret(name)) open[name] = value;
    else if (value !== undefined && value !== null && value !== '') secret[name] = String(value);
  }
  return { open, secret };
}

export async function buildExport(deps: ExportDeps, user: User, passphrase?: string): Promise<ExportFile> {
  const { knex, box, clock } = deps;
  const templateRepo = templatesRepo(knex, box);
  const ownIds = (await templateRepo.listVisible(user.id, ALL)).filter((t) => t.userId === user.id).map((t) => t.id);
  const templates = (await templateRepo.findManyOwned(user.id, ownIds)).sort((a, b) => a.id - b.id);
  const tasks = (await tasksRepo(knex, box).listForUser(user.id, ALL)).sort((a, b) => a.id - b.id);
  const registrations = await registrationsRepo(knex, box).listForUser(user.id);
  const settings = await pushSettingsRepo(knex).get(user.id);

  const templateIds = localIds(templates.map((t) => t.id));
  const registrationIds = localIds(registrations.map((r) => r.id));
  const byId = new Map<number, Template>(templates.map((t) => [t.id, t]));
  const secrets: SecretValues = emptySecrets();
  const withSecrets = (names: string[]) => (names.length ? { secretFields: names } : {});

  const templateItems: ExportTemplate[] = templates.map((t) => {
    const id = templateIds.get(t.id)!;
    const hidden: Record<string, string> = {};
    const variables = t.variables.map((v) => {
      if (!v.secret || v.default === undefined || v.default === '') return v;
      hidden[v.name] = v.default;
      const { default: _left, ...rest } = v;
      return rest;
    });
    if (Object.keys(hidden).length) secrets.templates[id] = hidden;
    const { siteUrl, note, log } = t;
    return { id, name: t.name, ...(siteUrl ? { siteUrl } : {}), ...(note ? { note } : {}), public: t.public, ...(log ? { log } : {}), variables, steps: t.steps, ...withSecrets(Object.keys(hidden)) };
  });

  let taskNumber = 0;
  const taskItems: ExportTask[] = tasks.flatMap((task) => {
    const template = byId.get(task.templateId);
    if (!template) return []; // a task only ever uses its owner's template; nothing else to export
    const id = ++taskNumber;
    const secret = secretNames(template);
    const split = splitSecrets(task.variables, (name) => secret.has(name));
    if (Object.keys(split.secret).length) secrets.tasks[id] = split.secret;
    const override = task.push.override ? { ...task.push.override, ...('registrationIds' in task.push.override ? { registrationIds: mapIds(task.push.override.registrationIds, registrationIds) } : {}) } : undefined;
    return [
      {
        id,
        templateId: templateIds.get(template.id)!,
        name: task.name,
        ...(task.group ? { group: task.group } : {}),
        ...(task.note ? { note: task.note } : {}),
        enabled: task.enabled,
        variables: split.open as Record<string, string>,
        schedule: task.schedule,
        randomDelay: task.randomDelay,
        retry: task.retry,
        push: { enabled: task.push.enabled, ...(override ? { override } : {}) },
        ...withSecrets(Object.keys(split.secret)),
      },
    ];
  });

  const registrationItems: ExportRegistration[] = registrations.map((r) => {
    const id = registrationIds.get(r.id)!;
    // A channel this server no longer knows: its secret fields are unknown, so nothing of its config goes out.
    const secretFieldNames: readonly string[] = isChannelType(r.channel) ? CHANNELS[r.channel].secrets : [];
    const split = isChannelType(r.channel) ? splitSecrets(r.config, (name) => secretFieldNames.includes(name)) : { open: {}, secret: {} };
    if (Object.keys(split.secret).length) secrets.registrations[id] = split.secret;
    return { id, channel: r.channel, name: r.name, enabled: r.enabled, config: split.open, ...withSecrets(Object.keys(split.secret)) };
  });

  const { nextAt: _nextAt, ...digest } = settings.digest;
  const file: ExportFile = {
    format: FORMAT,
    version: VERSION,
    exportedAt: new Date(clock.now()).toISOString(),
    templates: templateItems,
    tasks: taskItems,
    registrations: registrationItems,
    pushSettings: {
      defaults: { ...settings.defaults, registrationIds: mapIds(settings.defaults.registrationIds, registrationIds) ?? null },
      digest: { ...digest, timezone: digest.timezone ?? null, registrationIds: mapIds(digest.registrationIds, registrationIds) ?? null },
    },
  };
  if (passphrase) file.secrets = await sealSecrets(secrets, passphrase);
  return file;
}
