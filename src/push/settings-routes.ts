// The push settings page (/push/settings, QD's 推送设置): which task events are pushed and to which
// registrations, the user's own title/body templates with a preview on sample data, and the periodic
// digest (QD's 定期批量推送) with "send now" and a preview of the next one. Every action is a plain
// form post; htmx only refreshes the template preview while typing. The task page's push panel
// borrows the form helpers below, so both read the same fields the same way.
import { Router, type Request, type Response } from 'express';
import { AppError, invalid, type FieldErrors } from '../lib/errors.js';
import type { Translate } from '../lib/i18n.js';
import { fieldErrorsFrom } from '../lib/validation.js';
import { TIME_ZONES } from '../lib/timezone.js';
import { translateFields } from '../web/error-handler.js';
import { flash } from '../web/flash.js';
import { keptValues } from '../web/forms.js';
import { renderPage, renderPartial, timeFormatter } from '../web/render.js';
import { requirePageUser } from '../accounts/auth-middleware.js';
import { CHANNELS, isChannelType } from './channels/registry.js';
import { DIGEST_PRESETS_SECONDS, pushDefaultsSchema, pushSettingsSchema } from './settings-schema.js';
import type { StoredPushSettings } from './settings-repo.js';
import { templateProblems, type PushSettingsService } from './settings-service.js';
import type { DigestJob } from './digest-job.js';
import type { PushService } from './service.js';

type Body = Record<string, unknown>;
export type FormValues = Record<string, unknown>;

/** The event switches of PushDefaults, in the order the forms show them. */
export const EVENT_SWITCHES = ['manualSuccess', 'manualFailure', 'autoSuccess', 'autoFailure'] as const;

/** The digest's text in the preview: long enough for any real digest, short enough for a page. */
const PREVIEW_TEXT_CHARS = 20_000;

const text = (v: unknown) => (typeof v === 'string' ? v : '');
export const on = (flag: boolean) => (flag ? 'on' : '');
const isHtmx = (req: Request) => req.get('HX-Request') === 'true';

/** A number typed into a form: empty is null ("required"), anything else not a number stays text for the schema to refuse. */
export function numberOrText(v: unknown): unknown {
  const s = text(v).trim();
  if (s === '') return null;
  return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s;
}

/** Ticked registration ids; a value that is not an id is passed on for the schema to refuse. */
export function idsFromForm(v: unknown): unknown[] {
  return [v ?? []].flat().map((x) => (typeof x === 'string' && /^\d{1,10}$/.test(x) ? Number(x) : x));
}

/** "all" → null (every enabled registration), "chosen" → the ticked ones. */
export function registrationIdsFromForm(mode: unknown, ids: unknown): unknown {
  return mode === 'chosen' ? idsFromForm(ids) : null;
}

/** The user's registrations for the "chosen" checkboxes. */
export function registrationChoices(t: Translate, list: { id: number; name: string; channel: string; enabled: boolean }[]) {
  return list.map((r) => ({ id: r.id, name: r.name, enabled: r.enabled, label: isChannelType(r.channel) ? t(CHANNELS[r.channel].label) : r.channel }));
}

/** "08:00:00" → "08:00" for the form; other seconds stay. */
const shortTime = (time: string) => (time.endsWith(':00') ? time.slice(0, 5) : time);

