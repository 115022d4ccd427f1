// Push pages: the user's registrations with their delivery figures, the channel catalog, the add and
// edit forms generated from each channel's schema (secrets write-only), Test on a saved registration
// or on the form's unsaved values, enable/disable, delete after a confirmation, and the webhook
// secret generator. Every action works as a plain form post; htmx only swaps the answer in place.
import { Router, type Request, type Response } from 'express';
import { AppError, invalid, notFound, type FieldErrors } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import { parseInput } from '../lib/validation.js';
import { flash } from '../web/flash.js';
import { idParam } from '../web/forms.js';
import { renderPage, renderPartial } from '../web/render.js';
import { requirePageUser } from '../accounts/auth-middleware.js';
import { channelFields } from './catalog.js';
import { CHANNELS, CHANNEL_TYPES, isChannelType, type ChannelType } from './channels/registry.js';
import { generateWebhookSecret } from './channels/webhook.js';
import type { Registration } from './registrations-repo.js';
import {
  mergeConfig,
  registrationPatchSchema,
  registrationSchema,
  validateConfig,
  type PushService,
  type TestResult,
} from './service.js';
import {
  configPatchFromForm,
  createInputFromForm,
  formErrorKey,
  formValuesOf,
  keptFormValues,
  secretSummary,
  storedSecrets,
  text,
  typedSecrets,
  type FormValues,
} from './form.js';

type Body = Record<string, unknown>;
type Saved = Registration & { channel: ChannelType };

/** The field a "Generate" button fills: the webhook channel's signing secret. */
const GENERATED_FIELD = 'secret';

const isHtmx = (req: Request) => req.get('HX-Request') === 'true';

/** "3 hours ago", "in 2 minutes" in the reader's language. */
export function relativeFormatter(language: string, now: number) {
  const format = new Intl.RelativeTimeFormat(language, { numeric: 'auto' });
  const steps: [number, Intl.RelativeTimeFormatUnit][] = [[60, 'second'], [60, 'minute'], [24, 'hour'], [30, 'day'], [12, 'month']];
  return (ms: number) => {
    let value = (ms - now) / 1000;
    for (const [size, unit] of steps) {
      if (Math.abs(value) < size) return format.format(Math.round(value), unit);
      value /= size;
    }
    return format.format(Math.round(value), 'year');
  };
}

/** Runs each check and throws one 400 naming every bad field, so the form shows all problems at once. */
function checkAll(...checks: (() => unknown)[]): void {
  const fields: FieldErrors = {};
  for (const check of checks) {
    try {
      check();
    } catch (err) {
      if (!(err instanceof AppError) || !err.fields) throw err;
      Object.assign(fields, err.fields);
    }
  }
  if (Object.keys(fields).length) throw invalid(fields);
}

type FormLocals = {
  type: ChannelType;
  registration?: Saved;
  values: FormValues;
  errors?: Record<string, string>;
  formError?: string;
  testResult?: TestResult;
  /** A freshly generated secret per field, shown once so it can be copied to the receiver. */
  generated?: Record<string, string>;
  /** Secrets typed into the form that are not shown again: "type it again". */
  retype?: string[];
};

