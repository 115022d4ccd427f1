// Email through the server's SMTP settings (MAIL_SMTP, nodemailer): to the configured address or the
// account's. ctx.mail rejects with nodemailer's error, whose `responseCode` is the SMTP reply code:
// 5xx means the server refused for good (unknown mailbox, auth failed); 4xx ("try again later") and
// errors without a code (connection refused, timeout, TLS) are transient.
import { escapeUTF8 } from 'entities';
import { z } from 'zod';
import { DeliveryError, type Channel } from '../channel.js';
import { cut } from './common.js';

const MAX_TEXT = 100_000;

/** What ctx.mail rejects with: nodemailer's errors carry the SMTP reply code and the server's answer. */
export type MailError = Error & { responseCode?: number; response?: string; code?: string };

const address = z.email();
/** One address or several separated by commas. */
const addressList = z
  .string()
  .trim()
  .refine((v) => v === '' || v.split(',').every((a) => address.safeParse(a.trim()).success), { error: 'errors.email_invalid' })
  .optional();

const schema = z.object({
  to: addressList.describe('push.field.to'),
  cc: addressList.describe('push.field.cc'),
});

/** The HTML part: the body escaped with its line breaks, and the link when there is one. */
export function mailHtml(body: string, url: string | undefined): string {
  const text = escapeUTF8(body).replace(/\r?\n/g, '<br>\n');
  const link = url ? `\n<p><a href="${escapeUTF8(url)}">${escapeUTF8(url)}</a></p>` : '';
  return `<div style="font-family: sans-serif; line-height: 1.5">\n<p>${text}</p>${link}\n</div>\n`;
}

export const emailChannel = {
  type: 'email',
  label: 'push.channel.email',
  config: schema,
  secrets: [],
  limits: { maxText: MAX_TEXT },
  async send(message, config, ctx) {
    if (!ctx.mail) throw new DeliveryError('mail is not set up on this server (MAIL_SMTP)', { permanent: true });
    const to = config.to || ctx.accountEmail;
    if (!to) throw new DeliveryError('there is no address to send to: fill in "to"', { permanent: true });
    const body = cut(message.body, MAX_TEXT);
    // The body usually ends with the link already; the plain part gets it only when it does not.
    const text = message.url && !body.includes(message.url) ? `${body}\n\n${message.url}` : body;
    try {
      await ctx.mail({ to, cc: config.cc || undefined, subject: message.title, text, html: message.html ?? mailHtml(body, message.url) });
    } catch (err) {
      const { responseCode, response, message: why } = Object(err) as MailError;
      const permanent = typeof responseCode === 'number' && responseCode >= 500 && responseCode <= 599;
      const refused = typeof responseCode === 'number' ? `the mail server refused the message (${responseCode})` : 'could not send the mail';
      throw new DeliveryError(`${refused}: ${response ?? why}`, { permanent, detail: response, cause: err });
    }
  },
} satisfies Channel<typeof schema>;
