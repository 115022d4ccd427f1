// /api/v1/tasks and /api/v1/runs.
import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '../lib/validation.js';
import { idParam } from '../web/forms.js';
import { requireApiUser } from '../accounts/auth-middleware.js';
import type { RunsService } from '../runs/service.js';
import { runJson } from '../runs/json.js';
import { scheduleSchema, taskPatchSchema, taskSchema } from './schema.js';
import { taskJson } from './json.js';
import { secretNames, type TasksService } from './service.js';

const previewSchema = z.object({ schedule: scheduleSchema, count: z.number().int().min(1).max(20).default(5) }).strict();

const runsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional(),
  before: z.coerce.number().int().positive().optional(),
});

export function tasksApi(deps: { tasks: TasksService; runs: RunsService }) {
  const { tasks, runs } = deps;
  const router = Router();
  router.use(['/tasks', '/runs'], requireApiUser);

  async function shown(req: Parameters<typeof requireApiUser>[0], id: number) {
    const { task, template } = await tasks.withTemplate(req.user!, id);
    const [last] = task.lastRunId ? await runs.lastRuns([task.lastRunId]) : [];
    return taskJson(task, secretNames(template), last);
  }

  router.get('/tasks', async (req, res) => {
    const list = await tasks.list(req.user!);
    const secrets = await tasks.secretNamesByTemplate(req.user!, list);
    const last = new Map((await runs.lastRuns(list.flatMap((t) => (t.lastRunId ? [t.lastRunId] : [])))).map((r) => [r.id, r]));
    res.json({ items: list.map((t) => taskJson(t, secrets.get(t.templateId) ?? new Set(), t.lastRunId ? last.get(t.lastRunId) : undefined)) });
  });

  router.post('/tasks', async (req, res) => {
    const created = await tasks.create(req.user!, parseInput(taskSchema, req.body));
    res.status(201).json(await shown(req, created.id));
  });

  // The next run times of a schedule, before saving it (the task form's preview).
  router.post('/schedules/preview', requireApiUser, async (req, res) => {
    const { schedule, count } = parseInput(previewSchema, req.body);
    const { zone, slots } = tasks.preview(req.user!, schedule, count);
    res.json({ timezone: zone, next: slots.map((s) => new Date(s).toISOString()) });
  });

  router.get('/tasks/:id', async (req, res) => {
    res.json(await shown(req, idParam(req)));
  });

  router.patch('/tasks/:id', async (req, res) => {
    const id = idParam(req);
    await tasks.update(req.user!, id, parseInput(taskPatchSchema, req.body));
    res.json(await shown(req, id));
  });

  router.delete('/tasks/:id', async (req, res) => {
    await tasks.delete(req.user!, idParam(req));
    res.status(204).end();
  });

  // A manual run: waits for it to finish and answers the whole run.
  router.post('/tasks/:id/run', async (req, res) => {
    res.json(runJson(await runs.runTask(req.user!, idParam(req))));
  });

  router.get('/tasks/:id/runs', async (req, res) => {
    const id = idParam(req);
    const page = parseInput(runsQuerySchema, req.query);
    res.json({ items: (await runs.listForTask(req.user!, id, page)).map(runJson) });
  });

  router.get('/runs/:id', async (req, res) => {
    res.json(runJson(await runs.get(req.user!, idParam(req))));
  });

  return router;
}
