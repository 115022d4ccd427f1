// The email channel with a fake ctx.mail that records what it was given and fails on demand the way
// nodemailer does (an Error with the SMTP responseCode).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SendContext } from '../../../src/push/channel.js';
import { emailChannel, mailHtml } from '../../../src/push/channels/email.js';
import { channelContext, deliveryError, sampleMessage } from '../../helpers/push-receiver.js';

type Mail = Parameters<NonNullable<SendContext['mail']>>[0];

/** A ctx whose mail records each call, and rejects with `failure` when one is given. */
function mailContext(options: { accountEmail?: string; failure?: Error } = { accountEmail: 'owner@example.com' }) {
  const sent: Mail[] = [];
  const http = { request: () => assert.fail('email makes no HTTP request') };
  const ctx = channelContext(http, {
    accountEmail: options.accountEmail,
    mail: async (mail) => {
      sent.push(mail);
      if (options.failure) throw options.failure;
      return { response: '250 2.0.0 Ok: queued' };
    },
  });
  return { ctx, sent };
}

const smtpError = (responseCode: number | undefined, response: string) =>
  Object.assign(new Error(`Message failed: ${response}`), { responseCode, response, code: responseCode ? 'EENVELOPE' : 'ECONNECTION' });

describe('email channel', () => {
  it('mails the account email with the title as subject, a text part and an escaped HTML part with the link', async () => {
    const { ctx, sent } = mailContext();
    const message = sampleMessage({ title: 'Run <7> failed', body: 'a < b & "c"\nsecond line', url: 'https://chime.example.com/runs/7?x=1&y=2' });
    await emailChannel.send(message, emailChannel.config.parse({}), ctx);
    assert.deepEqual(sent, [{
      to: 'owner@example.com',
      cc: undefined,
      subject: 'Run <7> failed',
      text: 'a < b & "c"\nsecond line\n\nhttps://chime.example.com/runs/7?x=1&y=2',
      html: '<div style="font-family: sans-serif; line-height: 1.5">\n<p>a &lt; b &amp; &quot;c&quot;<br>\nsecond line</p>\n'
        + '<p><a href="https://chime.example.com/runs/7?x=1&amp;y=2">https://chime.example.com/runs/7?x=1&amp;y=2</a></p>\n</div>\n',
    }]);
  });

  it('uses the configured to and cc, and adds no link when the message has none', async () => {
    const { ctx, sent } = mailContext();
    await emailChannel.send(sampleMessage(), emailChannel.config.parse({ to: 'ops@example.com, me@example.org', cc: 'boss@example.com' }), ctx);
    assert.equal(sent[0]?.to, 'ops@example.com, me@example.org');
    assert.equal(sent[0]?.cc, 'boss@example.com');
    assert.equal(sent[0]?.text, 'Step 2/3: HTTP 500\nnext run 08:00');
    assert.ok(!sent[0]?.html.includes('<a '));
  });

  it('does not repeat the link in the text part when the body already ends with it', async () => {
    const { ctx, sent } = mailContext();
    const url = 'https://chime.example.com/runs/9';
    await emailChannel.send(sampleMessage({ body: `failed\n${url}`, url }), emailChannel.config.parse({}), ctx);
    assert.equal(sent[0]?.text, `failed\n${url}`);
  });

  it('says plainly that mail is not set up when the server has no MAIL_SMTP, and that is permanent', async () => {
    const { ctx } = mailContext();
    const err = await deliveryError(emailChannel.send(sampleMessage(), emailChannel.config.parse({}), { ...ctx, mail: undefined }));
    assert.equal(err.permanent, true);
    assert.equal(err.message, 'mail is not set up on this server (MAIL_SMTP)');
  });

  it('fails for good without any address to send to', async () => {
    const { ctx, sent } = mailContext({});
    const err = await deliveryError(emailChannel.send(sampleMessage(), emailChannel.config.parse({}), ctx));
    assert.equal(err.permanent, true);
    assert.equal(sent.length, 0);
  });

  it('takes an SMTP 5xx (550) as permanent, a 4xx (421) and a connection error as transient', async () => {
    const rejected = mailContext({ accountEmail: 'x@example.com', failure: smtpError(550, '550 5.1.1 <x@example.com>: Recipient address rejected') });
    const hard = await deliveryError(emailChannel.send(sampleMessage(), emailChannel.config.parse({}), rejected.ctx));
    assert.equal(hard.permanent, true);
    assert.equal(hard.message, 'the mail server refused the message (550): 550 5.1.1 <x@example.com>: Recipient address rejected');

    const busy = mailContext({ accountEmail: 'x@example.com', failure: smtpError(421, '421 4.7.0 Try again later') });
    const soft = await deliveryError(emailChannel.send(sampleMessage(), emailChannel.config.parse({}), busy.ctx));
    assert.equal(soft.permanent, false);

    const down = mailContext({ accountEmail: 'x@example.com', failure: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ECONNECTION' }) });
    const network = await deliveryError(emailChannel.send(sampleMessage(), emailChannel.config.parse({}), down.ctx));
    assert.equal(network.permanent, false);
    assert.equal(network.message, 'could not send the mail: connect ECONNREFUSED 127.0.0.1:25');
  });

  it('accepts only email addresses in to and cc', () => {
    assert.equal(emailChannel.config.safeParse({ to: 'not-an-address' }).success, false);
    assert.equal(emailChannel.config.safeParse({ cc: 'a@example.com, nope' }).success, false);
    assert.equal(emailChannel.config.safeParse({ to: '' }).success, true);
  });

  it('cuts a very long body to 100000 characters', async () => {
    const { ctx, sent } = mailContext();
    await emailChannel.send(sampleMessage({ body: 'm'.repeat(120_000) }), emailChannel.config.parse({}), ctx);
    assert.equal(sent[0]?.text.length, 100_000);
    assert.ok(mailHtml('a\nb', undefined).includes('a<br>\nb'));
  });
});
