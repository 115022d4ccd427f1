// Pages of the account lifecycle: forgot/reset password, verify email (link, resend, banner), change
// email, delete one's own account; and the gate that keeps unverified users from creating tasks and
// push registrations while the site requires verified addresses.
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { promisify } from 'node:util';
import { AppError } from '../lib/errors.js';
import { parseInput } from '../lib/validation.js';
import { flash } from '../web/flash.js';
import { renderFormError } from '../web/forms.js';
import { renderPage } from '../web/render.js';
import { requirePageUser, safeNext } from './auth-middleware.js';
import { accountDeleteSchema, forgotPasswordSchema, resetPasswordFormSchema } from './schema.js';
import type { LifecycleService } from './lifecycle-service.js';
import type { User } from './users-repo.js';

export type LifecycleLimits = { forgot: RequestHandler[]; reset: RequestHandler[] };

/** Who acted and from where, for the audit log. */
export const auditContext = (req: Request) => ({ actorUserId: req.user?.id ?? null, ip: req.ip ?? null });

/** Ends the visitor's session (keeping their language), e.g. after their account or password went away. */
export async function freshSession(req: Request) {
  const language = req.session.language;
  await promisify(req.session.regenerate.bind(req.session))();
  if (language) req.session.language = language;
  req.user = undefined;
}

export const emailNotVerified = () => new AppError(403, 'email_not_verified', 'lifecycle.errors.email_not_verified');

/** Refuses the request when its user must verify their address first (pages and API alike). */
export function verificationGate(lifecycle: LifecycleService): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    if (req.user && (await lifecycle.isGated(req.user))) return next(emailNotVerified());
    next();
  };
}

export function lifecycleRoutes({ lifecycle, limits }: { lifecycle: LifecycleService; limits: LifecycleLimits }) {
  const router = Router();

  // The banner (views/partials/verify-banner.ejs) shows while the user must still verify.
  router.use(async (req, res, next) => {
    if (req.user && req.user.emailVerifiedAt === null && lifecycle.mailConfigured && (await lifecycle.isGated(req.user))) {
      res.locals.verifyBanner = { email: req.user.email };
    }
    next();
  });

  // The create forms of tasks and push registrations (their own routers come later).
  router.post(['/tasks/new', '/push'], verificationGate(lifecycle));

  const forgotPage = (req: Request, res: Response, locals: Record<string, unknown> = {}, status = 200) =>
    renderPage(req, res, 'accounts/forgot-password', { title: req.t('lifecycle.forgot.title'), mailConfigured: lifecycle.mailConfigured, sent: false, ...locals }, status);

  router.get('/forgot-password', (req, res) => forgotPage(req, res));

  router.post('/forgot-password', ...limits.forgot, async (req, res) => {
    try {
      const { email } = parseInput(forgotPasswordSchema, req.body);
      lifecycle.requestPasswordReset(email, req.language, auditContext(req));
      // The same page whether the address is registered or not.
      await forgotPage(req, res, { sent: true });
    } catch (err) {
      await renderFormError(req, res, err, 'accounts/forgot-password', { title: req.t('lifecycle.forgot.title'), mailConfigured: lifecycle.mailConfigured, sent: false });
    }
  });

  const resetLocals = (req: Request, token: string) => ({ title: req.t('lifecycle.reset.title'), token });

  router.get('/reset-password', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token.slice(0, 200) : '';
    const live = token !== '' && (await lifecycle.resetLinkLive(token));
    await renderPage(req, res, 'accounts/reset-password', { ...resetLocals(req, token), live }, live ? 200 : 400);
  });

  router.post('/reset-password', ...limits.reset, async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    try {
      await lifecycle.resetPassword(parseInput(resetPasswordFormSchema, req.body), auditContext(req));
      // Every session of the user is gone; this one must not be saved again under their name.
      await freshSession(req);
      flash(req, 'success', 'lifecycle.flash.password_reset');
      res.redirect(303, '/login');
    } catch (err) {
      // A used, expired or missing link: the page says so instead of showing the form again.
      const live = !(err instanceof AppError && (err.code === 'invalid_link' || err.fields?.token));
      await renderFormError(req, res, err, 'accounts/reset-password', { ...resetLocals(req, token), live });
    }
  });

  router.get('/verify-email', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const user = await lifecycle.verifyEmail(token, auditContext(req));
    flash(req, 'success', 'lifecycle.flash.email_verified', { email: user.email });
    res.redirect(303, req.user?.id === user.id ? '/account' : '/login');
  });

  router.post('/account/verify-email', requirePageUser, async (req, res) => {
    await lifecycle.sendVerification(req.user!, req.language);
    flash(req, 'success', 'lifecycle.flash.verification_sent', { email: req.user!.email });
    res.redirect(303, safeNext(req.body?.next, '/account'));
  });

  router.get('/account/delete', requirePageUser, async (req, res) => {
    await renderPage(req, res, 'accounts/delete-account', { title: req.t('lifecycle.delete.title') });
  });

  router.post('/account/delete', requirePageUser, async (req, res) => {
    const user: User = req.user!;
    try {
      await lifecycle.deleteAccount(user, parseInput(accountDeleteSchema, req.body), auditContext(req));
      await freshSession(req);
      flash(req, 'info', 'lifecycle.flash.account_deleted');
      res.redirect(303, '/login');
    } catch (err) {
      await renderFormError(req, res, err, 'accounts/delete-account', { title: req.t('lifecycle.delete.title') });
    }
  });

  return router;
}
