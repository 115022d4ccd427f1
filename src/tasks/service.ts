// Tasks: created from the user's own templates, variables checked against the template's
// declarations, secret values kept when an edit leaves them empty.
import type { Knex } from 'knex';
import { invalid, notFound, type FieldErrors } from '../lib/errors.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { SecretBox } from '../db/secret-box.js';
import type { User } from '../accounts/users-repo.js';
import { templatesRepo, type Template } from '../templates/repo.js';
import { tasksRepo, type Task, type TaskWrite } from './repo.js';
import { PROXY_VARIABLE, type PushSettings, type Schedule, type TaskInput, type TaskPatch } from './schema.js';
import { registrationIdProblems, templateProblems, throwIfAny } from '../push/settings-service.js';
import { firstSlot } from '../scheduler/after-run.js';
import { previewSlots } from '../scheduler/schedule.js';

export type TasksDeps = { knex: Knex; box: SecretBox; clock?: Clock; defaultTimezone: string; random?: () => number };

export const TASKS_PAGE_SIZE = 50;

export const secretNames = (template: Pick<Template, 'variables'>) => new Set(template.variables.filter((v) => v.secret).map((v) => v.name));

/** Every variable set must be one the template declares (or the proxy), so typos do not pass silently. */
function checkVariableNames(template: Template, names: string[]): void {
  const declared = new Set([...template.variables.map((v) => v.name), PROXY_VARIABLE]);
  const fields: FieldErrors = {};
  for (const name of names) if (!declared.has(name)) fields[`variables.${name}`] = { key: 'errors.variable_not_declared' };
  if (Object.keys(fields).length) throw invalid(fields);
}

