// Account pages: register, login, logout, language, the account page (preferences, password, email,
// tokens). Forgot/reset password, verification and deletion are in lifecycle-routes.ts.
import { Router, type Request, type RequestHandler } from 'express';
import { promisify } from 'node:util';
import { parseInput } from '../lib/validation.js';
import { isLanguage, LANGUAGES, LANGUAGE_NAMES } from '../lib/i18n.js';
import { TIME_ZONES } from '../lib/timezone.js';
import { flash } from '../web/flash.js';
import { idParam, renderFormError } from '../web/forms.js';
import { renderPage } from '../web/render.js';
import { requirePageUser, safeNext } from './auth-middleware.js';
import { emailChangeSchema, loginSchema, passwordChangeFormSchema, preferencesSchema, registerFormSchema, tokenNameSchema } from './schema.js';
import { auditContext, lifecycleRoutes, type LifecycleLimits } from './lifecycle-routes.js';
import type { LifecycleService } from './lifecycle-service.js';
import type { AccountsService } from './service.js';
import type { SiteSettingsRepo } from './site-settings.js';
import type { User } from './users-repo.js';

export const HOME_PATH = '/tasks';


/** Starts a fresh session for the user (a new id, so a planted session id is worthless). */
async function logIn(req: Request, user: User) {
  const language = req.session.language;
  await promisify(req.session.regenerate.bind(req.session))();
  req.session.userId = user.id;
  if (language) req.session.language = language;
  req.user = user;
}

export function accountRoutes(deps: {
  accounts: AccountsService;
  settings: SiteSettingsRepo;
  loginLimit: RequestHandler[];
  lifecycle: LifecycleService;
  lifecycleLimits: LifecycleLimits;
}) {
  const { accounts, settings, lifecycle } = deps;
  const router = Router();
  router.use(lifecycleRoutes({ lifecycle, limits: deps.lifecycleLimits }));

  router.get('/', (req, res) => res.redirect(303, req.user ? HOME_PATH : '/login'));

  router.get('/login', async (req, res) => {
    if (req.user) return res.redirect(303, HOME_PATH);
    const { registrationOpen } = await settings.get();
    await renderPage(req, res, 'accounts/login', { title: req.t('login.title'), next: safeNext(req.query.next, ''), registrationOpen, mailConfigured: lifecycle.mailConfigured });
  });

  router.post('/login', ...deps.loginLimit, async (req, res) => {
    const next = safeNext(req.body?.next, HOME_PATH);
    try {
      const user = await accounts.authenticate(parseInput(loginSchema, req.body));
      await logIn(req, user);
      await accounts.recordLogin(user.id);
      res.redirect(303, next);
    } catch (err) {
      const { registrationOpen } = await settings.get();
      await renderFormError(req, res, err, 'accounts/login', { title: req.t('login.title'), next, registrationOpen, mailConfigured: lifecycle.mailConfigured });
    }
  });

  router.get('/register', async (req, res) => {
    if (req.user) return res.redirect(303, HOME_PATH);
    const { registrationOpen } = await settings.get();
    await renderPage(req, res, 'accounts/register', { title: req.t('register.title'), registrationOpen }, registrationOpen ? 200 : 403);
  });

  router.post('/register', async (req, res) => {
    try {
      const outcome = await lifecycle.register(parseInput(registerFormSchema, req.body), req.language);
      if (outcome.kind === 'pending') {
        // A taken address, or any address while verification is required: the same answer.
        flash(req, 'info', outcome.checkMail ? 'lifecycle.register.check_mail' : 'lifecycle.register.pending');
        return res.redirect(303, '/login');
      }
      const user = outcome.user;
      await logIn(req, user);
      await accounts.recordLogin(user.id);
      flash(req, 'success', user.role === 'admin' ? 'flash.welcome_admin' : 'flash.welcome');
      res.redirect(303, HOME_PATH);
    } catch (err) {
      const { registrationOpen } = await settings.get();
      await renderFormError(req, res, err, 'accounts/register', { title: req.t('register.title'), registrationOpen });
    }
  });

  router.post('/logout', async (req, res) => {
    const language = req.session.language;
    await promisify(req.session.regenerate.bind(req.session))();
    if (language) req.session.language = language;
    flash(req, 'info', 'flash.logged_out');
    res.redirect(303, '/login');
  });

  // The language switch in the footer: kept on the account when logged in, in the session otherwise.
  router.post('/language', async (req, res) => {
    const language = req.body?.language;
    if (isLanguage(language)) {
      if (req.user) await accounts.updatePreferences(req.user.id, { locale: language });
      req.session.language = language;
    }
    res.redirect(303, safeNext(req.body?.next, '/'));
  });

  router.get('/account', requirePageUser, async (req, res) => {
    const newToken = req.session.newToken;
    delete req.session.newToken;
    await renderPage(req, res, 'accounts/account', { ...(await accountLocals(req, '')), newToken });
  });

  router.post('/account/preferences', requirePageUser, async (req, res) => {
    try {
      const changes = parseInput(preferencesSchema, { locale: req.body?.locale ?? '', timezone: req.body?.timezone ?? '' });
      await accounts.updatePreferences(req.user!.id, changes);
      if (changes.locale) req.session.language = changes.locale;
      flash(req, 'success', 'flash.preferences_saved');
      res.redirect(303, '/account');
    } catch (err) {
      await renderFormError(req, res, err, 'accounts/account', await accountLocals(req, 'preferences'));
    }
  });

  router.post('/account/password', requirePageUser, async (req, res) => {
    try {
      const input = parseInput(passwordChangeFormSchema, req.body);
      await accounts.changePassword(req.user!, input, req.sessionID, auditContext(req));
      flash(req, 'success', 'flash.password_changed');
      res.redirect(303, '/account');
    } catch (err) {
      await renderFormError(req, res, err, 'accounts/account', await accountLocals(req, 'password'));
    }
  });

  router.post('/account/email', requirePageUser, async (req, res) => {
    try {
      const changed = await lifecycle.changeEmail(req.user!, parseInput(emailChangeSchema, req.body), req.language, auditContext(req));
      flash(req, 'success', 'lifecycle.flash.email_changed', { email: changed.email });
      res.redirect(303, '/account#email');
    } catch (err) {
      await renderFormError(req, res, err, 'accounts/account', await accountLocals(req, 'email'));
    }
  });

  router.post('/account/tokens', requirePageUser, async (req, res) => {
    try {
      const { name } = parseInput(tokenNameSchema, req.body);
      const created = await accounts.createToken(req.user!.id, name, auditContext(req));
      req.session.newToken = { name: created.name, token: created.token };
      res.redirect(303, '/account#tokens');
    } catch (err) {
      await renderFormError(req, res, err, 'accounts/account', await accountLocals(req, 'tokens'));
    }
  });

  router.post('/account/tokens/:id/revoke', requirePageUser, async (req, res) => {
    await accounts.revokeToken(req.user!.id, idParam(req), auditContext(req));
    flash(req, 'success', 'flash.token_revoked');
    res.redirect(303, '/account#tokens');
  });

  /** Locals of the account page; `form` names the form that came back with errors, if any. */
  async function accountLocals(req: Request, form: string) {
    const user = req.user!;
    return {
      title: req.t('account.title'),
      form,
      tokens: await accounts.listTokens(user.id),
      languages: LANGUAGES.map((code) => ({ code, name: LANGUAGE_NAMES[code] })),
      timeZones: TIME_ZONES,
      mailConfigured: lifecycle.mailConfigured,
      verificationRequired: await lifecycle.verificationRequired(),
    };
  }

  return router;
}
