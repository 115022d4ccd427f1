// A local SMTP sink for the mailer's and the email channel's tests (smtp-server on 127.0.0.1 port 0).
// It records every message (envelope, raw text, decoded headers and the text/HTML parts), every
// AUTH attempt and whether the session was encrypted, and can require a login, offer or hide
// STARTTLS, speak implicit TLS with a self-signed certificate, and refuse chosen recipients.
import net from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { selfSignedCertificate } from './http-servers.js';

export type SinkMessage = {
  /** MAIL FROM. */
  from: string;
  /** RCPT TO, in order. */
  to: string[];
  raw: string;
  /** Top-level headers, lower-cased names, unfolded, encoded-words decoded. */
  headers: Map<string, string>;
  subject: string;
  /** The text/plain and text/html parts, decoded (undefined when absent). */
  text?: string;
  html?: string;
  /** Whether the session was TLS (implicit or after STARTTLS) when the message came in. */
  secure: boolean;
  /** The user the session logged in as, if any. */
  user?: string;
};

export type SinkOptions = {
  /** Implicit TLS from the first byte. */
  secure?: boolean;
  /** Offer STARTTLS on a plain connection (default true). */
  starttls?: boolean;
  /** Require AUTH with these credentials. */
  auth?: { user: string; password: string };
  /** Refuse RCPT TO for these addresses with the given SMTP code (550, 421 …). */
  rejectRecipients?: Record<string, number>;
  /** Misbehave: quote the attempted password in the 535 reply (to test that callers scrub it). */
  echoPassword?: boolean;
};

export type SmtpSink = {
  host: '127.0.0.1';
  port: number;
  /** The PEM certificate the sink presents (trust it with the mailer's tls.ca). */
  cert: string;
  messages: SinkMessage[];
  /** Every AUTH attempt: the method and user name (never checked against anything but the options). */
  authAttempts: { method: string; user: string; ok: boolean }[];
  /** TCP connections accepted. */
  connections: number;
  close(): Promise<void>;
};

let cachedCert: { key: string; cert: string } | undefined;
/** One self-signed certificate per test process (openssl takes a moment). */
function certificate() {
  cachedCert ??= selfSignedCertificate();
  return cachedCert;
}

export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const { key, cert } = certificate();
  const messages: SinkMessage[] = [];
  const authAttempts: SmtpSink['authAttempts'] = [];
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = new SMTPServer({
    secure: options.secure ?? false,
    key,
    cert,
    // not offered: neither advertised after EHLO nor accepted as a command
    hideSTARTTLS: options.starttls === false,
    disabledCommands: options.starttls === false ? ['STARTTLS'] : [],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 200,
    onConnect(_session, callback) {
      state.connections++;
      callback();
    },
    onAuth(auth, _session, callback) {
      const ok = !!options.auth && auth.username === options.auth.user && auth.password === options.auth.password;
      authAttempts.push({ method: auth.method, user: auth.username ?? '', ok });
      if (!ok) {
        const text = options.echoPassword ? `Authentication credentials invalid (password ${auth.password ?? ''})` : 'Authentication credentials invalid';
        const err = Object.assign(new Error(text), { responseCode: 535 });
        return callback(err);
      }
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      const code = options.rejectRecipients?.[address.address.toLowerCase()];
      if (code) {
        const err = Object.assign(new Error(code >= 500 ? 'No such user here' : 'Try again later'), { responseCode: code });
        return callback(err);
      }
      callback();
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = parseMessage(raw);
        const mailFrom = session.envelope.mailFrom;
        messages.push({
          from: mailFrom ? mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          headers: parsed.headers,
          subject: parsed.headers.get('subject') ?? '',
          text: parsed.text,
          html: parsed.html,
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback(null, 'Ok: queued as sink');
      });
    },
  });
  // smtp-server's own `server` is the net/tls server: track sockets so close() never waits on the pool.
  const inner = (server as unknown as { server: net.Server }).server;
  inner.on(options.secure ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('error', () => {
    /* a client that hangs up mid-session is not a test failure by itself */
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (inner.address() as net.AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    cert,
    messages,
    authAttempts,
    get connections() {
      return state.connections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- a small MIME reader: enough for what nodemailer writes (multipart/*, QP, base64, encoded-words)

type Part = { headers: Map<string, string>; body: string };

function splitHead(raw: string): Part {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at === -1 ? raw : raw.slice(0, at);
  const body = at === -1 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, decodeWords(line.slice(colon + 1).trim()));
  }
  return { headers, body };
}

/** RFC 2047 encoded-words (=?UTF-8?Q?...?= / =?UTF-8?B?...?=), adjacent ones joined. */
export function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[QqBb]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : qpBytes(text.replace(/_/g, ' ')).toString('utf8'));
}

function qpBytes(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function decodeBody(part: Part): string {
  return decodeRaw(part).replace(/\r\n/g, '\n');
}

function decodeRaw(part: Part): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return qpBytes(part.body.replace(/=\r?\n/g, '')).toString('utf8');
  return part.body;
}

/** Headers of the message, and its first text/plain and text/html parts. */
export function parseMessage(raw: string): { headers: Map<string, string>; text?: string; html?: string } {
  const top = splitHead(raw);
  const found: { text?: string; html?: string } = {};
  const walk = (part: Part) => {
    const type = part.headers.get('content-type') ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (/^multipart\//i.test(type) && boundary) {
      const sections = part.body.split(`--${boundary}`);
      // sections[0] is the preamble; the one starting with "--" closes the multipart
      for (const section of sections.slice(1)) {
        if (section.startsWith('--')) break;
        walk(splitHead(section.replace(/^\r?\n/, '').replace(/\r?\n$/, '')));
      }
    } else if (/^text\/plain/i.test(type)) {
      found.text ??= decodeBody(part);
    } else if (/^text\/html/i.test(type)) {
      found.html ??= decodeBody(part);
    }
  };
  walk(top);
  return { headers: top.headers, ...found };
}