export function createTasksService({ knex, box, clock = systemClock, defaultTimezone, random = Math.random }: TasksDeps) {
  const repo = tasksRepo(knex, box);

  /** A task's own registrations must be the user's, and its own templates must render. */
  async function checkPushSettings(user: User, push: PushSettings | undefined) {
    if (!push?.override) return;
    throwIfAny(
      await registrationIdProblems(knex, user.id, push.override.registrationIds, 'push.override.registrationIds'),
      templateProblems(push.override, 'push.override.'),
    );
  }
  const templates = templatesRepo(knex, box);

  /** The zone a task's slots are computed in: its schedule's, else its owner's, else the site's. */
  function zoneFor(user: User, schedule: Schedule): string {
    return ('timezone' in schedule ? schedule.timezone : undefined) ?? user.timezone ?? defaultTimezone;
  }

  async function owned(user: User, id: number): Promise<Task> {
    const task = await repo.findById(id);
    if (!task || task.userId !== user.id) throw notFound();
    return task;
  }

  /** The template a task of this user may use: their own. A public one must be copied first. */
  async function usableTemplate(user: User, templateId: number): Promise<Template> {
    const template = await templates.findById(templateId);
    if (!template || (template.userId !== user.id && !template.public)) {
      throw invalid({ templateId: { key: 'errors.template_not_found' } });
    }
    if (template.userId !== user.id) throw invalid({ templateId: { key: 'errors.template_copy_first' } });
    return template;
  }

  return {
    owned,

    async withTemplate(user: User, id: number): Promise<{ task: Task; template: Template }> {
      const task = await owned(user, id);
      return { task, template: (await templates.findById(task.templateId))! };
    },

    list(user: User): Promise<Task[]> {
      return repo.listForUser(user.id);
    },

    page(user: User, q: { group?: string; status?: 'enabled' | 'disabled' | 'failing'; page: number }) {
      return repo.pageForUser(user.id, { group: q.group, status: q.status, limit: TASKS_PAGE_SIZE, offset: (Math.max(1, q.page) - 1) * TASKS_PAGE_SIZE });
    },

    groups(user: User): Promise<string[]> {
      return repo.groupsForUser(user.id);
    },

    /** Applies one change to several of the user's tasks; ids that are not theirs are skipped. */
    async bulk(user: User, ids: number[], action: { type: 'enable' | 'disable' | 'delete' } | { type: 'schedule'; schedule: Schedule }): Promise<number> {
      let done = 0;
      for (const id of [...new Set(ids)].slice(0, 500)) {
        const task = await repo.findById(id);
        if (!task || task.userId !== user.id) continue;
        if (action.type === 'delete') await repo.delete(id);
        else if (action.type === 'schedule') await this.update(user, id, { schedule: action.schedule });
        else await this.update(user, id, { enabled: action.type === 'enable' });
        done++;
      }
      return done;
    },

    /** The next `count` slots of a schedule, for the form's preview (without random delay). */
    preview(user: User, schedule: Schedule, count = 5): { zone: string; slots: number[] } {
      const zone = zoneFor(user, schedule);
      return { zone, slots: previewSlots(schedule, zone, clock.now(), count) };
    },

    /** For lists: which variables are secret, per template of the given tasks (one query). */
    async secretNamesByTemplate(user: User, list: Task[]): Promise<Map<number, Set<string>>> {
      const ids = [...new Set(list.map((t) => t.templateId))];
      const found = await templates.findManyOwned(user.id, ids);
      return new Map(found.map((t) => [t.id, secretNames(t)]));
    },

    async create(user: User, input: TaskInput): Promise<Task> {
      const template = await usableTemplate(user, input.templateId);
      await checkPushSettings(user, input.push);
      const variables = Object.fromEntries(Object.entries(input.variables).filter(([, v]) => v !== ''));
      checkVariableNames(template, Object.keys(variables));
      const id = await repo.insert(
        user.id,
        template.id,
        {
          name: input.name,
          group: input.group,
          note: input.note,
          enabled: input.enabled,
          variables,
          schedule: input.schedule,
          randomDelay: input.randomDelay ?? null,
          retry: input.retry,
          push: input.push,
          nextRunAt: input.enabled ? firstSlot({ schedule: input.schedule, randomDelay: input.randomDelay ?? null }, zoneFor(user, input.schedule), clock.now(), input.runNow, random) : null,
          disabledBy: input.enabled ? undefined : 'user',
        },
        clock.now(),
      );
      return (await repo.findById(id))!;
    },

    async update(user: User, id: number, patch: TaskPatch): Promise<Task> {
      const task = await owned(user, id);
      await checkPushSettings(user, patch.push);
      const changes: TaskWrite = {};
      for (const key of ['name', 'group', 'note', 'schedule', 'randomDelay', 'retry', 'push'] as const) {
        if (key in patch) (changes as Record<string, unknown>)[key] = patch[key];
      }
      const enabled = patch.enabled ?? task.enabled;
      if (patch.enabled !== undefined && patch.enabled !== task.enabled) {
        changes.enabled = patch.enabled;
        changes.disabledBy = patch.enabled ? undefined : 'user';
        changes.disabledReason = undefined;
        if (patch.enabled) changes.consecutiveFailures = 0;
      }
      // A new schedule, re-enabling, or "run now" recomputes the next run at once (SEMANTICS §2).
      // While the task runs, the end of the run computes it, from the schedule as it is then.
      const reschedule = 'schedule' in patch || 'randomDelay' in patch || changes.enabled !== undefined || patch.runNow;
      if (reschedule && task.runningSince === null) {
        const schedule = patch.schedule ?? task.schedule;
        const randomDelay = 'randomDelay' in patch ? (patch.randomDelay ?? null) : task.randomDelay;
        changes.nextRunAt = enabled ? firstSlot({ schedule, randomDelay }, zoneFor(user, schedule), clock.now(), patch.runNow, random) : null;
        changes.nextTrigger = 'auto';
      }
      if (patch.variables) {
        const template = (await templates.findById(task.templateId))!;
        checkVariableNames(template, Object.keys(patch.variables).filter((k) => patch.variables![k] !== null));
        const secret = secretNames(template);
        const variables = { ...task.variables };
        const persisted = { ...task.persisted };
        for (const [name, value] of Object.entries(patch.variables)) {
          // An empty (or masked) secret means "unchanged": the stored value is never sent to the browser.
          if (value !== null && secret.has(name) && (value === '' || value.startsWith('••••'))) continue;
          if (value === null || value === '') delete variables[name];
          else variables[name] = value;
          // A value the user sets now wins over one an earlier run kept.
          delete persisted[name];
        }
        changes.variables = variables;
        changes.persisted = persisted;
      }
      await repo.update(id, changes, clock.now());
      return (await repo.findById(id))!;
    },

    async delete(user: User, id: number): Promise<void> {
      await owned(user, id);
      await repo.delete(id);
    },
  };
}

export type TasksService = ReturnType<typeof createTasksService>;

