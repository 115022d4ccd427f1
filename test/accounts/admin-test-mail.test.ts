// The admin's "Send a test mail" on the settings page: the mail reaches the SMTP server (a local
// sink) addressed to the admin, and the page shows what the server answered; a refusal is told in a
// plain sentence; without MAIL_SMTP the page says mail is not set up; only admins may send.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient } from '../helpers/client.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const NOT_SET_UP = /Mail is not set up on this server: MAIL_SMTP is not set\./;

for (const dialect of DIALECTS) {
  describe(`admin test mail (${dialect})`, () => {
    let sink: SmtpSink;
    let app: TestApp;
    let admin: WebClient;
    const adminEmail = `root-mail-${dialect}@example.com`;
    const refused = `refused-${dialect}@example.com`;

    before(async () => {
      sink = await startSmtpSink({ rejectRecipients: { [refused]: 550 } });
      app = await startTestApp(dialect, { env: { MAIL_SMTP: '127.0.0.1', MAIL_PORT: String(sink.port), MAIL_SSL: 'false', MAIL_FROM: 'chime@example.com' } });
      admin = new WebClient(app.url);
      await admin.register(adminEmail); // the first account is the admin
    });
    after(async () => {
      await app.close();
      await sink.close();
    });

    it('sends a test mail to the admin and shows the server’s answer', async () => {
      const settings = await admin.get('/admin/settings');
      assert.match(settings.html, new RegExp(`Mail goes out through 127\\.0\\.0\\.1:${sink.port}\\.`));
      assert.match(settings.html, /<button type="submit" class="secondary">Send a test mail<\/button>/);
      const page = await admin.post('/admin/settings/test-mail');
      assert.equal(page.status, 200);
      assert.equal(sink.messages.length, 1);
      const [mail] = sink.messages;
      assert.deepEqual(mail!.to, [adminEmail]);
      assert.equal(mail!.from, 'chime@example.com');
      assert.equal(mail!.subject, 'Chime test mail');
      assert.match(mail!.text ?? '', new RegExp(`This is a test mail from Chime to ${adminEmail}`));
      assert.match(page.html, /<strong>Sent\.<\/strong> The mail server answered: <code>250 Ok: queued as sink<\/code>/);
      assert.match(page.html, /Keep run logs for/, 'the settings page around it');
    });

    it('answers htmx with the result alone', async () => {
      await admin.get('/admin/settings');
      const body = new URLSearchParams({ _csrf: admin.csrf }).toString();
      const res = await admin.request('POST', '/admin/settings/test-mail', { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' } });
      assert.equal(res.status, 200);
      assert.match(res.html.trim(), /^<div id="mail-result"/);
      assert.match(res.html, /250 Ok: queued as sink/);
      assert.doesNotMatch(res.html, /<html/);
    });

    it('tells a refusal in a plain sentence', async () => {
      const other = await startTestApp(dialect, { env: { MAIL_SMTP: '127.0.0.1', MAIL_PORT: String(sink.port), MAIL_SSL: 'false' } });
      try {
        const root = new WebClient(other.url);
        await root.register(refused);
        await root.get('/admin/settings');
        const page = await root.post('/admin/settings/test-mail');
        assert.equal(page.status, 200);
        assert.match(page.html, new RegExp(`<strong>Not sent:</strong> the server at 127\\.0\\.0\\.1:${sink.port} answered: 550[^<]*No such user here`));
      } finally {
        await other.close();
      }
    });

    it('lets only admins send', async () => {
      const user = new WebClient(app.url);
      await user.register(`plain-mail-${dialect}@example.com`);
      await user.get('/push');
      const before = sink.messages.length;
      const res = await user.post('/admin/settings/test-mail');
      assert.equal(res.status, 403);
      assert.equal(sink.messages.length, before);
    });

    it('says plainly that mail is not set up when MAIL_SMTP is not set', async () => {
      const bare = await startTestApp(dialect);
      try {
        const root = new WebClient(bare.url);
        await root.register(`root-bare-${dialect}@example.com`);
        const settings = await root.get('/admin/settings');
        assert.match(settings.html, NOT_SET_UP);
        assert.doesNotMatch(settings.html, /Send a test mail<\/button>/);
        const posted = await root.post('/admin/settings/test-mail');
        assert.equal(posted.status, 200);
        assert.match(posted.html, NOT_SET_UP);
      } finally {
        await bare.close();
      }
    });
  });
}
