// Task pages: list, create from a template, the task page with its runs and its push panel (push
// on/off, and each of the user's push defaults either inherited or set for this task), edit,
// delete, "Run now", and the run page.
import { Router, type Request, type Response } from 'express';
import { parseInput } from '../lib/validation.js';
import { flash } from '../web/flash.js';
import { idParam, keptValues, renderFormError } from '../web/forms.js';
import { renderPage, renderPartial } from '../web/render.js';
import { requirePageUser, safeNext } from '../accounts/auth-middleware.js';
import { AppError } from '../lib/errors.js';
import { TIME_ZONES } from '../lib/timezone.js';
import { FORM_FIELD_OF, randomDelayFromForm, retryFromForm, scheduleFormValues, scheduleFromForm } from './form.js';
import { maskSecret } from '../db/secret-box.js';
import type { TemplatesService } from '../templates/service.js';
import type { Template } from '../templates/repo.js';
import { RUNS_PAGE_SIZE, type RunsService } from '../runs/service.js';
import { scheduleSchema, taskPatchSchema, taskSchema } from './schema.js';
import { secretNames, type TasksService } from './service.js';
import type { Task } from './repo.js';
import type { PushSettings } from './schema.js';
import { effectiveSettings, type PushDefaults, type PushOverride } from '../push/settings-schema.js';
import type { PushSettingsService } from '../push/settings-service.js';
import type { PushService } from '../push/service.js';
import { EVENT_SWITCHES, idsFromForm, numberOrText, on, registrationChoices } from '../push/settings-routes.js';
import type { Translate } from '../lib/i18n.js';
import { formatDuration, runChart } from '../web/charts.js';
import type { Run } from '../runs/repo.js';
import { chartRun } from './dashboard-routes.js';

/** The task page's chart of the runs it lists (oldest on the left), with its text alternative. */
function recentRunsChart(t: Translate, formatTime: (ms: number) => string, newestFirst: Run[]): string {
  const runs = [...newestFirst].reverse();
  if (runs.length === 0) return '';
  const longest = Math.max(0, ...runs.map((r) => r.durationMs ?? 0));
  const first = formatTime(runs[0]!.startedAt);
  const last = formatTime(runs.at(-1)!.startedAt);
  const summary = t('ui.chart.task_summary', {
    count: runs.length,
    from: first,
    to: last,
    success: runs.filter((r) => r.status === 'success').length,
    failure: runs.filter((r) => r.status === 'failure' || r.status === 'lost').length,
    longest: formatDuration(longest),
  });
  return runChart(runs.map((r) => chartRun(t, formatTime, r)), { summary, longestLabel: t('ui.chart.longest', { duration: formatDuration(longest) }), first, last });
}

type Body = Record<string, unknown>;
const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** The form's variables: secret ones left empty stay as they are; "clear" removes them. */
function variablesFromForm(body: Body, template: Template, editing: boolean): Record<string, string | null> {
  const given = (body.variables ?? {}) as Body;
  const clear = (body.clear ?? {}) as Body;
  const out: Record<string, string | null> = {};
  for (const v of template.variables) {
    const value = text(given[v.name]);
    if (clear[v.name] === 'on') out[v.name] = null;
    else if (value !== '') out[v.name] = value;
    else if (editing && !v.secret) out[v.name] = null;
  }
  const proxy = text(given._proxy);
  if (proxy) out._proxy = proxy;
  else if (editing) out._proxy = null;
  return out;
}

/** The panel's switches: each inherited from the user's defaults, or on or off for this task. */
const PANEL_SWITCHES = [...EVENT_SWITCHES, 'notifyRecovery'] as const;
/** What the panel shows and sets, in its order. Templates are the API's; the panel keeps them. */
const PANEL_SETTINGS = [...EVENT_SWITCHES, 'failureThreshold', 'repeat', 'notifyRecovery', 'registrationIds'] as const;
const TEMPLATE_KEYS: readonly string[] = ['titleTemplate', 'bodyTemplate'];

type PanelForm = { values: Body; errors: Record<string, string>; formError?: string };

/** The panel's fields for the task as saved. */
function pushPanelValues(push: PushSettings): Body {
  const o = push.override ?? {};
  const own = Object.entries(o).some(([k, v]) => v !== undefined && !TEMPLATE_KEYS.includes(k));
  return {
    pushEnabled: on(push.enabled),
    pushMode: own ? 'override' : 'defaults',
    ...Object.fromEntries(PANEL_SWITCHES.map((k) => [k, o[k] === undefined ? 'inherit' : o[k] ? 'on' : 'off'])),
    failureThreshold: o.failureThreshold === undefined ? '' : String(o.failureThreshold),
    repeat: o.repeat ?? 'inherit',
    registrations: o.registrationIds === undefined ? 'inherit' : o.registrationIds === null ? 'all' : 'chosen',
    registrationIds: (o.registrationIds ?? []).map(String),
  };
}

