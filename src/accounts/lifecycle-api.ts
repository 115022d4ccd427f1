// /api/v1 for the account lifecycle: register (without telling whether an address is taken), forgot
// and reset password, verification, email change, deleting one's own account; and the gate on
// creating tasks and push registrations. Mounted before the main API router: each route parses and
// authenticates itself, and what it does not answer passes through untouched.
import express, { Router, type RequestHandler } from 'express';
import { parseInput } from '../lib/validation.js';
import { csrf } from '../web/csrf.js';
import { bearerUser, requireApiUser } from './auth-middleware.js';
import { meJson } from './api.js';
import { auditContext, verificationGate, type LifecycleLimits } from './lifecycle-routes.js';
import { accountDeleteSchema, emailChangeSchema, forgotPasswordSchema, registerSchema, resetPasswordSchema } from './schema.js';
import type { AccountsService } from './service.js';
import type { LifecycleService } from './lifecycle-service.js';

export function lifecycleApi({ accounts, lifecycle, limits }: { accounts: AccountsService; lifecycle: LifecycleService; limits: LifecycleLimits }) {
  const router = Router();
  const json = express.json({ limit: '100kb' });
  const sessionCsrf: RequestHandler = (req, res, next) => (req.authVia === 'session' ? csrf.csrfSynchronisedProtection(req, res, next) : next());
  const pre = [json, bearerUser(accounts), sessionCsrf];

  router.post(['/tasks', '/push/registrations'], bearerUser(accounts), verificationGate(lifecycle));

  router.post('/register', ...pre, async (req, res) => {
    const outcome = await lifecycle.register(parseInput(registerSchema, req.body), req.language);
    if (outcome.kind === 'created') {
      const { user } = outcome;
      return res.status(201).json({ user: { id: user.id, email: user.email, role: user.role } });
    }
    const key = outcome.checkMail ? 'lifecycle.register.check_mail' : 'lifecycle.register.pending';
    res.status(202).json({ status: 'pending', message: req.t(key) });
  });

  router.post('/password/forgot', json, ...limits.forgot, async (req, res) => {
    const { email } = parseInput(forgotPasswordSchema, req.body);
    lifecycle.requestPasswordReset(email, req.language, auditContext(req));
    res.status(202).json({ status: 'pending', message: req.t('lifecycle.forgot.sent') });
  });

  router.post('/password/reset', json, ...limits.reset, async (req, res) => {
    await lifecycle.resetPassword(parseInput(resetPasswordSchema, req.body), auditContext(req));
    res.status(204).end();
  });

  router.post('/verify-email', ...pre, async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    const user = await lifecycle.verifyEmail(token, auditContext(req));
    res.json(meJson(user));
  });

  router.post('/me/verify-email', ...pre, requireApiUser, async (req, res) => {
    await lifecycle.sendVerification(req.user!, req.language);
    res.status(202).json({ status: 'pending', message: req.t('lifecycle.flash.verification_sent', { email: req.user!.email }) });
  });

  router.put('/me/email', ...pre, requireApiUser, async (req, res) => {
    const changed = await lifecycle.changeEmail(req.user!, parseInput(emailChangeSchema, req.body), req.language, auditContext(req));
    res.json(meJson(changed));
  });

  router.delete('/me', ...pre, requireApiUser, async (req, res) => {
    await lifecycle.deleteAccount(req.user!, parseInput(accountDeleteSchema, req.body), auditContext(req));
    res.status(204).end();
  });

  return router;
}