export function settingsFormValues(s: StoredPushSettings): FormValues {
  const { defaults: d, digest: g } = s;
  const preset = (DIGEST_PRESETS_SECONDS as readonly number[]).includes(g.intervalSeconds);
  const inMinutes = g.intervalSeconds % 60 === 0;
  return {
    ...Object.fromEntries(EVENT_SWITCHES.map((k) => [k, on(d[k])])),
    failureThreshold: String(d.failureThreshold),
    repeat: d.repeat,
    notifyRecovery: on(d.notifyRecovery),
    registrations: d.registrationIds === null ? 'all' : 'chosen',
    registrationIds: (d.registrationIds ?? []).map(String),
    titleTemplate: d.titleTemplate ?? '',
    bodyTemplate: d.bodyTemplate ?? '',
    digestEnabled: on(g.enabled),
    digestFirstAt: shortTime(g.firstAt),
    digestInterval: preset ? String(g.intervalSeconds) : 'custom',
    digestCustom: preset ? '' : String(inMinutes ? g.intervalSeconds / 60 : g.intervalSeconds),
    digestCustomUnit: preset || inMinutes ? 'minutes' : 'seconds',
    digestTimezone: g.timezone ?? '',
    digestRegistrations: g.registrationIds === null ? 'all' : 'chosen',
    digestRegistrationIds: (g.registrationIds ?? []).map(String),
  };
}

/** A template field: empty means "the standard text". */
const templateFromForm = (v: unknown) => (text(v).trim() === '' ? undefined : text(v));

const templatesOf = (body: Body) => ({ titleTemplate: templateFromForm(body.titleTemplate), bodyTemplate: templateFromForm(body.bodyTemplate) });

/** A preset, or the custom number in minutes or seconds. */
function intervalFromForm(body: Body): unknown {
  if (body.digestInterval !== 'custom') return numberOrText(body.digestInterval);
  const n = numberOrText(body.digestCustom);
  if (typeof n !== 'number') return n;
  return body.digestCustomUnit === 'seconds' ? n : Math.round(n * 60 * 1000) / 1000;
}

/** The form as the API's PushSettings input (unvalidated). */
function settingsFromForm(body: Body): unknown {
  return {
    defaults: {
      ...Object.fromEntries(EVENT_SWITCHES.map((k) => [k, body[k] === 'on'])),
      failureThreshold: numberOrText(body.failureThreshold),
      repeat: body.repeat,
      notifyRecovery: body.notifyRecovery === 'on',
      registrationIds: registrationIdsFromForm(body.registrations, body.registrationIds),
      ...templatesOf(body),
    },
    digest: {
      enabled: body.digestEnabled === 'on',
      firstAt: text(body.digestFirstAt),
      intervalSeconds: intervalFromForm(body),
      timezone: text(body.digestTimezone) || null,
      registrationIds: registrationIdsFromForm(body.digestRegistrations, body.digestRegistrationIds),
    },
  };
}

const DIGEST_FIELDS: Record<string, string> = {
  enabled: 'digestEnabled',
  firstAt: 'digestFirstAt',
  intervalSeconds: 'digestInterval',
  timezone: 'digestTimezone',
  registrationIds: 'digestRegistrationIds',
};

/** The form field an error of the settings input belongs under ("defaults.registrationIds.0" → "registrationIds"). */
function formFieldOf(path: string): string {
  const [group, key = ''] = path.split('.');
  if (group === 'defaults') return key;
  if (group === 'digest') return DIGEST_FIELDS[key] ?? path;
  return path;
}

function formErrors(t: Translate, fields: FieldErrors | undefined): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [path, message] of Object.entries(fields ?? {})) {
    const field = formFieldOf(path);
    // Minutes or seconds, preset or not: one sentence says what the interval may be.
    errors[field] ??= field === 'digestInterval' ? t('push.settings.interval_invalid') : t(message.key, message.params);
  }
  return errors;
}

const previewSchema = pushDefaultsSchema.pick({ titleTemplate: true, bodyTemplate: true }).strict();

type PageLocals = { values: FormValues; errors?: Record<string, string>; formError?: string; templates?: { titleTemplate?: string; bodyTemplate?: string } };

