// /api/v1 for accounts: register, tokens, me.
import { Router, type RequestHandler } from 'express';
import { parseInput } from '../lib/validation.js';
import { idParam } from '../web/forms.js';
import { iso } from '../api/json.js';
import { requireApiUser } from './auth-middleware.js';
import { auditContext } from './lifecycle-routes.js';
import { passwordChangeSchema, preferencesSchema, tokenCreateSchema, tokenNameSchema } from './schema.js';
import type { AccountsService } from './service.js';
import type { User } from './users-repo.js';
import type { ApiToken } from './tokens-repo.js';

/** The API's view of the caller; `emailVerified` was added by the account lifecycle (API.md fields stay as they are). */
export const meJson = (u: User) => ({ id: u.id, email: u.email, role: u.role, locale: u.locale, timezone: u.timezone, emailVerified: u.emailVerifiedAt !== null });

const tokenJson = (t: ApiToken) => ({ id: t.id, name: t.name, hint: t.hint, createdAt: iso(t.createdAt), lastUsedAt: iso(t.lastUsedAt) });

export function accountsApi(deps: { accounts: AccountsService; tokenLimit: RequestHandler[] }) {
  const { accounts } = deps;
  const router = Router();

  // POST /register is answered by lifecycle-api.ts (it must not tell whether an address is taken).

  // Credentials in, a token out (shown once). Also usable from a logged-in session with just a name.
  router.post('/tokens', ...deps.tokenLimit, async (req, res) => {
    let userId: number;
    let name: string;
    if (req.user && req.body?.email === undefined) {
      userId = req.user.id;
      name = parseInput(tokenNameSchema, req.body).name;
    } else {
      const input = parseInput(tokenCreateSchema, req.body);
      userId = (await accounts.authenticate(input)).id;
      name = input.name;
    }
    res.status(201).json(await accounts.createToken(userId, name, { ...auditContext(req), actorUserId: userId }));
  });

  router.get('/tokens', requireApiUser, async (req, res) => {
    res.json({ items: (await accounts.listTokens(req.user!.id)).map(tokenJson) });
  });

  router.delete('/tokens/:id', requireApiUser, async (req, res) => {
    await accounts.revokeToken(req.user!.id, idParam(req), auditContext(req));
    res.status(204).end();
  });

  router.get('/me', requireApiUser, (req, res) => {
    res.json(meJson(req.user!));
  });

  router.patch('/me', requireApiUser, async (req, res) => {
    res.json(meJson(await accounts.updatePreferences(req.user!.id, parseInput(preferencesSchema, req.body))));
  });

  router.put('/me/password', requireApiUser, async (req, res) => {
    await accounts.changePassword(req.user!, parseInput(passwordChangeSchema, req.body), req.authVia === 'session' ? req.sessionID : undefined, auditContext(req));
    res.status(204).end();
  });

  return router;
}
