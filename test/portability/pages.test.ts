// The "Your data" page: the export form downloads a dated JSON file (sealed secrets with a passphrase
// typed twice), the import form takes an uploaded file and shows the report, or what is wrong with it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient, api, userWithToken } from '../helpers/client.js';
import { PASSPHRASE, SECRETS, counts, seedUser } from './fixtures.js';

const decode = (html: string) => html.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function upload(content: string, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'application/json' }), 'chime-export.json');
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

for (const dialect of DIALECTS) {
  describe(`your data page (${dialect})`, () => {
    let app: TestApp;
    let ada: Awaited<ReturnType<typeof userWithToken>>;
    let browser: WebClient;

    before(async () => {
      app = await startTestApp(dialect);
      ada = await userWithToken(app.url, `ada-page-${dialect}@example.com`);
      await seedUser(app.url, ada.token, 'https://shop.example.com');
      browser = new WebClient(app.url);
      await browser.login(ada.email);
    });
    after(() => app.close());

    it('asks visitors to log in first', async () => {
      const page = await new WebClient(app.url).get('/account/data');
      assert.equal(page.status, 303);
      assert.equal(page.location, '/login?next=%2Faccount%2Fdata');
    });

    it('downloads the export as a dated JSON file, sealed when a passphrase is given', async () => {
      const page = await browser.get('/account/data');
      assert.equal(page.status, 200);
      assert.match(page.html, /<h1>Your data<\/h1>/);
      assert.match(page.html, /action="\/account\/data\/import" enctype="multipart\/form-data"/);

      const plain = await browser.post('/account/data/export', { passphrase: '', passphraseConfirm: '' });
      assert.equal(plain.status, 200);
      assert.match(plain.headers.get('content-type') ?? '', /^application\/json/);
      assert.match(plain.headers.get('content-disposition') ?? '', /^attachment; filename="chime-export-\d{4}-\d{2}-\d{2}\.json"$/);
      const file = JSON.parse(plain.html);
      assert.equal(file.format, 'chime-export');
      assert.equal(file.secrets, undefined);
      assert.equal(file.tasks.length, 2);

      await browser.get('/account/data');
      const sealed = await browser.post('/account/data/export', { passphrase: PASSPHRASE, passphraseConfirm: PASSPHRASE });
      assert.equal(JSON.parse(sealed.html).secrets.kdf, 'scrypt');
      for (const secret of Object.values(SECRETS)) assert.ok(!sealed.html.includes(secret));
    });

    it('shows a mistyped or short passphrase in place and downloads nothing', async () => {
      await browser.get('/account/data');
      const differ = await browser.post('/account/data/export', { passphrase: PASSPHRASE, passphraseConfirm: 'something else' });
      assert.equal(differ.status, 400);
      assert.match(differ.html, /id="f-passphraseConfirm-error"[^>]*>The two passphrases differ\./);
      assert.doesNotMatch(differ.html, new RegExp(PASSPHRASE), 'the passphrase is not shown back');
      assert.equal(differ.headers.get('content-disposition'), null);
      const short = await browser.post('/account/data/export', { passphrase: 'short', passphraseConfirm: 'short' });
      assert.equal(short.status, 400);
      assert.match(short.html, /id="f-passphrase-error"[^>]*>Must be at least 8 characters\./);
      // Sent twice, a passphrase is refused rather than read as "export without secrets".
      const twice = await browser.request('POST', '/account/data/export', {
        body: new URLSearchParams([['_csrf', browser.csrf], ['passphrase', PASSPHRASE], ['passphrase', PASSPHRASE], ['passphraseConfirm', PASSPHRASE]]).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(twice.status, 400);
      assert.equal(twice.headers.get('content-disposition'), null);
    });

    it('imports an uploaded file with its passphrase and shows the report', async () => {
      await browser.get('/account/data');
      const exported = await browser.post('/account/data/export', { passphrase: PASSPHRASE, passphraseConfirm: PASSPHRASE });
      const bo = await userWithToken(app.url, `bo-page-${dialect}@example.com`);
      const boBrowser = new WebClient(app.url);
      await boBrowser.login(bo.email);
      await boBrowser.get('/account/data');
      const page = await boBrowser.postMultipart('/account/data/import', upload(exported.html, { filePassphrase: PASSPHRASE }));
      assert.equal(page.status, 200, page.html.slice(0, 500));
      const html = decode(page.html);
      assert.match(html, /Import finished/);
      assert.match(html, /Secrets were restored with the passphrase\./);
      assert.match(html, /2 templates imported/);
      assert.match(html, /2 tasks imported/);
      assert.match(html, /2 push registrations imported/);
      assert.match(html, /Push settings imported\./);
      const tasks = (await api(app.url, 'GET', '/tasks', { token: bo.token })).body.items;
      assert.match(html, new RegExp(`<a href="/tasks/${tasks.find((t: { name: string }) => t.name === 'Daily check-in').id}">Daily check-in</a>`));

      // The same file again, without the passphrase: names get "(2)", secrets are listed as missing.
      await boBrowser.get('/account/data');
      const again = decode((await boBrowser.postMultipart('/account/data/import', upload(exported.html))).html);
      assert.match(again, /The file holds secrets, but no passphrase was given/);
      assert.match(again, /Daily check-in \(2\)<\/a>\s*<small class="muted">\(was “Daily check-in”\)<\/small>/);
      assert.match(again, /Secrets not imported: token/);
      assert.match(again, /Switched off: its secrets were not imported\./);
      assert.match(again, /1 object skipped/);
      assert.match(again, /<td>Push settings<\/td><td><\/td><td>You already have push settings; they were kept/);
    });

    it('says what is wrong with a file it cannot read, and changes nothing', async () => {
      const before = await counts(app.url, ada.token);
      await browser.get('/account/data');
      const notJson = await browser.postMultipart('/account/data/import', upload('this is not json'));
      assert.equal(notJson.status, 400);
      assert.match(notJson.html, /id="f-file-error"[^>]*>Is not a JSON file\./);
      const wrongVersion = await browser.postMultipart('/account/data/import', upload(JSON.stringify({ format: 'chime-export', version: 7, templates: [], tasks: [], registrations: [] })));
      assert.equal(wrongVersion.status, 400);
      assert.match(decode(wrongVersion.html), /<li><code>file\.version<\/code> Version 7 cannot be read here; this server reads version 1\.<\/li>/);
      const sealed = JSON.parse((await browser.post('/account/data/export', { passphrase: PASSPHRASE, passphraseConfirm: PASSPHRASE })).html);
      await browser.get('/account/data');
      const wrong = await browser.postMultipart('/account/data/import', upload(JSON.stringify(sealed), { filePassphrase: 'not it at all' }));
      assert.equal(wrong.status, 400);
      assert.match(wrong.html, /id="f-filePassphrase-error"[^>]*>The passphrase does not open the secrets of this file; nothing was imported\./);
      const none = await browser.postMultipart('/account/data/import', new FormData());
      assert.equal(none.status, 400);
      assert.match(none.html, /Choose an export file\./);
      // A form that is not ours: the file under another name, two files, a field given twice.
      const elsewhere = new FormData();
      elsewhere.append('upload', new Blob(['{}'], { type: 'application/json' }), 'x.json');
      assert.equal((await browser.postMultipart('/account/data/import', elsewhere)).status, 400);
      const two = upload('{}');
      two.append('file', new Blob(['{}'], { type: 'application/json' }), 'y.json');
      assert.equal((await browser.postMultipart('/account/data/import', two)).status, 400);
      await browser.get('/account/data');
      const twice = upload(JSON.stringify(sealed), { filePassphrase: PASSPHRASE });
      twice.append('filePassphrase', PASSPHRASE);
      const refused = await browser.postMultipart('/account/data/import', twice);
      assert.equal(refused.status, 400);
      assert.match(refused.html, /id="f-filePassphrase-error"[^>]*>Must be text\./);
      assert.deepEqual(await counts(app.url, ada.token), before);
    });

    it('refuses an upload without the CSRF token', async () => {
      const form = upload('{}');
      form.append('_csrf', 'forged');
      const page = await browser.postMultipart('/account/data/import', form);
      assert.equal(page.status, 403);
    });
  });
}
