// The mailer against a real local SMTP server (test/helpers/smtp-sink.ts): plain SMTP, implicit TLS,
// required STARTTLS, AUTH only with both user and password, refused logins and recipients, and
// verify()'s plain answers. Nothing leaves 127.0.0.1.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Config } from '../../src/config.js';
import { createMailer, type Mailer } from '../../src/lib/mailer.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

type MailConfig = Config['mail'];

const open: { mailers: Mailer[]; sinks: SmtpSink[] } = { mailers: [], sinks: [] };

async function sink(options: Parameters<typeof startSmtpSink>[0] = {}) {
  const s = await startSmtpSink(options);
  open.sinks.push(s);
  return s;
}

function mailConfig(s: { port: number }, over: Partial<MailConfig> = {}): MailConfig {
  return { host: '127.0.0.1', port: s.port, ssl: false, starttls: false, user: undefined, password: undefined, from: 'chime@example.com', ...over };
}

function mailer(config: MailConfig, ca?: string): Mailer {
  const m = createMailer(config, ca ? { tls: { ca } } : {});
  assert.ok(m, 'a mailer when MAIL_SMTP is set');
  open.mailers.push(m);
  return m;
}

const sample = { to: 'owner@example.com', subject: 'Daily check-in ✓ passed', text: 'All good.\nSecond line', html: '<p>All good.<br>Second line</p>' };

