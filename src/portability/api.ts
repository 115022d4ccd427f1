// /api/v1/export and /api/v1/import. GET exports without secrets; POST with a passphrase in the body
// (never in the URL, where logs and histories keep it) seals them into the file.
import { Router, type Request, type Response } from 'express';
import { invalid } from '../lib/errors.js';
import { parseInput } from '../lib/validation.js';
import { requireApiUser } from '../accounts/auth-middleware.js';
import type { Clock } from '../lib/clock.js';
import { exportRequestSchema, importRequestSchema } from './schema.js';
import { exportFileName, reportJson, type PortabilityService } from './service.js';

export function portabilityApi(deps: { portability: PortabilityService; clock: Clock; defaultTimezone: string }) {
  const { portability, clock } = deps;
  const router = Router();
  router.use(['/export', '/import'], requireApiUser);

  async function sendExport(req: Request, res: Response, passphrase?: string) {
    const file = await portability.export(req.user!, passphrase);
    res.set('Content-Disposition', `attachment; filename="${exportFileName(clock.now(), req.user!.timezone ?? deps.defaultTimezone)}"`);
    res.set('Cache-Control', 'no-store');
    res.json(file);
  }

  router.get('/export', async (req, res) => {
    // Said out loud rather than ignored: the caller expects sealed secrets and would get none.
    if ('passphrase' in req.query) throw invalid({ passphrase: { key: 'portability.errors.passphrase_in_url' } });
    await sendExport(req, res);
  });

  router.post('/export', async (req, res) => {
    const { passphrase } = parseInput(exportRequestSchema, req.body ?? {});
    await sendExport(req, res, passphrase);
  });

  router.post('/import', async (req, res) => {
    const { file, passphrase, replacePushSettings } = parseInput(importRequestSchema, req.body ?? {});
    const report = await portability.import(req.user!, file, { passphrase: passphrase || undefined, replacePushSettings });
    res.json(reportJson(req.t, report));
  });

  return router;
}