export function pushRoutes(deps: { push: PushService; clock: Clock }) {
  const { push, clock } = deps;
  const router = Router();
  router.use('/push', requirePageUser);

  async function savedOf(req: Request): Promise<Saved> {
    const registration = await push.get(req.user!, idParam(req));
    // A registration of a channel this version no longer has cannot be edited or tested.
    if (!isChannelType(registration.channel)) throw notFound();
    return registration as Saved;
  }

  async function listPage(req: Request, res: Response, testResults: Record<number, TestResult> = {}) {
    const items = await push.list(req.user!);
    await renderPage(req, res, 'push/list', {
      title: req.t('push.list.title'),
      items: items.map((r) => ({
        ...r,
        known: isChannelType(r.channel),
        label: isChannelType(r.channel) ? req.t(CHANNELS[r.channel].label) : r.channel,
        secrets: isChannelType(r.channel) ? secretSummary(r.channel, r.config) : [],
        rate: r.sent7d + r.failed7d > 0 ? Math.floor((r.sent7d / (r.sent7d + r.failed7d)) * 100) : undefined,
      })),
      testResults,
      mailConfigured: push.mailConfigured,
      relative: relativeFormatter(req.language, clock.now()),
    });
  }

  async function renderForm(req: Request, res: Response, locals: FormLocals, status = 200) {
    const { type, registration } = locals;
    const label = req.t(CHANNELS[type].label);
    await renderPage(
      req,
      res,
      'push/form',
      {
        title: registration ? req.t('push.form.edit_title', { name: registration.name }) : req.t('push.form.new_title', { channel: label }),
        channelType: type,
        channelLabel: label,
        registration,
        fields: channelFields(type),
        values: locals.values,
        errors: locals.errors ?? {},
        formError: locals.formError,
        stored: registration ? storedSecrets(registration) : {},
        testResult: locals.testResult,
        generated: locals.generated ?? {},
        retype: locals.retype ?? [],
        action: registration ? `/push/${registration.id}` : '/push',
        testAction: registration ? `/push/${registration.id}/test` : '/push/test',
        mailConfigured: push.mailConfigured,
      },
      status,
    );
  }

  /** Shows the form again with each error under its field; with htmx the whole form is swapped. */
  async function formFailure(req: Request, res: Response, err: unknown, locals: Omit<FormLocals, 'values'>) {
    if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
    const errors: Record<string, string> = {};
    for (const [path, message] of Object.entries(err.fields ?? {})) errors[formErrorKey(path)] ??= req.t(message.key, message.params);
    const formError = Object.keys(errors).length ? undefined : req.t(err.messageKey, err.params);
    if (isHtmx(req)) res.set({ 'HX-Retarget': '#push-form', 'HX-Reswap': 'outerHTML', 'HX-Reselect': '#push-form' });
    const body = (req.body ?? {}) as Body;
    await renderForm(req, res, { ...locals, values: keptFormValues(locals.type, body), errors, formError, retype: typedSecrets(locals.type, body) }, err.status);
  }

  /** A Test's answer: the result area alone for htmx, else the whole form again with the answer. */
  async function answerFormTest(req: Request, res: Response, result: TestResult, locals: Omit<FormLocals, 'values'>) {
    if (isHtmx(req)) return renderPartial(req, res, 'push/_test-result', { result, resultId: 'test-result' });
    const body = (req.body ?? {}) as Body;
    await renderForm(req, res, { ...locals, values: keptFormValues(locals.type, body), testResult: result, retype: typedSecrets(locals.type, body) });
  }

  /** The form again with a new webhook secret filled in (the "Generate" button without JavaScript). */
  async function withGeneratedSecret(req: Request, res: Response, locals: Omit<FormLocals, 'values'>) {
    const body = (req.body ?? {}) as Body;
    const retype = typedSecrets(locals.type, body).filter((name) => name !== GENERATED_FIELD);
    await renderForm(req, res, { ...locals, values: keptFormValues(locals.type, body), generated: { [GENERATED_FIELD]: generateWebhookSecret() }, retype });
  }

  router.get('/push', (req, res) => listPage(req, res));

  router.get('/push/new', async (req, res) => {
    await renderPage(req, res, 'push/catalog', {
      title: req.t('push.catalog.title'),
      channels: CHANNEL_TYPES.map((type) => ({ type, label: req.t(CHANNELS[type].label) })),
      mailConfigured: push.mailConfigured,
    });
  });

  router.get('/push/new/:channel', async (req, res) => {
    const type = req.params.channel;
    if (!isChannelType(type)) throw notFound();
    await renderForm(req, res, { type, values: { name: req.t(CHANNELS[type].label), enabled: true, config: {} } });
  });

  router.post('/push', async (req, res) => {
    const body = (req.body ?? {}) as Body;
    const type = body.channel;
    if (!isChannelType(type)) throw notFound();
    if (body.op === 'generate-secret') return withGeneratedSecret(req, res, { type });
    try {
      const input = createInputFromForm(type, body);
      checkAll(
        () => parseInput(registrationSchema, input),
        () => validateConfig(type, input.config),
      );
      await push.create(req.user!, parseInput(registrationSchema, input));
      flash(req, 'success', 'flash.push_created', { name: input.name });
      res.redirect(303, '/push');
    } catch (err) {
      await formFailure(req, res, err, { type });
    }
  });

  // Test on the add form: the values as they are, nothing saved.
  router.post('/push/test', async (req, res) => {
    const body = (req.body ?? {}) as Body;
    const type = body.channel;
    if (!isChannelType(type)) throw notFound();
    let result: TestResult;
    try {
      const input = createInputFromForm(type, body);
      result = await push.testUnsaved(req.user!, type, input.config, input.name || req.t(CHANNELS[type].label));
    } catch (err) {
      return formFailure(req, res, err, { type });
    }
    await answerFormTest(req, res, result, { type });
  });

  // The "Generate" button with htmx: the secret field again, filled with a new secret.
  router.post('/push/webhook-secret', async (req, res) => {
    const field = channelFields('webhook').find((f) => f.name === GENERATED_FIELD)!;
    await renderPartial(req, res, 'push/_secret-slot', { field, inputId: `f-config-${field.name}`, describedBy: '', generated: generateWebhookSecret() });
  });

  router.get('/push/:id/edit', async (req, res) => {
    const registration = await savedOf(req);
    await renderForm(req, res, { type: registration.channel, registration, values: formValuesOf(registration) });
  });

  router.post('/push/:id', async (req, res) => {
    const registration = await savedOf(req);
    const type = registration.channel;
    const body = (req.body ?? {}) as Body;
    if (body.op === 'generate-secret') return withGeneratedSecret(req, res, { type, registration });
    try {
      const patch = { name: text(body.name).trim(), enabled: body.enabled === 'on', config: configPatchFromForm(type, body) };
      checkAll(
        () => parseInput(registrationPatchSchema, patch),
        () => validateConfig(type, mergeConfig(CHANNELS[type], registration.config, patch.config)),
      );
      await push.update(req.user!, registration.id, parseInput(registrationPatchSchema, patch));
      flash(req, 'success', 'flash.push_saved', { name: patch.name });
      res.redirect(303, '/push');
    } catch (err) {
      await formFailure(req, res, err, { type, registration });
    }
  });

  // Test from the list (the saved registration) or from the edit form (its unsaved edit merged over it).
  router.post('/push/:id/test', async (req, res) => {
    const registration = await savedOf(req);
    const body = (req.body ?? {}) as Body;
    if (body.fromForm === '1') {
      const type = registration.channel;
      let result: TestResult;
      try {
        result = await push.test(req.user!, registration.id, configPatchFromForm(type, body), text(body.name).trim() || undefined);
      } catch (err) {
        return formFailure(req, res, err, { type, registration });
      }
      return answerFormTest(req, res, result, { type, registration });
    }
    let result: TestResult;
    try {
      result = await push.test(req.user!, registration.id);
    } catch (err) {
      // A saved config that no longer passes its channel's rules (a stricter version): say so, like a failed send.
      if (!(err instanceof AppError) || err.status !== 400) throw err;
      result = { ok: false, error: req.t('push.list.config_invalid') };
    }
    if (isHtmx(req)) return renderPartial(req, res, 'push/_test-result', { result, resultId: `test-result-${registration.id}` });
    await listPage(req, res, { [registration.id]: result });
  });

  router.post('/push/:id/toggle', async (req, res) => {
    const registration = await push.get(req.user!, idParam(req));
    await push.update(req.user!, registration.id, { enabled: !registration.enabled });
    flash(req, 'success', registration.enabled ? 'flash.push_disabled' : 'flash.push_enabled', { name: registration.name });
    res.redirect(303, '/push');
  });

  router.get('/push/:id/delete', async (req, res) => {
    const registration = await push.get(req.user!, idParam(req));
    await renderPage(req, res, 'push/delete', { title: req.t('push.delete.title'), registration });
  });

  router.post('/push/:id/delete', async (req, res) => {
    const registration = await push.get(req.user!, idParam(req));
    await push.remove(req.user!, registration.id);
    flash(req, 'success', 'flash.push_deleted', { name: registration.name });
    res.redirect(303, '/push');
  });

  return router;
}