/** The error `promise` rejects with; fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error & { responseCode?: number; response?: string; code?: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof Error, 'rejects with an Error');
    return err;
  }
  assert.fail('expected the promise to reject');
}

/** A port nothing listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

afterEach(async () => {
  for (const m of open.mailers.splice(0)) m.close();
  for (const s of open.sinks.splice(0)) await s.close();
});
after(async () => {
  for (const s of open.sinks.splice(0)) await s.close();
});

describe('createMailer', () => {
  it('answers undefined without MAIL_SMTP', () => {
    assert.equal(createMailer({ host: undefined, port: 465, ssl: true, starttls: false, from: 'a@example.com' }), undefined);
    assert.equal(createMailer({ host: '', port: 465, ssl: true, starttls: false, from: 'a@example.com' }), undefined);
  });
});

describe('mailer.send', () => {
  it('sends over plain SMTP (MAIL_SSL=false) with From, To, Subject, a text and an HTML part', async () => {
    const s = await sink();
    const m = mailer(mailConfig(s, { from: 'Chime <chime@example.com>' }));
    const result = await m.send(sample);
    assert.match(result.response, /^250 /);
    assert.match(result.messageId, /^<.+@.+>$/);
    assert.equal(s.messages.length, 1);
    const got = s.messages[0]!;
    assert.equal(got.from, 'chime@example.com');
    assert.deepEqual(got.to, ['owner@example.com']);
    assert.equal(got.headers.get('from'), 'Chime <chime@example.com>');
    assert.equal(got.headers.get('to'), 'owner@example.com');
    assert.equal(got.subject, 'Daily check-in ✓ passed');
    assert.match(got.headers.get('content-type') ?? '', /^multipart\/alternative/);
    assert.equal(got.text, 'All good.\nSecond line');
    assert.equal(got.html, '<p>All good.<br>Second line</p>');
    assert.equal(got.secure, false, 'plain SMTP, as asked (no opportunistic STARTTLS)');
    assert.equal(s.authAttempts.length, 0, 'no AUTH without credentials');
  });

  it('puts cc on the envelope and in the Cc header', async () => {
    const s = await sink();
    const m = mailer(mailConfig(s));
    await m.send({ ...sample, to: 'a@example.com, b@example.com', cc: 'c@example.com' });
    const got = s.messages[0]!;
    assert.deepEqual(got.to, ['a@example.com', 'b@example.com', 'c@example.com']);
    assert.equal(got.headers.get('cc'), 'c@example.com');
  });

  it('speaks implicit TLS when MAIL_SSL=true, trusting the test certificate through options.tls.ca', async () => {
    const s = await sink({ secure: true });
    const m = mailer(mailConfig(s, { ssl: true }), s.cert);
    await m.send(sample);
    assert.equal(s.messages.length, 1);
    assert.equal(s.messages[0]!.secure, true);
  });

  it('verifies the certificate under implicit TLS (an untrusted one fails)', async () => {
    const s = await sink({ secure: true });
    const m = mailer(mailConfig(s, { ssl: true }));
    const err = await rejection(m.send(sample));
    assert.match(err.message, /self[- ]signed|certificate/i);
    assert.equal(s.messages.length, 0);
  });

  it('upgrades with STARTTLS when MAIL_STARTTLS=true (MAIL_SSL=false)', async () => {
    const s = await sink({ starttls: true });
    const m = mailer(mailConfig(s, { starttls: true }), s.cert);
    await m.send(sample);
    assert.equal(s.messages.length, 1);
    assert.equal(s.messages[0]!.secure, true, 'the sink saw an encrypted session');
  });

  it('fails plainly when STARTTLS is required but the server does not offer it, and sends nothing', async () => {
    const s = await sink({ starttls: false });
    const m = mailer(mailConfig(s, { starttls: true }), s.cert);
    const err = await rejection(m.send(sample));
    assert.match(err.message, /STARTTLS/i);
    assert.equal(s.messages.length, 0);
    const verified = await m.verify();
    assert.equal(verified.ok, false);
    assert.ok(!verified.ok && /could not set up TLS with 127\.0\.0\.1:\d+: .*STARTTLS/i.test(verified.error), JSON.stringify(verified));
  });

  it('logs in when both user and password are set', async () => {
    const s = await sink({ auth: { user: 'chime', password: 's3cret-pass' } });
    const m = mailer(mailConfig(s, { user: 'chime', password: 's3cret-pass' }));
    await m.send(sample);
    assert.equal(s.messages.length, 1);
    assert.equal(s.messages[0]!.user, 'chime');
    assert.deepEqual(s.authAttempts.map((a) => a.ok), [true]);
  });

  it('attempts no AUTH with a user but no password, and reports the server refusing the message', async () => {
    const s = await sink({ auth: { user: 'chime', password: 's3cret-pass' } });
    const m = mailer(mailConfig(s, { user: 'chime', password: undefined }));
    const err = await rejection(m.send(sample));
    assert.equal(s.authAttempts.length, 0, 'no AUTH attempted');
    assert.equal(err.responseCode, 530);
    assert.match(err.response ?? '', /^530 /);
    assert.equal(s.messages.length, 0);
  });

  it('attempts no AUTH with a password but no user', async () => {
    const s = await sink({ auth: { user: 'chime', password: 's3cret-pass' } });
    const m = mailer(mailConfig(s, { user: undefined, password: 's3cret-pass' }));
    const err = await rejection(m.send(sample));
    assert.equal(s.authAttempts.length, 0);
    assert.equal(err.responseCode, 530);
  });

  it('keeps responseCode 535 on a refused login, without the password in any text', async () => {
    const s = await sink({ auth: { user: 'chime', password: 's3cret-pass' } });
    const m = mailer(mailConfig(s, { user: 'chime', password: 'wrong-pass-123' }));
    const err = await rejection(m.send(sample));
    assert.equal(err.responseCode, 535);
    assert.equal(err.code, 'EAUTH');
    const texts = [err.message, err.response ?? '', err.stack ?? '', JSON.stringify(err)].join('\n');
    assert.ok(!texts.includes('wrong-pass-123'), texts);
    assert.ok(!texts.includes(Buffer.from('wrong-pass-123').toString('base64')));
  });

  it('scrubs the password even from a server reply that quotes it', async () => {
    const s = await sink({ auth: { user: 'chime', password: 's3cret-pass' }, echoPassword: true });
    const m = mailer(mailConfig(s, { user: 'chime', password: 'wrong-pass-123' }));
    const err = await rejection(m.send(sample));
    assert.equal(err.responseCode, 535);
    const texts = [err.message, err.response ?? '', err.stack ?? ''].join('\n');
    assert.match(err.response ?? '', /password \*\*\*/, 'the server did quote it, and it was replaced');
    assert.ok(!texts.includes('wrong-pass-123'), texts);
    const verified = await m.verify();
    assert.ok(!verified.ok);
    assert.match(verified.error, /^the server refused the login: 535 .*password \*\*\*/);
    assert.ok(!verified.error.includes('wrong-pass-123'));
  });

  it('keeps responseCode 550 when the server refuses a recipient for good', async () => {
    const s = await sink({ rejectRecipients: { 'nobody@example.com': 550 } });
    const m = mailer(mailConfig(s));
    const err = await rejection(m.send({ ...sample, to: 'nobody@example.com' }));
    assert.equal(err.responseCode, 550);
    assert.match(err.response ?? '', /^550 /);
    assert.equal(s.messages.length, 0);
  });

  it('keeps responseCode 421 when the server says try again later', async () => {
    const s = await sink({ rejectRecipients: { 'later@example.com': 421 } });
    const m = mailer(mailConfig(s));
    const err = await rejection(m.send({ ...sample, to: 'later@example.com' }));
    assert.equal(err.responseCode, 421);
    assert.equal(s.messages.length, 0);
  });

  it('uses a pooled connection for several messages', async () => {
    const s = await sink();
    const m = mailer(mailConfig(s));
    await m.send(sample);
    await m.send({ ...sample, subject: 'second' });
    assert.deepEqual(s.messages.map((x) => x.subject), [sample.subject, 'second']);
    assert.equal(s.connections, 1, 'the second message reused the connection');
  });
});

