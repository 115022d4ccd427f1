// The mails of the account lifecycle: subject and text from the catalog (lifecycle.mail.*), the HTML
// part from the same text with the link under it.
import { translator, type Language } from '../lib/i18n.js';
import type { OutgoingMail } from '../lib/mailer.js';
import { mailHtml } from '../push/channels/email.js';

export type LifecycleMailKind = 'verify' | 'reset' | 'already_registered' | 'email_changed';

export function lifecycleMail(kind: LifecycleMailKind, language: Language, params: { link?: string; email: string }): Omit<OutgoingMail, 'to'> {
  const t = translator(language);
  const body = t(`lifecycle.mail.${kind}_body`, { email: params.email });
  const text = params.link ? `${body}\n\n${params.link}\n` : `${body}\n`;
  return { subject: t(`lifecycle.mail.${kind}_subject`), text, html: mailHtml(body, params.link) };
}