/** The panel as the task's `push` (unvalidated). "Use my defaults" drops every override but the task's templates. */
function pushFromPanel(body: Body, saved: PushOverride | undefined): unknown {
  const override: Record<string, unknown> = {};
  for (const k of TEMPLATE_KEYS) if (saved?.[k as keyof PushOverride] !== undefined) override[k] = saved[k as keyof PushOverride];
  if (body.pushMode === 'override') {
    for (const k of PANEL_SWITCHES) {
      const v = body[k];
      // Anything but inherit/on/off goes to the schema, which refuses it under the field.
      if (v !== undefined && v !== 'inherit') override[k] = v === 'on' ? true : v === 'off' ? false : v;
    }
    if (text(body.failureThreshold).trim() !== '') override.failureThreshold = numberOrText(body.failureThreshold);
    if (body.repeat !== undefined && body.repeat !== 'inherit') override.repeat = body.repeat;
    if (body.registrations === 'all') override.registrationIds = null;
    else if (body.registrations === 'chosen') override.registrationIds = idsFromForm(body.registrationIds);
  }
  return { enabled: body.pushEnabled === 'on', ...(Object.keys(override).length ? { override } : {}) };
}

/** "push.override.registrationIds.0" → "registrationIds", the panel's field. */
function panelFieldOf(path: string): string {
  if (path === 'push.enabled') return 'pushEnabled';
  const m = /^push\.override\.(\w+)/.exec(path);
  return m ? m[1]! : 'pushMode';
}

/** One setting's value in words, for the summary and the "my default (…)" choices. */
function describeSetting(t: Translate, key: (typeof PANEL_SETTINGS)[number], s: PushDefaults, names: Map<number, string>): string {
  const value = s[key];
  if (key === 'registrationIds') {
    const ids = s.registrationIds;
    if (ids === null) return t('tasks.push_panel.value_all');
    return ids.length ? ids.map((id) => names.get(id) ?? `#${id}`).join(', ') : t('tasks.push_panel.value_none');
  }
  if (key === 'repeat') return t(s.repeat === 'once' ? 'push.settings.repeat_once' : 'push.settings.repeat_every');
  if (typeof value === 'boolean') return t(value ? 'tasks.push_panel.on' : 'tasks.push_panel.off');
  return String(value);
}

function settingLabel(t: Translate, key: (typeof PANEL_SETTINGS)[number]): string {
  if (key === 'failureThreshold') return t('push.settings.threshold');
  if (key === 'repeat') return t('push.settings.repeat_label');
  if (key === 'notifyRecovery') return t('push.settings.notify_recovery');
  if (key === 'registrationIds') return t('push.settings.recipients_title');
  return t('push.settings.event_' + key);
}