describe('mailer.verify', () => {
  it('answers the server\'s reply when the settings work (plain, no login)', async () => {
    const s = await sink();
    const result = await mailer(mailConfig(s)).verify();
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.ok(result.ok, JSON.stringify(result));
    assert.match(result.response, /^connected \(no encryption\), no login configured: 250 .*Nice to meet you/);
    assert.doesNotMatch(result.response, /PIPELINING/, 'the greeting line, not the extension list');
  });

  it('answers the login reply with STARTTLS and a login', async () => {
    const s = await sink({ starttls: true, auth: { user: 'chime', password: 's3cret-pass' } });
    const result = await mailer(mailConfig(s, { starttls: true, user: 'chime', password: 's3cret-pass' }), s.cert).verify();
    assert.ok(result.ok, JSON.stringify(result));
    assert.match(result.response, /STARTTLS/);
    assert.match(result.response, /235/);
    assert.deepEqual(s.authAttempts.map((a) => a.ok), [true]);
  });

  it('says the login was refused, with the code, and never shows the password', async () => {
    const s = await sink({ auth: { user: 'chime', password: 's3cret-pass' } });
    const result = await mailer(mailConfig(s, { user: 'chime', password: 'wrong-pass-123' })).verify();
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.match(result.error, /^the server refused the login: 535 /);
    assert.ok(!result.error.includes('wrong-pass-123'));
    assert.ok(!result.error.includes(Buffer.from('wrong-pass-123').toString('base64')));
    assert.deepEqual(s.authAttempts.map((a) => a.ok), [false]);
  });

  it('says plainly when nothing listens', async () => {
    const port = await closedPort();
    const result = await mailer(mailConfig({ port }, { password: 'pw-secret', user: 'u' })).verify();
    assert.deepEqual(result, { ok: false, error: `could not connect to 127.0.0.1:${port}: connection refused` });
  });

  it('reports an untrusted certificate under implicit TLS', async () => {
    const s = await sink({ secure: true });
    const result = await mailer(mailConfig(s, { ssl: true })).verify();
    assert.equal(result.ok, false);
    assert.ok(!result.ok && /^could not set up TLS with 127\.0\.0\.1:\d+: .*(self[- ]signed|certificate)/i.test(result.error), JSON.stringify(result));
  });
});
