// The channel catalog, derived from each channel's zod schema: what the add/edit form draws, what
// GET /api/v1/push/channels answers, and how form text becomes config values (a checkbox is a
// boolean, a list is one entry per line). Nothing here is written twice per channel.
import type { z } from 'zod';
import type { Channel } from './channel.js';
import { CHANNELS, CHANNEL_TYPES, type ChannelType } from './channels/registry.js';

export type FieldKind = 'text' | 'password' | 'url' | 'number' | 'select' | 'checkbox' | 'list' | 'textarea';

export type FieldInfo = {
  name: string;
  /** i18n key of the label. */
  label: string;
  kind: FieldKind;
  required: boolean;
  secret: boolean;
  default?: string | number | boolean;
  options?: string[];
  /** i18n keys of the help text (where to get the value), the first that exists wins: the channel's own, then the shared one. */
  help: [string, string];
};

/** Long free text (a request body, JSON headers) gets a text area. */
const MULTILINE = new Set(['push.field.body', 'push.field.headers']);

type Def = { type: string; format?: string; innerType?: z.ZodType; defaultValue?: unknown; entries?: Record<string, string> };
const defOf = (schema: z.ZodType) => (schema as unknown as { def: Def }).def;

function describeField(channel: Channel, name: string, schema: z.ZodType): FieldInfo {
  let inner = schema;
  let required = true;
  let fallback: unknown;
  // Peel optional/default wrappers down to the value's own type.
  for (let def = defOf(inner); def.innerType; def = defOf(inner)) {
    if (def.type === 'optional') required = false;
    if (def.type === 'default') {
      required = false;
      fallback = def.defaultValue;
    }
    inner = def.innerType;
  }
  const def = defOf(inner);
  const label = schema.description ?? `push.field.${name}`;
  const secret = channel.secrets.includes(name);
  let kind: FieldKind;
  let options: string[] | undefined;
  if (secret) kind = 'password';
  else if (def.type === 'enum') {
    kind = 'select';
    options = Object.values(def.entries ?? {});
  } else if (def.type === 'boolean') kind = 'checkbox';
  else if (def.type === 'number') kind = 'number';
  else if (def.type === 'array') kind = 'list';
  else if (def.format === 'url') kind = 'url';
  else kind = MULTILINE.has(label) ? 'textarea' : 'text';
  return {
    name,
    label,
    kind,
    required,
    secret,
    ...(typeof fallback === 'string' || typeof fallback === 'number' || typeof fallback === 'boolean' ? { default: fallback } : {}),
    ...(options ? { options } : {}),
    help: [`push.help.${channel.type}.${name}`, `push.help.common.${name}`],
  };
}

const fieldsCache = new Map<string, FieldInfo[]>();

/** The fields of a channel's form, in the schema's order. */
export function channelFields(type: ChannelType): FieldInfo[] {
  let fields = fieldsCache.get(type);
  if (!fields) {
    const channel: Channel = CHANNELS[type];
    const shape = (channel.config as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
    fields = Object.entries(shape).map(([name, schema]) => describeField(channel, name, schema));
    fieldsCache.set(type, fields);
  }
  return fields;
}

/** The catalog as the API shows it, labels and help in the reader's language. */
export function catalogJson(t: (key: string | string[]) => string) {
  return CHANNEL_TYPES.map((type) => ({
    type,
    label: t(CHANNELS[type].label),
    fields: channelFields(type).map((f) => ({
      name: f.name,
      label: t(f.label),
      type: f.kind,
      required: f.required,
      secret: f.secret,
      ...(f.default === undefined ? {} : { default: f.default }),
      ...(f.options ? { options: f.options } : {}),
      help: t(f.help),
    })),
  }));
}

/**
 * Form text → config values for one channel. Empty text means "not set"; a checkbox is sent only when
 * ticked; a list takes one entry per line (commas work too). Secrets are left to the caller, which
 * knows whether an empty secret keeps the stored one.
 */
export function configFromForm(type: ChannelType, form: Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const field of channelFields(type)) {
    const raw = form[field.name];
    if (field.kind === 'checkbox') {
      if (raw !== undefined) config[field.name] = true;
      continue;
    }
    const text = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.join('\n') : '';
    if (field.kind === 'list') {
      const items = text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
      if (items.length > 0) config[field.name] = items;
      continue;
    }
    if (text.trim() === '') continue;
    config[field.name] = field.kind === 'textarea' ? text : text.trim();
  }
  return config;
}

/** Config values → what the form's inputs show (lists one per line); secrets are never shown. */
export function formFromConfig(type: ChannelType, config: Record<string, unknown>): Record<string, string> {
  const form: Record<string, string> = {};
  for (const field of channelFields(type)) {
    const value = config[field.name];
    if (field.secret || value === undefined || value === null) continue;
    if (field.kind === 'checkbox') {
      if (value === true) form[field.name] = 'on';
    } else form[field.name] = Array.isArray(value) ? value.join('\n') : String(value);
  }
  return form;
}
