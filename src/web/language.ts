// Which language a request is answered in: the user's setting, else the visitor's choice kept in the
// session, else the browser's Accept-Language, else English.
import type { Request } from 'express';
import { isLanguage, languageFromTag, type Language } from '../lib/i18n.js';

export function requestLanguage(req: Request): Language {
  if (isLanguage(req.user?.locale)) return req.user.locale;
  if (isLanguage(req.session?.language)) return req.session.language;
  for (const tag of req.acceptsLanguages()) {
    const language = languageFromTag(tag);
    if (language) return language;
  }
  return 'en';
}

declare module 'express-session' {
  interface SessionData {
    language?: Language;
  }
}
