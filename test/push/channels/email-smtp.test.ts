// The email channel end to end: src/push/channels/email.ts → a real mailer (src/lib/mailer.ts) → a
// local SMTP sink on 127.0.0.1. Recipients, subject, the text and HTML parts, and how the server's
// refusals become DeliveryErrors (5xx permanent, 4xx transient).
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SendContext } from '../../../src/push/channel.js';
import { emailChannel, mailHtml } from '../../../src/push/channels/email.js';
import { createMailer, type Mailer } from '../../../src/lib/mailer.js';
import { channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.js';

const open: { mailers: Mailer[]; sinks: SmtpSink[] } = { mailers: [], sinks: [] };
afterEach(async () => {
  for (const m of open.mailers.splice(0)) m.close();
  for (const s of open.sinks.splice(0)) await s.close();
});

/** A sink, a mailer on it (plain SMTP with a login), and a ctx whose mail is that mailer's send. */
async function setup(options: { rejectRecipients?: Record<string, number>; accountEmail?: string } = {}) {
  const sink = await startSmtpSink({ auth: { user: 'chime', password: 'sink-pass' }, rejectRecipients: options.rejectRecipients });
  open.sinks.push(sink);
  const mailer = createMailer({
    host: sink.host, port: sink.port, ssl: false, starttls: false, user: 'chime', password: 'sink-pass', from: 'Chime <chime@example.com>',
  });
  assert.ok(mailer);
  open.mailers.push(mailer);
  const http = { request: () => assert.fail('email makes no HTTP request') } as unknown as SendContext['http'];
  const ctx = channelContext(http, {
    accountEmail: 'accountEmail' in options ? options.accountEmail : 'owner@example.com',
    mail: (mail) => mailer.send(mail),
  });
  return { sink, ctx };
}

describe('email channel through a real SMTP server', () => {
  it('mails the account email by default: subject = title, a text part and an HTML part', async () => {
    const { sink, ctx } = await setup();
    const message = sampleMessage({ title: 'Run <7> failed ✗', body: 'a < b & "c"\nsecond line', url: 'https://chime.example.com/runs/7?x=1&y=2' });
    await emailChannel.send(message, emailChannel.config.parse({}), ctx);
    assert.equal(sink.messages.length, 1);
    const got = sink.messages[0]!;
    assert.deepEqual(got.to, ['owner@example.com']);
    assert.equal(got.from, 'chime@example.com');
    assert.equal(got.headers.get('from'), 'Chime <chime@example.com>');
    assert.equal(got.headers.get('to'), 'owner@example.com');
    assert.equal(got.headers.get('cc'), undefined);
    assert.equal(got.subject, 'Run <7> failed ✗');
    assert.equal(got.text, 'a < b & "c"\nsecond line\n\nhttps://chime.example.com/runs/7?x=1&y=2');
    assert.equal(got.html, mailHtml('a < b & "c"\nsecond line', 'https://chime.example.com/runs/7?x=1&y=2').replace(/\r\n/g, '\n'));
    assert.match(got.html ?? '', /a &lt; b &amp; &quot;c&quot;<br>/);
    assert.equal(got.user, 'chime', 'logged in');
  });

  it('mails `to` and `cc` when they are set, instead of the account email', async () => {
    const { sink, ctx } = await setup();
    await emailChannel.send(sampleMessage(), emailChannel.config.parse({ to: 'ops@example.com, oncall@example.com', cc: 'boss@example.com' }), ctx);
    const got = sink.messages[0]!;
    assert.deepEqual(got.to, ['ops@example.com', 'oncall@example.com', 'boss@example.com']);
    assert.equal(got.headers.get('to'), 'ops@example.com, oncall@example.com');
    assert.equal(got.headers.get('cc'), 'boss@example.com');
    assert.ok(!got.to.includes('owner@example.com'));
    assert.equal(got.subject, sampleMessage().title);
  });

  it('turns a 550 recipient refusal into a permanent DeliveryError', async () => {
    const { sink, ctx } = await setup({ rejectRecipients: { 'owner@example.com': 550 } });
    const err = await deliveryError(emailChannel.send(sampleMessage(), emailChannel.config.parse({}), ctx));
    assert.equal(err.permanent, true);
    assert.match(err.message, /refused the message \(550\)/);
    assert.match(err.detail ?? '', /^550 /);
    assert.equal(sink.messages.length, 0);
  });

  it('turns a 421 into a transient DeliveryError', async () => {
    const { sink, ctx } = await setup({ rejectRecipients: { 'owner@example.com': 421 } });
    const err = await deliveryError(emailChannel.send(sampleMessage(), emailChannel.config.parse({}), ctx));
    assert.equal(err.permanent, false);
    assert.match(err.message, /refused the message \(421\)/);
    assert.equal(sink.messages.length, 0);
  });

  it('says mail is not set up when there is no mailer (MAIL_SMTP unset)', async () => {
    const mailer = createMailer({ host: undefined, port: 465, ssl: true, starttls: false, from: undefined });
    assert.equal(mailer, undefined);
    const http = { request: () => assert.fail('no HTTP') } as unknown as SendContext['http'];
    const ctx = channelContext(http, { accountEmail: 'owner@example.com' });
    const err = await deliveryError(emailChannel.send(sampleMessage(), emailChannel.config.parse({}), ctx));
    assert.equal(err.permanent, true);
    assert.match(err.message, /mail is not set up/);
  });
});