export function pushSettingsRoutes(deps: { pushSettings: PushSettingsService; digests: DigestJob; push: PushService }) {
  const { pushSettings, digests, push } = deps;
  const router = Router();
  router.use('/push/settings', requirePageUser);

  /** The title and body a task event would get with these templates, on a sample failure. */
  function samplePreview(req: Request, templates: { titleTemplate?: string; bodyTemplate?: string }) {
    const { title, body } = pushSettings.preview(req.user!, templates);
    return { title, body, problems: translateFields(req.t, templateProblems(templates, '')) };
  }

  async function renderSettings(req: Request, res: Response, locals: PageLocals, status = 200) {
    const user = req.user!;
    const [stored, registrations, digest] = await Promise.all([pushSettings.get(user), push.list(user), digests.preview(user.id)]);
    const templates = locals.templates ?? { titleTemplate: stored.defaults.titleTemplate, bodyTemplate: stored.defaults.bodyTemplate };
    await renderPage(
      req,
      res,
      'push/settings',
      {
        title: req.t('push.settings.title'),
        values: locals.values,
        errors: locals.errors ?? {},
        formError: locals.formError,
        stored,
        registrations: registrationChoices(req.t, registrations),
        preview: samplePreview(req, templates),
        digestPreview: digest && { title: digest.title, text: digest.text(PREVIEW_TEXT_CHARS), windowStart: digest.windowStart, windowEnd: digest.windowEnd },
        presets: DIGEST_PRESETS_SECONDS,
        timeZones: TIME_ZONES,
        myZone: user.timezone ?? res.locals.timeZone,
        // The next digest also in its own zone when that is not the reader's.
        nextInDigestZone:
          stored.digest.nextAt !== null && stored.digest.timezone && stored.digest.timezone !== res.locals.timeZone
            ? timeFormatter(req.language, stored.digest.timezone)(stored.digest.nextAt)
            : undefined,
      },
      status,
    );
  }

  router.get('/push/settings', async (req, res) => {
    await renderSettings(req, res, { values: settingsFormValues(await pushSettings.get(req.user!)) });
  });

  router.post('/push/settings', async (req, res) => {
    const body = (req.body ?? {}) as Body;
    try {
      const parsed = pushSettingsSchema.safeParse(settingsFromForm(body), { reportInput: true });
      // A broken template is named together with the other mistakes, not only once they are fixed.
      if (!parsed.success) throw invalid({ ...templateProblems(templatesOf(body), 'defaults.'), ...fieldErrorsFrom(parsed.error) });
      await pushSettings.save(req.user!, parsed.data);
      flash(req, 'success', 'flash.push_settings_saved');
      res.redirect(303, '/push/settings');
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
      const errors = formErrors(req.t, err.fields);
      const formError = Object.keys(errors).length ? undefined : req.t(err.messageKey, err.params);
      await renderSettings(req, res, { values: keptValues(body), errors, formError, templates: templatesOf(body) }, err.status);
    }
  });

  // The live preview (htmx: the preview box alone), or the whole page again with the input kept.
  router.post('/push/settings/preview', async (req, res) => {
    const body = (req.body ?? {}) as Body;
    const parsed = previewSchema.safeParse(templatesOf(body));
    const templates = parsed.success ? parsed.data : {};
    const preview = samplePreview(req, templates);
    const problems = { ...(parsed.success ? {} : translateFields(req.t, fieldErrorsFrom(parsed.error))), ...preview.problems };
    if (isHtmx(req)) return renderPartial(req, res, 'push/_settings-preview', { preview: { ...preview, problems } });
    await renderSettings(req, res, { values: keptValues(body), errors: problems, templates });
  });

  router.post('/push/settings/digest/send', async (req, res) => {
    const sent = await digests.sendNow(req.user!.id);
    const formatTime = res.locals.formatTime as (ms: number) => string;
    flash(req, sent.outcome === 'queued' ? 'success' : 'info', `flash.digest_${sent.outcome}`, { count: sent.queued, from: formatTime(sent.windowStart), to: formatTime(sent.windowEnd) });
    res.redirect(303, '/push/settings#digest');
  });

  return router;
}
