// /api/v1/templates: list, create, read, change, delete, import, test, copy.
import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '../lib/validation.js';
import { idParam } from '../web/forms.js';
import { requireApiUser } from '../accounts/auth-middleware.js';
import type { RunsService } from '../runs/service.js';
import { dryRunJson } from '../runs/json.js';
import type { Clock } from '../lib/clock.js';
import { templatePatchSchema, templateSchema } from './schema.js';
import { templateJson, templateSummaryJson } from './json.js';
import { importTemplate, importRequestSchema } from './import-service.js';
import type { TemplatesService } from './service.js';

const testSchema = z.object({ variables: z.record(z.string(), z.string().max(10_000)).optional() }).strict();

export function templatesApi(deps: { templates: TemplatesService; runs: RunsService; clock: Clock }) {
  const { templates, runs, clock } = deps;
  const router = Router();
  router.use('/templates', requireApiUser);

  router.get('/templates', async (req, res) => {
    res.json({ items: (await templates.list(req.user!)).map((t) => templateSummaryJson(t, req.user!.id)) });
  });

  router.post('/templates', async (req, res) => {
    const created = await templates.create(req.user!, parseInput(templateSchema, req.body));
    res.status(201).json(templateJson(created, req.user!.id));
  });

  router.post('/templates/import', async (req, res) => {
    const { template, warnings } = importTemplate(parseInput(importRequestSchema, req.body));
    const created = await templates.create(req.user!, template);
    res.status(201).json({ ...templateJson(created, req.user!.id), warnings: warnings.map((w) => req.t(w.key, w.params)) });
  });

  router.get('/templates/:id', async (req, res) => {
    res.json(templateJson(await templates.visible(req.user!, idParam(req)), req.user!.id));
  });

  router.patch('/templates/:id', async (req, res) => {
    const id = idParam(req);
    const updated = await templates.update(req.user!, id, parseInput(templatePatchSchema, req.body));
    res.json(templateJson(updated, req.user!.id));
  });

  router.delete('/templates/:id', async (req, res) => {
    await templates.delete(req.user!, idParam(req));
    res.status(204).end();
  });

  router.post('/templates/:id/copy', async (req, res) => {
    res.status(201).json(templateJson(await templates.copy(req.user!, idParam(req)), req.user!.id));
  });

  // A dry run of the saved template: nothing stored, nothing pushed.
  router.post('/templates/:id/test', async (req, res) => {
    const template = await templates.runnable(req.user!, idParam(req));
    const { variables } = parseInput(testSchema, req.body ?? {});
    const startedAt = clock.now();
    const outcome = await runs.testRecipe(template, variables);
    res.json(dryRunJson(outcome, startedAt, clock.now()));
  });

  return router;
}