export function taskRoutes(deps: { tasks: TasksService; templates: TemplatesService; runs: RunsService; push: PushService; pushSettings: PushSettingsService }) {
  const { tasks, templates, runs, push, pushSettings } = deps;
  const router = Router();
  router.use(['/tasks', '/runs'], requirePageUser);

  async function ownTemplates(req: Request) {
    return (await templates.list(req.user!)).filter((t) => t.userId === req.user!.id);
  }

  async function renderForm(req: Request, res: Response, locals: { template?: Template; task?: Task; values?: Body; errors?: Record<string, string>; formError?: string }, status = 200) {
    const t = locals.template;
    await renderPage(
      req,
      res,
      'tasks/form',
      {
        title: locals.task ? req.t('tasks.edit_title', { name: locals.task.name }) : req.t('tasks.new_title'),
        templates: locals.template ? [] : await ownTemplates(req),
        template: t,
        task: locals.task,
        values: locals.values ?? {},
        errors: locals.errors ?? {},
        formError: locals.formError,
        stored: locals.task ? storedHints(locals.task, t!) : {},
        preview: previewFor(req, locals.values ?? {}),
        timeZones: TIME_ZONES,
      },
      status,
    );
  }

  /** The next five run times for the schedule in the form, or nothing while it is not valid. */
  function previewFor(req: Request, values: Body): { zone: string; slots: number[] } | undefined {
    const parsed = scheduleSchema.safeParse(scheduleFromForm(values));
    if (!parsed.success || parsed.data.type === 'manual') return undefined;
    return tasks.preview(req.user!, parsed.data);
  }

  /** Re-renders the form with the schema's errors under the form's own field names. */
  async function formErrors(req: Request, res: Response, err: unknown, locals: { template?: Template; task?: Task }) {
    if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
    const errors: Record<string, string> = {};
    for (const [path, message] of Object.entries(err.fields ?? {})) errors[FORM_FIELD_OF[path] ?? path] = req.t(message.key, message.params);
    const formError = err.fields ? undefined : req.t(err.messageKey, err.params);
    await renderForm(req, res, { ...locals, values: keptValues(req.body), errors, formError }, err.status);
  }

  /** What the form shows of stored values: plain ones as they are, secret ones as "set, ends in …". */
  function storedHints(task: Task, template: Template): Record<string, string> {
    const secret = secretNames(template);
    return Object.fromEntries(Object.entries(task.variables).map(([k, v]) => [k, secret.has(k) ? maskSecret(v) : v]));
  }

  router.get('/tasks/new', async (req, res) => {
    const templateId = Number(req.query.templateId);
    if (!Number.isSafeInteger(templateId) || templateId <= 0) return renderForm(req, res, {});
    const template = await templates.owned(req.user!, templateId);
    const defaults = Object.fromEntries(template.variables.filter((v) => !v.secret && v.default).map((v) => [v.name, v.default]));
    await renderForm(req, res, { template, values: { name: template.name, enabled: 'on', runNow: '', variables: defaults, scheduleType: 'daily', dailyTime: '08:00', retryCount: '8' } });
  });

  router.post('/tasks/new', async (req, res) => {
    const body = (req.body ?? {}) as Body;
    const templateId = Number(body.templateId);
    const template = Number.isSafeInteger(templateId) && templateId > 0 ? await templates.owned(req.user!, templateId).catch(() => undefined) : undefined;
    if (body.op === 'preview') return renderForm(req, res, { template, values: keptValues(body) });
    try {
      const variables = template ? (variablesFromForm(body, template, false) as Record<string, string>) : {};
      const input = parseInput(taskSchema, {
        templateId,
        name: text(body.name),
        group: text(body.group),
        note: text(body.note),
        enabled: body.enabled === 'on',
        variables,
        schedule: scheduleFromForm(body),
        randomDelay: randomDelayFromForm(body),
        retry: retryFromForm(body),
        runNow: body.runNow === 'on',
      });
      const task = await tasks.create(req.user!, input);
      flash(req, 'success', 'flash.task_created');
      res.redirect(303, `/tasks/${task.id}`);
    } catch (err) {
      await formErrors(req, res, err, { template });
    }
  });

  // The preview of the next runs, as the form changes (htmx), without saving anything.
  router.post('/tasks/preview', async (req, res) => {
    await renderPartial(req, res, 'tasks/_preview', { preview: previewFor(req, (req.body ?? {}) as Body) });
  });

  /** The push panel: what applies now (and where it comes from), and the form. */
  async function pushPanel(req: Request, task: Task, form?: PanelForm) {
    const [settings, list] = await Promise.all([pushSettings.get(req.user!), push.list(req.user!)]);
    const names = new Map(list.map((r) => [r.id, r.name]));
    const override = task.push.override ?? {};
    const effective = effectiveSettings(settings.defaults, task.push.override);
    return {
      values: form?.values ?? pushPanelValues(task.push),
      errors: form?.errors ?? {},
      formError: form?.formError,
      registrations: registrationChoices(req.t, list),
      summary: PANEL_SETTINGS.map((key) => ({ key, label: settingLabel(req.t, key), value: describeSetting(req.t, key, effective, names), own: override[key] !== undefined })),
      inherited: Object.fromEntries(PANEL_SETTINGS.map((key) => [key, describeSetting(req.t, key, settings.defaults, names)])),
      hasTemplates: TEMPLATE_KEYS.some((k) => override[k as keyof PushOverride] !== undefined),
    };
  }

  async function renderTask(req: Request, res: Response, id: number, form?: PanelForm, status = 200) {
    const { task, template } = await tasks.withTemplate(req.user!, id);
    const before = Number(req.query.before) || undefined;
    const page = await runs.listForTask(req.user!, task.id, { limit: RUNS_PAGE_SIZE + 1, before });
    await renderPage(
      req,
      res,
      'tasks/show',
      {
        title: task.name,
        task,
        template,
        stored: storedHints(task, template),
        persisted: Object.fromEntries(Object.entries(task.persisted).map(([k, v]) => [k, secretNames(template).has(k) ? maskSecret(v) : v])),
        runs: page.slice(0, RUNS_PAGE_SIZE),
        chart: recentRunsChart(req.t, res.locals.formatTime as (ms: number) => string, page.slice(0, RUNS_PAGE_SIZE)),
        nextBefore: page.length > RUNS_PAGE_SIZE ? page[RUNS_PAGE_SIZE - 1]!.id : undefined,
        before,
        panel: await pushPanel(req, task, form),
      },
      status,
    );
  }

  router.get('/tasks/:id', async (req, res) => {
    await renderTask(req, res, idParam(req));
  });

  // The push panel: `{push: {enabled, override}}` through the same update as the API's PATCH.
  router.post('/tasks/:id/push', async (req, res) => {
    const task = await tasks.owned(req.user!, idParam(req));
    const body = (req.body ?? {}) as Body;
    try {
      await tasks.update(req.user!, task.id, parseInput(taskPatchSchema, { push: pushFromPanel(body, task.push.override) }));
      flash(req, 'success', 'flash.task_push_saved');
      res.redirect(303, `/tasks/${task.id}#push`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
      const errors: Record<string, string> = {};
      for (const [path, message] of Object.entries(err.fields ?? {})) errors[panelFieldOf(path)] ??= req.t(message.key, message.params);
      const formError = Object.keys(errors).length ? undefined : req.t(err.messageKey, err.params);
      await renderTask(req, res, task.id, { values: keptValues(body), errors, formError }, err.status);
    }
  });

  router.get('/tasks/:id/edit', async (req, res) => {
    const { task, template } = await tasks.withTemplate(req.user!, idParam(req));
    const secret = secretNames(template);
    const variables = Object.fromEntries(Object.entries(task.variables).filter(([k]) => !secret.has(k)));
    await renderForm(req, res, {
      task,
      template,
      values: { name: task.name, group: task.group ?? '', note: task.note ?? '', enabled: task.enabled ? 'on' : '', variables, ...scheduleFormValues(task) },
    });
  });

  router.post('/tasks/:id/edit', async (req, res) => {
    const { task, template } = await tasks.withTemplate(req.user!, idParam(req));
    const body = (req.body ?? {}) as Body;
    if (body.op === 'preview') return renderForm(req, res, { task, template, values: keptValues(body) });
    try {
      const patch = parseInput(taskPatchSchema, {
        name: text(body.name),
        group: text(body.group),
        note: text(body.note),
        enabled: body.enabled === 'on',
        variables: variablesFromForm(body, template, true),
        schedule: scheduleFromForm(body),
        randomDelay: randomDelayFromForm(body),
        retry: retryFromForm(body),
        runNow: body.runNow === 'on',
      });
      await tasks.update(req.user!, task.id, patch);
      flash(req, 'success', 'flash.task_saved');
      res.redirect(303, `/tasks/${task.id}`);
    } catch (err) {
      await formErrors(req, res, err, { template, task });
    }
  });

  router.post('/tasks/:id/toggle', async (req, res) => {
    const task = await tasks.owned(req.user!, idParam(req));
    await tasks.update(req.user!, task.id, { enabled: !task.enabled });
    flash(req, 'success', task.enabled ? 'flash.task_disabled' : 'flash.task_enabled', { name: task.name });
    res.redirect(303, safeNext(req.body?.next, `/tasks/${task.id}`));
  });

  router.post('/tasks/:id/run', async (req, res) => {
    const id = idParam(req);
    let run;
    try {
      run = await runs.runTask(req.user!, id);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'task_running') throw err;
      flash(req, 'info', 'errors.task_running');
      return res.redirect(303, `/tasks/${id}`);
    }
    flash(req, run.status === 'success' ? 'success' : 'error', run.status === 'success' ? 'flash.run_succeeded' : 'flash.run_failed');
    res.redirect(303, `/runs/${run.id}`);
  });

  router.get('/tasks/:id/delete', async (req, res) => {
    const task = await tasks.owned(req.user!, idParam(req));
    await renderPage(req, res, 'tasks/delete', { title: req.t('tasks.delete_title'), task });
  });

  router.post('/tasks/:id/delete', async (req, res) => {
    await tasks.delete(req.user!, idParam(req));
    flash(req, 'success', 'flash.task_deleted');
    res.redirect(303, '/tasks');
  });

  router.get('/runs/:id', async (req, res) => {
    const run = await runs.get(req.user!, idParam(req));
    const task = await tasks.owned(req.user!, run.taskId);
    await renderPage(req, res, 'runs/show', { title: req.t('runs.title', { id: run.id }), run, task });
  });

  return router;
}
