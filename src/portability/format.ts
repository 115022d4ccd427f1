// The export file, version 1 (README "Your data: export and import"). Objects carry ids local to the
// file (1, 2, …, per kind); tasks name their template and registrations by those ids, as the push
// settings do. Secret values are never in the objects: each object lists the names of its secret
// fields in `secretFields`, and their values are in `secrets` (sealed with a passphrase) or left out.
import { z } from 'zod';
import type { Schedule, RandomDelay, Retry, PushSettings } from '../tasks/schema.js';
import type { PushDefaults, DigestSettings } from '../push/settings-schema.js';
import type { Step } from '../templates/schema.js';
import { sealedSecretsSchema, type SealedSecrets } from './secrets.js';

export const FORMAT = 'chime-export';
export const VERSION = 1;

export type ExportTemplate = {
  id: number;
  name: string;
  siteUrl?: string;
  note?: string;
  public: boolean;
  log?: string;
  variables: { name: string; default?: string; secret?: boolean; description?: string }[];
  steps: Step[];
  secretFields?: string[];
};

export type ExportTask = {
  id: number;
  templateId: number;
  name: string;
  group?: string;
  note?: string;
  enabled: boolean;
  variables: Record<string, string>;
  schedule: Schedule;
  randomDelay: RandomDelay | null;
  retry: Retry;
  push: PushSettings;
  secretFields?: string[];
};

export type ExportRegistration = { id: number; channel: string; name: string; enabled: boolean; config: Record<string, unknown>; secretFields?: string[] };

export type ExportFile = {
  format: typeof FORMAT;
  version: typeof VERSION;
  exportedAt: string;
  templates: ExportTemplate[];
  tasks: ExportTask[];
  registrations: ExportRegistration[];
  pushSettings: { defaults: PushDefaults; digest: Omit<DigestSettings, 'timezone'> & { timezone: string | null } };
  secrets?: SealedSecrets;
};

// The structure every object must have for the file to be read at all; the rest of each object is
// checked with the API's own schemas, object by object (a bad object is skipped, not the file).
const itemSchema = z.looseObject({
  id: z.number().int().positive(),
  name: z.string().max(1000),
  secretFields: z.array(z.string().max(200)).max(200).optional(),
});

export type FileItem = z.output<typeof itemSchema>;

const uniqueIds = (items: FileItem[], ctx: z.RefinementCtx) => {
  const seen = new Set<number>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: 'errors.invalid_value' });
    seen.add(item.id);
  });
};

export const fileSchema = z
  .object({
    format: z.literal(FORMAT),
    version: z.literal(VERSION),
    exportedAt: z.string().max(100).optional(),
    templates: z.array(itemSchema).max(5000).superRefine(uniqueIds),
    tasks: z.array(itemSchema).max(20_000).superRefine(uniqueIds),
    registrations: z.array(itemSchema).max(1000).superRefine(uniqueIds),
    pushSettings: z.looseObject({}).nullable().optional(),
    secrets: sealedSecretsSchema.optional(),
  })
  .strict();

export type ParsedFile = z.output<typeof fileSchema>;
