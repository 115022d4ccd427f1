// Admin pages: the user list (disable/enable, role, delete), site settings, and a test mail to the
// admin's own address that shows what the SMTP server answered.
import { Router, type Request, type Response } from 'express';
import type { Config } from '../config.js';
import { AppError } from '../lib/errors.js';
import { describeMailError, type Mailer } from '../lib/mailer.js';
import { mailHtml } from '../push/channels/email.js';
import { parseInput } from '../lib/validation.js';
import { flash } from '../web/flash.js';
import { idParam, renderFormError } from '../web/forms.js';
import { translateFields } from '../web/error-handler.js';
import { renderPage, renderPartial } from '../web/render.js';
import { requireAdmin, requirePageUser } from './auth-middleware.js';
import { USERS_PAGE_SIZE, type AdminService } from './admin-service.js';
import { adminUserPatchSchema, auditQuerySchema, siteSettingsPatchSchema } from './schema.js';
import { auditContext } from './lifecycle-routes.js';
import { AUDIT_ACTIONS, AUDIT_PAGE_SIZE } from './audit.js';

// What each button on the user list does.
const USER_ACTIONS = {
  disable: { status: 'disabled' },
  enable: { status: 'active' },
  'make-admin': { role: 'admin' },
  'make-user': { role: 'user' },
} as const;

/** What the test mail came to: the server's answer, a plain reason, or "mail is not set up". */
type MailTestResult = { ok: true; response: string } | { ok: false; error: string } | { ok: false; notConfigured: true };

export function adminRoutes({ admin, mailer, mailConfig }: { admin: AdminService; mailer?: Mailer; mailConfig?: Config['mail'] }) {
  const router = Router();
  router.use('/admin', requirePageUser, requireAdmin);

  /** The settings page's mail section: whether mail is set up, and through which server. */
  const mailLocals = () => ({ mailConfigured: mailer !== undefined, mailServer: mailConfig?.host ? `${mailConfig.host}:${mailConfig.port}` : '' });

  async function sendTestMail(req: Request): Promise<MailTestResult> {
    if (!mailer || !mailConfig) return { ok: false, notConfigured: true };
    const text = req.t('admin.mail_test.body', { email: req.user!.email });
    try {
      const info = await mailer.send({ to: req.user!.email, subject: req.t('admin.mail_test.subject'), text, html: mailHtml(text, undefined) });
      return { ok: true, response: info.response };
    } catch (err) {
      return { ok: false, error: describeMailError(err, mailConfig) };
    }
  }

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
      await admin.updateUser(req.user!, id, parseInput(adminUserPatchSchema, action), auditContext(req));
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
      await admin.deleteUser(req.user!, id, auditContext(req));
      flash(req, 'success', 'flash.user_deleted');
      res.redirect(303, '/admin/users');
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 404 || err.status >= 500) throw err;
      await usersPage(req, res, err.status, req.t(err.messageKey, err.params));
    }
  });

  router.get('/admin/audit', async (req, res) => {
    // A mistyped address (?before=abc) shows the newest page with what is wrong in it, as a 400.
    let query: { before?: number; action?: string } = {};
    let formError: string | undefined;
    try {
      query = parseInput(auditQuerySchema, req.query);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      formError = Object.entries(translateFields(req.t, err.fields)).map(([field, message]) => `${field}: ${message}`).join(' ');
    }
    const action = query.action && (AUDIT_ACTIONS as readonly string[]).includes(query.action) ? query.action : '';
    const entries = await admin.listAudit({ before: query.before, action: action || undefined, limit: AUDIT_PAGE_SIZE });
    const nextBefore = entries.length === AUDIT_PAGE_SIZE ? entries[entries.length - 1]!.id : null;
    await renderPage(
      req,
      res,
      'admin/audit',
      { title: req.t('lifecycle.audit.title'), entries, action, actions: AUDIT_ACTIONS, nextBefore, first: query.before === undefined, formError },
      formError ? 400 : 200,
    );
  });

  router.get('/admin/settings', async (req, res) => {
    const settings = await admin.getSettings();
    await renderPage(req, res, 'admin/settings', { title: req.t('admin.settings.title'), values: settings, ...mailLocals() });
  });

  router.post('/admin/settings/test-mail', async (req, res) => {
    const mailResult = await sendTestMail(req);
    if (req.get('HX-Request') === 'true') return renderPartial(req, res, 'admin/_mail-result', { mailResult });
    const settings = await admin.getSettings();
    await renderPage(req, res, 'admin/settings', { title: req.t('admin.settings.title'), values: settings, ...mailLocals(), mailResult });
  });

  router.post('/admin/settings', async (req, res) => {
    try {
      // An unticked checkbox sends nothing: absent means "closed".
      const changes = parseInput(siteSettingsPatchSchema, {
        registrationOpen: req.body?.registrationOpen === 'on',
        mustVerifyEmail: req.body?.mustVerifyEmail === 'on',
        logRetentionDays: req.body?.logRetentionDays ?? '',
      });
      await admin.updateSettings(changes, auditContext(req));
      flash(req, 'success', 'flash.settings_saved');
      res.redirect(303, '/admin/settings');
    } catch (err) {
      await renderFormError(req, res, err, 'admin/settings', {
        title: req.t('admin.settings.title'),
        ...mailLocals(),
        values: { registrationOpen: req.body?.registrationOpen === 'on', mustVerifyEmail: req.body?.mustVerifyEmail === 'on', logRetentionDays: req.body?.logRetentionDays },
      });
    }
  });

  return router;
}
