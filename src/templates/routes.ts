// Template pages other than the editor: the list, a read-only view of public ones, "use this
// template", delete (with confirmation) and import.
import { Router } from 'express';
import { AppError } from '../lib/errors.js';
import { parseInput } from '../lib/validation.js';
import { flash } from '../web/flash.js';
import { idParam, renderFormError } from '../web/forms.js';
import { renderPage } from '../web/render.js';
import { requirePageUser } from '../accounts/auth-middleware.js';
import { importTemplate, importRequestSchema } from './import-service.js';
import { undeclaredVariables, type TemplatesService } from './service.js';

export function templateRoutes({ templates }: { templates: TemplatesService }) {
  const router = Router();
  router.use('/templates', requirePageUser);

  router.get('/templates', async (req, res) => {
    const all = await templates.list(req.user!);
    await renderPage(req, res, 'templates/list', {
      title: req.t('templates.title'),
      own: all.filter((t) => t.userId === req.user!.id),
      shared: all.filter((t) => t.userId !== req.user!.id),
    });
  });

  router.get('/templates/import', (req, res) => renderImport(req, res));

  router.post('/templates/import', async (req, res) => {
    const file = (req as { file?: { buffer: Buffer } }).file;
    const pasted = typeof req.body?.content === 'string' ? req.body.content : '';
    try {
      const content = file?.buffer.length ? file.buffer.toString('utf8') : pasted;
      if (!content.trim()) throw new AppError(400, 'invalid_input', 'errors.invalid_input', { content: { key: 'import.nothing_given' } });
      const request = parseInput(importRequestSchema, {
        format: req.body?.format || undefined,
        content,
        name: req.body?.name || undefined,
        dropStaticAssets: req.body?.dropStaticAssets === 'on',
      });
      const { template, warnings } = importTemplate(request);
      const created = await templates.create(req.user!, template);
      flash(req, 'success', 'flash.template_imported', { steps: template.steps.length });
      for (const w of warnings.slice(0, 10)) flash(req, 'info', w.key, w.params);
      res.redirect(303, `/templates/${created.id}/edit`);
    } catch (err) {
      await renderFormError(req, res, err, 'templates/import', { title: req.t('templates.import_title'), values: { ...req.body, content: pasted } });
    }
  });

  async function renderImport(req: Parameters<typeof renderPage>[0], res: Parameters<typeof renderPage>[1]) {
    await renderPage(req, res, 'templates/import', { title: req.t('templates.import_title'), values: { dropStaticAssets: 'on', format: '' } });
  }

  // Someone else's public template, read-only; one's own opens in the editor.
  router.get('/templates/:id', async (req, res) => {
    const template = await templates.visible(req.user!, idParam(req));
    if (template.userId === req.user!.id) return res.redirect(303, `/templates/${template.id}/edit`);
    await renderPage(req, res, 'templates/view', { title: template.name, template, undeclared: undeclaredVariables(template) });
  });

  router.post('/templates/:id/copy', async (req, res) => {
    const copy = await templates.copy(req.user!, idParam(req));
    flash(req, 'success', 'flash.template_copied');
    res.redirect(303, `/templates/${copy.id}/edit`);
  });

  router.get('/templates/:id/delete', async (req, res) => {
    const template = await templates.owned(req.user!, idParam(req));
    await renderPage(req, res, 'templates/delete', { title: req.t('templates.delete_title'), template });
  });

  router.post('/templates/:id/delete', async (req, res) => {
    const id = idParam(req);
    try {
      await templates.delete(req.user!, id);
      flash(req, 'success', 'flash.template_deleted');
      res.redirect(303, '/templates');
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      flash(req, 'error', err.messageKey, err.params);
      res.redirect(303, `/templates/${id}/edit`);
    }
  });

  return router;
}
