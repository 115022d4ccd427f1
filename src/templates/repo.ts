// SQL for templates. Secret variable defaults are encrypted here and nowhere else.
import type { Knex } from 'knex';
import type { SecretBox } from '../db/secret-box.js';
import type { Step } from './schema.js';

export type TemplateVariable = { name: string; default?: string; secret?: boolean; description?: string };

export type Template = {
  id: number;
  userId: number;
  name: string;
  siteUrl?: string;
  note?: string;
  public: boolean;
  log?: string;
  variables: TemplateVariable[];
  steps: Step[];
  copiedFrom: number | null;
  createdAt: number;
  updatedAt: number;
};

/** What running a template needs of it. */
export type Recipe = { steps: Step[]; log?: string; variables: TemplateVariable[] };

export type TemplateSummary = Pick<Template, 'id' | 'userId' | 'name' | 'siteUrl' | 'note' | 'public' | 'updatedAt'> & { stepCount: number };

type StoredVariable = { name: string; default?: string; defaultEnc?: string; secret?: boolean; description?: string };

type Row = {
  id: number;
  user_id: number;
  name: string;
  site_url: string | null;
  note: string | null;
  public: number | boolean;
  log_template: string | null;
  variables: string;
  steps: string;
  step_count: number;
  copied_from: number | null;
  created_at: number | string;
  updated_at: number | string;
};

export type TemplateWrite = Omit<Template, 'id' | 'userId' | 'createdAt' | 'updatedAt' | 'copiedFrom'> & { copiedFrom?: number | null };

/** Variables as stored: secret defaults sealed (defaultEnc) with the site's key. */
function openVariables(json: string, box: SecretBox): TemplateVariable[] {
  return (JSON.parse(json) as StoredVariable[]).map(({ defaultEnc, ...rest }) => (defaultEnc ? { ...rest, default: box.decrypt(defaultEnc) } : rest));
}

/** A recipe from its stored columns (read with the task a run reads: see tasks/repo.ts). */
export function recipeFromColumns(row: Pick<Row, 'steps' | 'variables' | 'log_template'>, box: SecretBox): Recipe {
  return { steps: JSON.parse(row.steps) as Step[], variables: openVariables(row.variables, box), log: row.log_template ?? undefined };
}

export function templatesRepo(knex: Knex, box: SecretBox) {
  const table = () => knex<Row>('templates');

  const sealVariables = (vars: TemplateVariable[]): string =>
    JSON.stringify(
      vars.map(({ default: value, ...rest }): StoredVariable =>
        rest.secret && value !== undefined ? { ...rest, defaultEnc: box.encrypt(value) } : { ...rest, ...(value !== undefined ? { default: value } : {}) },
      ),
    );

  const toTemplate = (row: Row): Template => ({
    id: Number(row.id),
    userId: Number(row.user_id),
    name: row.name,
    siteUrl: row.site_url ?? undefined,
    note: row.note ?? undefined,
    public: Boolean(row.public),
    log: row.log_template ?? undefined,
    variables: openVariables(row.variables, box),
    steps: JSON.parse(row.steps) as Step[],
    copiedFrom: row.copied_from === null ? null : Number(row.copied_from),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  });

  const toRow = (t: Partial<TemplateWrite>): Partial<Row> => {
    const row: Partial<Row> = {};
    if (t.name !== undefined) row.name = t.name;
    if ('siteUrl' in t) row.site_url = t.siteUrl ?? null;
    if ('note' in t) row.note = t.note ?? null;
    if (t.public !== undefined) row.public = t.public ? 1 : 0;
    if ('log' in t) row.log_template = t.log ?? null;
    if (t.variables !== undefined) row.variables = sealVariables(t.variables);
    if (t.steps !== undefined) {
      row.steps = JSON.stringify(t.steps);
      row.step_count = t.steps.length;
    }
    if (t.copiedFrom !== undefined) row.copied_from = t.copiedFrom;
    return row;
  };

  return {
    async insert(userId: number, t: TemplateWrite, now: number): Promise<number> {
      const [id] = await table().insert({ ...toRow(t), user_id: userId, created_at: now, updated_at: now });
      return Number(id);
    },

    async update(id: number, t: Partial<TemplateWrite>, now: number): Promise<void> {
      await table().where({ id }).update({ ...toRow(t), updated_at: now });
    },

    async findById(id: number): Promise<Template | undefined> {
      const row = await table().where({ id }).first();
      return row && toTemplate(row);
    },

    /** The user's own templates and everyone's public ones, newest first, without their steps' detail. */
    async listVisible(userId: number, limit = 500): Promise<TemplateSummary[]> {
      const rows = await table()
        .select('id', 'user_id', 'name', 'site_url', 'note', 'public', 'updated_at', 'step_count')
        .where({ user_id: userId })
        .orWhere({ public: 1 })
        .orderBy('id', 'desc')
        .limit(limit);
      return rows.map((row) => ({
        id: Number(row.id),
        userId: Number(row.user_id),
        name: row.name,
        siteUrl: row.site_url ?? undefined,
        note: row.note ?? undefined,
        public: Boolean(row.public),
        updatedAt: Number(row.updated_at),
        stepCount: Number(row.step_count),
      }));
    },

    async findManyOwned(userId: number, ids: number[]): Promise<Template[]> {
      if (ids.length === 0) return [];
      return (await table().where({ user_id: userId }).whereIn('id', ids)).map(toTemplate);
    },

    async delete(id: number): Promise<void> {
      await table().where({ id }).delete();
    },
  };
}

export type TemplatesRepo = ReturnType<typeof templatesRepo>;
