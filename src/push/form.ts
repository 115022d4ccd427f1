// The add/edit form of a push registration: form text → the service's input (create, edit, test),
// registration → what the inputs show, and the service's field errors → the form's fields. Config
// inputs are named `config[<field>]`, so no channel field can collide with `name` or `enabled`.
import { channelFields, configFromForm, formFromConfig, type FieldInfo } from './catalog.js';
import type { ChannelType } from './channels/registry.js';
import type { Registration } from './registrations-repo.js';
import { maskedSecret, type ConfigPatch } from './service.js';

type Body = Record<string, unknown>;

export const text = (v: unknown) => (typeof v === 'string' ? v : '');
const objectOf = (v: unknown): Body => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Body) : {});

/** What the form shows: the name, the enabled switch and the config inputs (never a secret). */
export type FormValues = { name: string; enabled: boolean; config: Record<string, string> };

/** The form as the user sent it, secrets left out: what a re-rendered form shows again. */
export function keptFormValues(type: ChannelType, body: Body): FormValues {
  const given = objectOf(body.config);
  const config: Record<string, string> = {};
  for (const field of channelFields(type)) {
    if (field.secret) continue;
    const raw = given[field.name];
    const value = Array.isArray(raw) ? raw.map(text).join('\n') : text(raw);
    if (value !== '') config[field.name] = value;
  }
  return { name: text(body.name), enabled: body.enabled === 'on', config };
}

/** What the edit form shows of a saved registration. */
export function formValuesOf(registration: Registration & { channel: ChannelType }): FormValues {
  return { name: registration.name, enabled: registration.enabled, config: formFromConfig(registration.channel, registration.config) };
}

/** The secrets that were typed into the form but are not shown again: the user must type them once more. */
export function typedSecrets(type: ChannelType, body: Body): string[] {
  const given = objectOf(body.config);
  return channelFields(type).filter((f) => f.secret && text(given[f.name]).trim() !== '').map((f) => f.name);
}

/** A new registration's input from the add form. */
export function createInputFromForm(type: ChannelType, body: Body) {
  return { channel: type, name: text(body.name).trim(), config: configFromForm(type, objectOf(body.config)), enabled: body.enabled === 'on' };
}

/**
 * An edit's config patch. The form shows every plain field, so an emptied one is cleared (null); a
 * secret left empty keeps its value, and its "clear" box removes it.
 */
export function configPatchFromForm(type: ChannelType, body: Body): ConfigPatch {
  const given = configFromForm(type, objectOf(body.config));
  const clear = objectOf(body.clear);
  const patch: ConfigPatch = {};
  for (const field of channelFields(type)) {
    if (field.secret) {
      if (clear[field.name] === 'on') patch[field.name] = null;
      else if (given[field.name] !== undefined) patch[field.name] = given[field.name];
    } else {
      patch[field.name] = given[field.name] ?? null;
    }
  }
  return patch;
}

/** Per secret field of a saved registration: its mask ("••••1234") when set, else nothing. */
export function storedSecrets(registration: Registration & { channel: ChannelType }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of channelFields(registration.channel)) {
    const value = registration.config[field.name];
    if (field.secret && value !== undefined && value !== null && value !== '') out[field.name] = maskedSecret(value);
  }
  return out;
}

/** The service names a bad list entry `config.uids.2`; the form shows it under `config.uids`. */
export function formErrorKey(path: string): string {
  const m = /^config\.([^.]+)/.exec(path);
  return m ? `config.${m[1]}` : path;
}

/** The set secrets of a registration, masked, for the list page (which device or bot a row is). */
export function secretSummary(type: ChannelType, config: Record<string, unknown>): { field: FieldInfo; mask: string }[] {
  return channelFields(type)
    .filter((f) => f.secret && config[f.name] !== undefined && config[f.name] !== null && config[f.name] !== '')
    .map((field) => ({ field, mask: maskedSecret(config[field.name]) }));
}
