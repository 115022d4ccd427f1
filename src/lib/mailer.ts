// Outgoing mail through the SMTP server the admin configured with QD's MAIL_* variables (nodemailer,
// pooled transport). One Mailer per process; `createMailer` answers undefined when MAIL_SMTP is not
// set, and callers then say plainly that mail is not set up.
//
// How the connection is secured:
// - MAIL_SSL=true: implicit TLS from the first byte (usually port 465). MAIL_STARTTLS is then moot.
// - MAIL_STARTTLS=true (MAIL_SSL=false): STARTTLS is required; a server that does not offer it fails
//   the send/verify instead of falling back to plain text (usually port 587).
// - neither: plain SMTP as the admin asked, exactly like QD (`smtplib.SMTP` without starttls): we set
//   `ignoreTLS`, so nodemailer never attempts an opportunistic upgrade. That keeps internal relays
//   with self-signed certificates working, and it means the login (if any) travels in clear text —
//   only when the admin turned both MAIL_SSL and MAIL_STARTTLS off.
// Certificates are always verified (tests pass their own CA through `options.tls.ca`).
//
// AUTH is attempted only when both MAIL_USER and MAIL_PASSWORD are set. The sender is MAIL_FROM
// (config.ts already defaults it to MAIL_USER), or `chime@localhost` when neither is set.
//
// Errors: send() rejects with nodemailer's own error, so `responseCode` (the SMTP reply code),
// `response` and `code` stay as they are (the email channel classifies 5xx as permanent, 4xx and
// no code as transient). verify() never throws: it answers the server's reply or a plain sentence.
// The password is scrubbed from every text we hand back, even if a server were to echo it.
import nodemailer from 'nodemailer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Config } from '../config.js';

export type OutgoingMail = { to: string; cc?: string; subject: string; text: string; html: string };

export type VerifyResult = { ok: true; response: string } | { ok: false; error: string };

export type Mailer = {
  /** Sends one message; rejects with nodemailer's error (responseCode, response, code kept). */
  send(mail: OutgoingMail): Promise<{ response: string; messageId: string }>;
  /** Connects, upgrades/authenticates as configured and quits: for the admin's "check settings". Never throws. */
  verify(): Promise<VerifyResult>;
  /** Closes the pooled connections. */
  close(): void;
};

export type MailerOptions = { tls?: { rejectUnauthorized?: boolean; ca?: string } };

/** What nodemailer's errors carry besides the message. */
type SmtpError = Error & { code?: string; responseCode?: number; response?: string; command?: string };

export const CONNECTION_TIMEOUT_MS = 10_000;
export const GREETING_TIMEOUT_MS = 10_000;
export const SOCKET_TIMEOUT_MS = 30_000;
const FALLBACK_FROM = 'chime@localhost';

/** The nodemailer/SMTPConnection options common to the transport and verify(). */
function connectionOptions(mail: Config['mail'], options: MailerOptions) {
  const tls: { rejectUnauthorized: boolean; ca?: string; minVersion: 'TLSv1.2' } = {
    rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
    minVersion: 'TLSv1.2',
  };
  if (options.tls?.ca !== undefined) tls.ca = options.tls.ca;
  return {
    host: mail.host,
    port: mail.port,
    secure: mail.ssl,
    requireTLS: !mail.ssl && mail.starttls,
    ignoreTLS: !mail.ssl && !mail.starttls,
    tls,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    logger: false,
    debug: false,
  } as const;
}

/** Credentials only when both halves are there; otherwise no AUTH is attempted at all. */
function credentials(mail: Config['mail']): { user: string; pass: string } | undefined {
  return mail.user && mail.password ? { user: mail.user, pass: mail.password } : undefined;
}

/** Replaces the password (as is, and the base64 forms AUTH PLAIN/LOGIN would send) with ***. */
function scrubber(mail: Config['mail']): (text: string) => string {
  const password = mail.password;
  if (!password) return (text) => text;
  const forms = new Set([
    password,
    Buffer.from(password).toString('base64'),
    Buffer.from(`\u0000${mail.user ?? ''}\u0000${password}`).toString('base64'),
  ]);
  return (text) => {
    let out = text;
    for (const form of forms) out = out.split(form).join('***');
    return out;
  };
}

