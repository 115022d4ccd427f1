// /api/v1/admin: users and site settings, for admins.
import { Router } from 'express';
import { parseInput } from '../lib/validation.js';
import { idParam } from '../web/forms.js';
import { iso } from '../api/json.js';
import { requireAdmin, requireApiUser } from './auth-middleware.js';
import { adminUserPatchSchema, auditQuerySchema, siteSettingsPatchSchema } from './schema.js';
import { auditContext } from './lifecycle-routes.js';
import type { AuditEntry } from './audit.js';
import type { AdminService } from './admin-service.js';
import type { User } from './users-repo.js';

const userJson = (u: User) => ({
  id: u.id,
  email: u.email,
  role: u.role,
  status: u.status,
  createdAt: iso(u.createdAt),
  lastLoginAt: iso(u.lastLoginAt),
});

const auditJson = (e: AuditEntry) => ({
  id: e.id,
  at: iso(e.at),
  actorUserId: e.actorUserId,
  action: e.action,
  targetType: e.targetType,
  targetId: e.targetId,
  ip: e.ip,
  detail: e.detail,
});

export function adminApi({ admin }: { admin: AdminService }) {
  const router = Router();
  router.use('/admin', requireApiUser, requireAdmin);

  router.get('/admin/users', async (req, res) => {
    const page = Math.max(1, Number.parseInt(String(req.query.page ?? '1'), 10) || 1);
    const { items, total } = await admin.listUsers(page);
    res.json({ items: items.map(userJson), total, page });
  });

  router.get('/admin/users/:id', async (req, res) => {
    res.json(userJson(await admin.getUser(idParam(req))));
  });

  router.patch('/admin/users/:id', async (req, res) => {
    const id = idParam(req);
    res.json(userJson(await admin.updateUser(req.user!, id, parseInput(adminUserPatchSchema, req.body), auditContext(req))));
  });

  router.delete('/admin/users/:id', async (req, res) => {
    await admin.deleteUser(req.user!, idParam(req), auditContext(req));
    res.status(204).end();
  });

  // Newest first; the next page is ?before=<the last id>.
  router.get('/admin/audit', async (req, res) => {
    const query = parseInput(auditQuerySchema, req.query);
    const items = await admin.listAudit(query);
    const limit = query.limit ?? 50;
    res.json({ items: items.map(auditJson), nextBefore: items.length === limit ? items[items.length - 1]!.id : null });
  });

  router.get('/admin/settings', async (_req, res) => {
    res.json(await admin.getSettings());
  });

  router.put('/admin/settings', async (req, res) => {
    res.json(await admin.updateSettings(parseInput(siteSettingsPatchSchema, req.body), auditContext(req)));
  });

  return router;
}
