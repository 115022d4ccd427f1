// Templates: who may read and change which, secret defaults that survive edits, copies of public ones.
import type { Knex } from 'knex';
import { AppError, conflict, notFound } from '../lib/errors.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { SecretBox } from '../db/secret-box.js';
import type { User } from '../accounts/users-repo.js';
import { templatesRepo, type Template, type TemplateVariable, type TemplateWrite } from './repo.js';
import { usedVariableNames, type TemplateInput } from './schema.js';
import { tasksRepo } from '../tasks/repo.js';

export type TemplatesDeps = { knex: Knex; box: SecretBox; clock?: Clock };

const MASK = '••••';

/**
 * A secret variable's default is never shown again, so an edit that sends it back masked, or not at
 * all, keeps the stored one; an empty string clears it.
 */
export function keepSecretDefaults(incoming: TemplateVariable[], stored: TemplateVariable[]): TemplateVariable[] {
  const before = new Map(stored.map((v) => [v.name, v]));
  return incoming.map((v) => {
    if (!v.secret) return v;
    const old = before.get(v.name);
    if (v.default === undefined || v.default.startsWith(MASK)) return { ...v, default: old?.default };
    return v.default === '' ? { ...v, default: undefined } : v;
  });
}

/** Names used in the steps or the log but neither declared nor extracted: the "declare" hints. */
export function undeclaredVariables(t: Pick<Template, 'steps' | 'log' | 'variables'>): string[] {
  const declared = new Set(t.variables.map((v) => v.name));
  return usedVariableNames(t.steps, t.log).filter((n) => !declared.has(n));
}

export function createTemplatesService({ knex, box, clock = systemClock }: TemplatesDeps) {
  const repo = templatesRepo(knex, box);
  const tasks = tasksRepo(knex, box);

  async function visible(user: User, id: number): Promise<Template> {
    const t = await repo.findById(id);
    if (!t || (t.userId !== user.id && !t.public)) throw notFound();
    return t;
  }

  /** For changes: the owner's template; someone else's public one is readable but not theirs to change. */
  async function owned(user: User, id: number): Promise<Template> {
    const t = await visible(user, id);
    if (t.userId !== user.id) throw new AppError(403, 'not_owner', 'errors.template_not_owner');
    return t;
  }

  function toWrite(input: TemplateInput): TemplateWrite {
    return {
      name: input.name,
      siteUrl: input.siteUrl,
      note: input.note,
      public: input.public,
      log: input.log,
      variables: input.variables,
      steps: input.steps,
    };
  }

  return {
    visible,
    owned,

    /** What a test run may use: someone else's public template without its owner's secret defaults. */
    async runnable(user: User, id: number): Promise<Template> {
      const t = await visible(user, id);
      if (t.userId === user.id) return t;
      return { ...t, variables: t.variables.map((v) => (v.secret ? { ...v, default: undefined } : v)) };
    },

    list(user: User) {
      return repo.listVisible(user.id);
    },

    async create(user: User, input: TemplateInput): Promise<Template> {
      const write = toWrite(input);
      write.variables = write.variables.map((v) => (v.default === '' ? { ...v, default: undefined } : v));
      const id = await repo.insert(user.id, write, clock.now());
      return (await repo.findById(id))!;
    },

    async update(user: User, id: number, patch: Partial<TemplateInput>): Promise<Template> {
      const current = await owned(user, id);
      const changes: Partial<TemplateWrite> = { ...patch };
      if (patch.variables) changes.variables = keepSecretDefaults(patch.variables, current.variables);
      await repo.update(id, changes, clock.now());
      return (await repo.findById(id))!;
    },

    async delete(user: User, id: number): Promise<void> {
      await owned(user, id);
      const count = await tasks.countForTemplate(id);
      if (count > 0) throw conflict('errors.template_in_use', undefined, { count });
      await repo.delete(id);
    },

    /** "Use this template": a private copy the user owns. Someone else's secret defaults stay behind. */
    async copy(user: User, id: number): Promise<Template> {
      const source = await visible(user, id);
      const mine = source.userId === user.id;
      const newId = await repo.insert(
        user.id,
        {
          name: source.name,
          siteUrl: source.siteUrl,
          note: source.note,
          public: false,
          log: source.log,
          variables: source.variables.map((v) => (v.secret && !mine ? { ...v, default: undefined } : v)),
          steps: source.steps,
          copiedFrom: source.id,
        },
        clock.now(),
      );
      return (await repo.findById(newId))!;
    },
  };
}

export type TemplatesService = ReturnType<typeof createTemplatesService>;