const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** A plain sentence for an SMTP error, for the admin. */
export function describeMailError(err: unknown, mail: Config['mail']): string {
  const e = (err instanceof Error ? err : new Error(String(err))) as SmtpError;
  const where = `${mail.host}:${mail.port}`;
  const response = e.response?.trim();
  if (e.code === 'EAUTH' || e.command === 'AUTH PLAIN' || e.command === 'AUTH LOGIN') {
    return `the server refused the login: ${response ?? e.message}`;
  }
  if (e.code === 'ETLS' || e.command === 'STARTTLS') return `could not set up TLS with ${where}: ${e.message}`;
  if (typeof e.responseCode === 'number') return `the server at ${where} answered: ${response ?? e.message}`;
  const text = `${e.message} ${String((e as { cause?: unknown }).cause ?? '')}`;
  const socketCode = Object.keys(SOCKET_REASONS).find((code) => text.includes(code));
  if (socketCode) return `could not connect to ${where}: ${SOCKET_REASONS[socketCode]}`;
  if (e.code === 'ETIMEDOUT') return `could not connect to ${where}: timed out`;
  if (e.code === 'EDNS') return `could not connect to ${where}: host not found`;
  if (e.code === 'ETLS' || /STARTTLS|TLS|certificate|SSL/i.test(e.message)) {
    return `could not set up TLS with ${where}: ${e.message}`;
  }
  return `could not talk to ${where}: ${e.message}`;
}

/** The pooled mailer for these settings, or undefined when MAIL_SMTP is not set. */
export function createMailer(mail: Config['mail'], options: MailerOptions = {}): Mailer | undefined {
  if (!mail.host) return undefined;
  const auth = credentials(mail);
  const scrub = scrubber(mail);
  const base = connectionOptions(mail, options);
  const transport = nodemailer.createTransport({
    ...base,
    pool: true,
    maxConnections: 3,
    ...(auth ? { auth } : {}),
  });
  const from = mail.from || FALLBACK_FROM;

  /** Scrubs the password from an error's texts in place, keeping it (and its responseCode) as it is. */
  const clean = (err: unknown): unknown => {
    if (err instanceof Error) {
      const e = err as SmtpError;
      e.message = scrub(e.message);
      if (typeof e.response === 'string') e.response = scrub(e.response);
      if (e.stack) e.stack = scrub(e.stack);
    }
    return err;
  };

  return {
    async send(message) {
      try {
        const info = await transport.sendMail({
          from,
          to: message.to,
          ...(message.cc ? { cc: message.cc } : {}),
          subject: message.subject,
          text: message.text,
          html: message.html,
        });
        return { response: scrub(String(info.response ?? '')), messageId: String(info.messageId ?? '') };
      } catch (err) {
        throw clean(err);
      }
    },

    async verify() {
      try {
        const response = await probe(base, auth, !auth && !!(mail.user || mail.password));
        return { ok: true, response: scrub(response) };
      } catch (err) {
        return { ok: false, error: scrub(describeMailError(err, mail)) };
      }
    },

    close() {
      transport.close();
    },
  };
}

/** One connection: greeting, EHLO, TLS as configured, AUTH when configured, QUIT. Resolves with the last reply. */
function probe(
  base: ReturnType<typeof connectionOptions>,
  auth: { user: string; pass: string } | undefined,
  halfCredentials: boolean,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const connection = new SMTPConnection({ ...base });
    let settled = false;
    const finish = (err: unknown, response?: string) => {
      if (settled) return;
      settled = true;
      if (err) {
        connection.close();
        reject(err);
      } else {
        connection.quit();
        resolve(response ?? '');
      }
    };
    connection.once('error', (err: unknown) => finish(err));
    connection.once('end', () => finish(new Error('the server closed the connection')));
    connection.connect((err?: unknown) => {
      if (err) return finish(err);
      // the EHLO reply's first line ("250-mx.example.com Hello …"), not its list of extensions
      const last = typeof connection.lastServerResponse === 'string' ? connection.lastServerResponse : '';
      const greeting = (last.split(/\r?\n/)[0] ?? '').replace(/^(\d{3})-/, '$1 ');
      const security = base.secure ? 'TLS' : connection.secure ? 'STARTTLS' : 'no encryption';
      if (!auth) {
        const why = halfCredentials ? 'MAIL_USER or MAIL_PASSWORD is missing, so no login was tried' : 'no login configured';
        return finish(null, `connected (${security}), ${why}: ${greeting}`.trim());
      }
      connection.login(auth, (loginErr?: unknown) => {
        if (loginErr) return finish(loginErr);
        const reply = typeof connection.lastServerResponse === 'string' ? connection.lastServerResponse : 'login accepted';
        finish(null, `connected (${security}), ${reply}`);
      });
    });
  });
}
