// Per-request values every page and API handler uses: the user and how to speak to them.
import type { User } from '../accounts/users-repo.js';
import type { Language, Translate } from '../lib/i18n.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      user?: User;
      /** How the user was authenticated: a session cookie or a bearer token. */
      authVia?: 'session' | 'token';
      language: Language;
      t: Translate;
    }
  }
}

export {};
