// The "Your data" page: export (a download, secrets sealed with a passphrase typed twice) and import
// (an uploaded file, then the report). The upload is read by multer before the CSRF check (app.ts).
import { Router, type Request, type Response } from 'express';
import { invalid } from '../lib/errors.js';
import { parseInput } from '../lib/validation.js';
import { renderFormError } from '../web/forms.js';
import { renderPage } from '../web/render.js';
import { requirePageUser } from '../accounts/auth-middleware.js';
import type { Clock } from '../lib/clock.js';
import { exportFormSchema, importFormSchema } from './schema.js';
import { exportFileName, reportJson, type PortabilityService } from './service.js';

const VIEW = 'accounts/data';

export function portabilityRoutes(deps: { portability: PortabilityService; clock: Clock; defaultTimezone: string }) {
  const { portability, clock } = deps;
  const router = Router();
  router.use('/account/data', requirePageUser);

  const title = (req: Request) => req.t('portability.title');
  // A passphrase is never shown back in a page.
  const failed = (req: Request, res: Response, err: unknown, form: 'export' | 'import') => renderFormError(req, res, err, VIEW, { title: title(req), form, values: {} });

  router.get('/account/data', async (req, res) => {
    await renderPage(req, res, VIEW, { title: title(req) });
  });

  router.post('/account/data/export', async (req, res) => {
    try {
      // As sent: a field given twice (an array) is refused, not read as "no passphrase".
      const form = parseInput(exportFormSchema, { passphrase: req.body?.passphrase, passphraseConfirm: req.body?.passphraseConfirm });
      if (form.passphrase !== form.passphraseConfirm) throw invalid({ passphraseConfirm: { key: 'portability.errors.passphrases_differ' } });
      const file = await portability.export(req.user!, form.passphrase || undefined);
      res.set('Content-Disposition', `attachment; filename="${exportFileName(clock.now(), req.user!.timezone ?? deps.defaultTimezone)}"`);
      res.set('Cache-Control', 'no-store');
      res.type('application/json').send(JSON.stringify(file, null, 2));
    } catch (err) {
      await failed(req, res, err, 'export');
    }
  });

  router.post('/account/data/import', async (req, res) => {
    const upload = (req as { file?: { buffer: Buffer } }).file;
    try {
      if (!upload?.buffer.length) throw invalid({ file: { key: 'portability.errors.no_file' } });
      const { passphrase, replacePushSettings } = parseInput(importFormSchema, { passphrase: req.body?.filePassphrase, replacePushSettings: req.body?.replacePushSettings });
      const report = await portability.import(req.user!, upload.buffer.toString('utf8'), {
        passphrase: passphrase || undefined,
        replacePushSettings: replacePushSettings === 'on',
      });
      await renderPage(req, res, VIEW, { title: title(req), report: reportJson(req.t, report) });
    } catch (err) {
      await failed(req, res, err, 'import');
    }
  });

  return router;
}
