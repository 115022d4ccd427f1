// /api/v1/push: the channel catalog, registrations, Test, and the delivery history.
import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '../lib/validation.js';
import { idParam } from '../web/forms.js';
import { requireApiUser } from '../accounts/auth-middleware.js';
import { catalogJson } from './catalog.js';
import type { ChannelType } from './channels/registry.js';
import { iso } from '../api/json.js';
import { pushDefaultsSchema, pushSettingsSchema } from './settings-schema.js';
import type { StoredPushSettings } from './settings-repo.js';
import type { PushSettingsService } from './settings-service.js';
import type { DigestJob } from './digest-job.js';
import { messageJson, registrationJson } from './json.js';
import { EVENTS, MESSAGE_STATUSES, registrationPatchSchema, registrationSchema, unsavedTestSchema, type PushService } from './service.js';

const messagesQuerySchema = z.object({
  status: z.enum(MESSAGE_STATUSES).optional(),
  registrationId: z.coerce.number().int().positive().optional(),
  event: z.enum(EVENTS).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().positive().optional(),
});

/** A saved registration's test may carry the edit in progress (not saved). */
const savedTestSchema = z.object({ config: z.record(z.string(), z.unknown()).optional(), name: z.string().max(100).optional() }).strict();

const previewSchema = pushDefaultsSchema.pick({ titleTemplate: true, bodyTemplate: true }).strict();

function settingsJson(s: StoredPushSettings) {
  return { defaults: s.defaults, digest: { ...s.digest, timezone: s.digest.timezone ?? null, nextAt: iso(s.digest.nextAt) } };
}

export function pushApi(deps: { push: PushService; pushSettings: PushSettingsService; digests: DigestJob }) {
  const { push, pushSettings, digests } = deps;
  const router = Router();
  router.use('/push', requireApiUser);

  router.get('/push/channels', (req, res) => {
    res.json({ items: catalogJson(req.t), mailConfigured: push.mailConfigured });
  });

  router.get('/push/registrations', async (req, res) => {
    res.json({ items: (await push.list(req.user!)).map(registrationJson) });
  });

  router.post('/push/registrations', async (req, res) => {
    const created = await push.create(req.user!, parseInput(registrationSchema, req.body));
    res.status(201).json(registrationJson(created));
  });

  router.get('/push/registrations/:id', async (req, res) => {
    res.json(registrationJson(await push.get(req.user!, idParam(req))));
  });

  router.patch('/push/registrations/:id', async (req, res) => {
    const id = idParam(req);
    res.json(registrationJson(await push.update(req.user!, id, parseInput(registrationPatchSchema, req.body))));
  });

  router.delete('/push/registrations/:id', async (req, res) => {
    await push.remove(req.user!, idParam(req));
    res.status(204).end();
  });

  router.post('/push/registrations/:id/test', async (req, res) => {
    const id = idParam(req);
    const body = parseInput(savedTestSchema, req.body ?? {});
    res.json(await push.test(req.user!, id, body.config, body.name));
  });

  router.post('/push/test', async (req, res) => {
    const { channel, config } = parseInput(unsavedTestSchema, req.body);
    res.json(await push.testUnsaved(req.user!, channel as ChannelType, config));
  });

  router.get('/push/settings', async (req, res) => {
    res.json(settingsJson(await pushSettings.get(req.user!)));
  });

  router.put('/push/settings', async (req, res) => {
    res.json(settingsJson(await pushSettings.save(req.user!, parseInput(pushSettingsSchema, req.body))));
  });

  // The live preview of title/body templates on a sample failure.
  router.post('/push/settings/preview', (req, res) => {
    const { title, body } = pushSettings.preview(req.user!, parseInput(previewSchema, req.body ?? {}));
    res.json({ title, body });
  });

  // "Send now for the last interval", and what the next digest would hold so far.
  router.post('/push/digest/send', async (req, res) => {
    const sent = await digests.sendNow(req.user!.id);
    res.json({ ...sent, windowStart: iso(sent.windowStart), windowEnd: iso(sent.windowEnd) });
  });

  router.get('/push/digest/preview', async (req, res) => {
    const digest = await digests.preview(req.user!.id);
    res.json(digest ? { empty: false, title: digest.title, body: digest.text(20_000), windowStart: iso(digest.windowStart), windowEnd: iso(digest.windowEnd) } : { empty: true });
  });

  router.get('/push/messages', async (req, res) => {
    const filter = parseInput(messagesQuerySchema, req.query);
    const page = await push.messages(req.user!, filter);
    const last = page.items.at(-1);
    res.json({ items: page.items.map(messageJson), ...(page.more && last ? { nextBefore: last.id } : {}) });
  });

  return router;
}
