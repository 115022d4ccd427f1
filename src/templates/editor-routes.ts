// The template editor pages: new and edit, the editing buttons, save, and "Test" (a dry run of the
// draft as it stands, nothing saved).
import { Router, type Request, type Response } from 'express';
import { AppError } from '../lib/errors.js';
import { fieldErrorsFrom } from '../lib/validation.js';
import { flash } from '../web/flash.js';
import { idParam } from '../web/forms.js';
import { renderPage } from '../web/render.js';
import { translateFields } from '../web/error-handler.js';
import { requirePageUser } from '../accounts/auth-middleware.js';
import type { RunsService } from '../runs/service.js';
import type { RunOutcome } from '../runs/types.js';
import type { Template } from './repo.js';
import { templateSchema, usedVariableNames, type Step } from './schema.js';
import { applyOp, draftFromBody, draftFromTemplate, emptyDraft, inputFromDraft, literalCookie, whereOf, EDITOR_CHOICES, type Draft } from './form.js';
import { keepSecretDefaults, type TemplatesService } from './service.js';

type EditorState = { draft: Draft; template?: Template; errors?: Record<string, string>; testResult?: RunOutcome; status?: number };

export function templateEditorRoutes(deps: { templates: TemplatesService; runs: RunsService }) {
  const { templates, runs } = deps;
  const router = Router();
  router.use('/templates', requirePageUser);

  async function renderEditor(req: Request, res: Response, state: EditorState) {
    const { draft, template } = state;
    const { input } = inputFromDraft(draft);
    const declared = new Set(draft.variables.map((v) => v.name));
    const undeclared = usedVariableNames(input.steps as Step[], draft.log).filter((n) => !declared.has(n));
    const storedSecrets = new Set((template?.variables ?? []).filter((v) => v.secret && v.default !== undefined).map((v) => v.name));
    await renderPage(
      req,
      res,
      'templates/editor',
      {
        title: template ? req.t('templates.edit_title', { name: template.name }) : req.t('templates.new_title'),
        draft,
        template,
        action: template ? `/templates/${template.id}/edit` : '/templates/new',
        errors: state.errors ?? {},
        undeclared,
        storedSecrets,
        testResult: state.testResult,
        choices: EDITOR_CHOICES,
        whereOf,
        literalCookie,
      },
      state.status ?? 200,
    );
  }

  async function submit(req: Request, res: Response, template?: Template) {
    const draft = draftFromBody(req.body ?? {});
    const op = typeof req.body?.op === 'string' ? req.body.op : 'save';
    if (op !== 'save' && op !== 'test') {
      if (!applyOp(draft, op)) throw new AppError(400, 'invalid_input', 'errors.unknown_action');
      return renderEditor(req, res, { draft, template });
    }
    const { input, lineErrors } = inputFromDraft(draft);
    const parsed = templateSchema.safeParse(input, { reportInput: true });
    const fieldErrors = { ...(parsed.success ? {} : fieldErrorsFrom(parsed.error)), ...lineErrors };
    if (!parsed.success || Object.keys(lineErrors).length) {
      return renderEditor(req, res, { draft, template, errors: translateFields(req.t, fieldErrors), status: 400 });
    }
    const value = parsed.data;
    if (op === 'test') {
      const variables = template ? keepSecretDefaults(value.variables, template.variables) : value.variables;
      const testResult = await runs.testRecipe({ steps: value.steps, log: value.log, variables });
      return renderEditor(req, res, { draft, template, testResult });
    }
    const saved = template ? await templates.update(req.user!, template.id, value) : await templates.create(req.user!, value);
    flash(req, 'success', template ? 'flash.template_saved' : 'flash.template_created');
    const to = `/templates/${saved.id}/edit`;
    // htmx asks with XHR; a full page load shows the saved template at its own address.
    if (req.headers['hx-request']) return void res.set('HX-Redirect', to).status(204).end();
    res.redirect(303, to);
  }

  router.get('/templates/new', (req, res) => renderEditor(req, res, { draft: emptyDraft() }));
  router.post('/templates/new', (req, res) => submit(req, res));

  router.get('/templates/:id/edit', async (req, res) => {
    const template = await templates.owned(req.user!, idParam(req));
    await renderEditor(req, res, { draft: draftFromTemplate(template), template });
  });
  router.post('/templates/:id/edit', async (req, res) => submit(req, res, await templates.owned(req.user!, idParam(req))));

  return router;
}
