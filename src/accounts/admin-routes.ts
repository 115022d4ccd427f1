// Admin pages: the user list (disable/enable, role, delete) and site settings.
import { Router, type Request, type Response } from 'express';
import { AppError } from '../lib/errors.js';
import { parseInput } from '../lib/validation.js';
import { flash } from '../web/flash.js';
import { idParam, renderFormError } from '../web/forms.js';
import { renderPage } from '../web/render.js';
import { requireAdmin, requirePageUser } from './auth-middleware.js';
import { USERS_PAGE_SIZE, type AdminService } from './admin-service.js';
import { adminUserPatchSchema, siteSettingsPatchSchema } from './schema.js';

// What each button on the user list does.
const USER_ACTIONS = {
  disable: { status: 'disabled' },
  enable: { status: 'active' },
  'make-admin': { role: 'admin' },
  'make-user': { role: 'user' },
} as const;

export function adminRoutes({ admin }: { admin: AdminService }) {
  const router = Router();
  router.use('/admin', requirePageUser, requireAdmin);

  async function usersPage(req: Request, res: Response, status = 200, formError?: string) {
    const page = Math.max(1, Number.parseInt(String(req.query.page ?? '1'), 10) || 1);
    const { items, total } = await admin.listUsers(page);
    await renderPage(
      req,
      res,
      'admin/users',
      { title: req.t('admin.users.title'), users: items, page, pages: Math.max(1, Math.ceil(total / USERS_PAGE_SIZE)), total, formError },
      status,
    );
  }

  router.get('/admin', (_req, res) => res.redirect(303, '/admin/users'));
  router.get('/admin/users', (req, res) => usersPage(req, res));

  router.post('/admin/users/:id', async (req, res) => {
    const id = idParam(req);
    const action = USER_ACTIONS[req.body?.action as keyof typeof USER_ACTIONS];
    try {
      if (!action) throw new AppError(400, 'invalid_input', 'errors.unknown_action');
      await admin.updateUser(req.user!, id, parseInput(adminUserPatchSchema, action));
      flash(req, 'success', `flash.user_${req.body.action}`);
      res.redirect(303, `/admin/users${req.query.page ? `?page=${Number(req.query.page) || 1}` : ''}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 404 || err.status >= 500) throw err;
      await usersPage(req, res, err.status, req.t(err.messageKey, err.params));
    }
  });

  router.get('/admin/users/:id/delete', async (req, res) => {
    const target = await admin.getUser(idParam(req));
    await renderPage(req, res, 'admin/delete-user', { title: req.t('admin.delete.title'), target });
  });

  router.post('/admin/users/:id/delete', async (req, res) => {
    const id = idParam(req);
    try {
      await admin.deleteUser(req.user!, id);
      flash(req, 'success', 'flash.user_deleted');
      res.redirect(303, '/admin/users');
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 404 || err.status >= 500) throw err;
      await usersPage(req, res, err.status, req.t(err.messageKey, err.params));
    }
  });

  router.get('/admin/settings', async (req, res) => {
    const settings = await admin.getSettings();
    await renderPage(req, res, 'admin/settings', { title: req.t('admin.settings.title'), values: settings });
  });

  router.post('/admin/settings', async (req, res) => {
    try {
      // An unticked checkbox sends nothing: absent means "closed".
      const changes = parseInput(siteSettingsPatchSchema, {
        registrationOpen: req.body?.registrationOpen === 'on',
        logRetentionDays: req.body?.logRetentionDays ?? '',
      });
      await admin.updateSettings(changes);
      flash(req, 'success', 'flash.settings_saved');
      res.redirect(303, '/admin/settings');
    } catch (err) {
      await renderFormError(req, res, err, 'admin/settings', {
        title: req.t('admin.settings.title'),
        values: { registrationOpen: req.body?.registrationOpen === 'on', logRetentionDays: req.body?.logRetentionDays },
      });
    }
  });

  return router;
}
