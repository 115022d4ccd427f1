// The push settings page (/push/settings): defaults saved through the form and read back through the
// service, the registrations that receive task events, another user's registration refused, a broken
// template named under its field with the input kept, the template preview with and without htmx,
// the digest with a preset and a custom interval (and one below 60 s refused), and "send now" with
// no registration and with a webhook that gets the digest.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient, api, userWithToken, type Page } from '../helpers/client.js';
import { startPushReceiver, type PushReceiver } from '../helpers/push-receiver.js';
import type { User } from '../../src/accounts/users-repo.js';

const NOW = Date.parse('2026-11-21T03:00:00Z');
const WEBHOOK_SECRET = 'whsec_' + Buffer.alloc(24, 7).toString('base64');

/** Every field of the settings form as a browser sends it with nothing changed (the defaults). */
const FORM: Record<string, string | string[]> = {
  autoFailure: 'on',
  failureThreshold: '1',
  repeat: 'every',
  notifyRecovery: 'on',
  registrations: 'all',
  titleTemplate: '',
  bodyTemplate: '',
  digestFirstAt: '08:00',
  digestInterval: '86400',
  digestCustom: '',
  digestCustomUnit: 'minutes',
  digestTimezone: '',
  digestRegistrations: 'all',
};

function fieldError(html: string, id: string): string | undefined {
  return new RegExp(`id="${id}-error" class="field-error"[^>]*>([^<]*)<`).exec(html)?.[1];
}

function htmxPost(client: WebClient, path: string, fields: Record<string, string>): Promise<Page> {
  const body = new URLSearchParams({ _csrf: client.csrf, ...fields });
  return client.request('POST', path, { body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' } });
}

function flashOf(html: string): string | undefined {
  return /<p class="flash [^"]*"[^>]*>([^<]*)<\/p>/.exec(html)?.[1];
}

for (const dialect of DIALECTS) {
  describe(`push settings page (${dialect})`, () => {
    let app: TestApp;
    let receiver: PushReceiver;
    const knex = () => app.database.db.knex;

    before(async () => {
      app = await startTestApp(dialect, { env: { ALLOW_PRIVATE_NETWORK: 'true', DEFAULT_TIMEZONE: 'UTC' }, clock: { now: () => NOW } });
      receiver = await startPushReceiver();
      await userWithToken(app.url, `admin-settings-${dialect}@example.com`); // the first user is the admin
    });
    after(async () => {
      await receiver.close();
      await app.close();
    });

    /** A user with a logged-in browser on the settings page and an API token. */
    async function newUser(label: string) {
      const user = await userWithToken(app.url, `${label}-${dialect}@example.com`);
      const browser = new WebClient(app.url);
      assert.equal((await browser.login(user.email)).status, 303);
      const page = await browser.get('/push/settings');
      assert.equal(page.status, 200);
      const settings = () => app.services.pushSettings.get({ id: user.id } as User);
      return { ...user, browser, page, settings };
    }

    async function registration(token: string, name: string, channel = 'bark', config: Record<string, unknown> = { serverUrl: 'http://127.0.0.1:1', deviceKey: 'k' }): Promise<number> {
      const res = await api(app.url, 'POST', '/push/registrations', { token, body: { channel, name, config } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id;
    }

    it('is linked from the push pages and shows the defaults with the QD threshold note', async () => {
      const ada = await newUser('ada');
      for (const path of ['/push', '/push/history']) {
        const page = await ada.browser.get(path);
        assert.match(page.html, /<nav class="tabs" aria-label="Push sections">[\s\S]*href="\/push\/settings">Settings</);
      }
      assert.match(ada.page.html, /<a href="\/push\/settings" aria-current="page">Settings<\/a>/);
      assert.match(ada.page.html, /name="autoFailure" checked/);
      assert.doesNotMatch(ada.page.html, /name="manualSuccess" checked/);
      assert.match(ada.page.html, /So QD’s N is N\+1 here\./);
      assert.match(ada.page.html, /You have no push registrations yet\. <a href="\/push\/new">/);
      assert.match(ada.page.html, /The digest is off\./);
      assert.equal((await ada.settings()).saved, false);
    });

    it('saves the defaults through the form and reads them back', async () => {
      const bob = await newUser('bob');
      const saved = await bob.browser.post('/push/settings', {
        ...FORM,
        manualFailure: 'on',
        autoSuccess: 'on',
        autoFailure: 'on',
        failureThreshold: '3',
        repeat: 'once',
        notifyRecovery: [],
        titleTemplate: '{{ task.name }}: {{ run.status }}',
      });
      assert.equal(saved.status, 303, saved.html.slice(0, 800));
      assert.equal(saved.location, '/push/settings');
      const { defaults } = await bob.settings();
      assert.deepEqual(defaults, {
        manualSuccess: false,
        manualFailure: true,
        autoSuccess: true,
        autoFailure: true,
        failureThreshold: 3,
        repeat: 'once',
        notifyRecovery: false,
        registrationIds: null,
        titleTemplate: '{{ task.name }}: {{ run.status }}',
      });
      const page = await bob.browser.get('/push/settings');
      assert.equal(flashOf(page.html), 'Push settings saved.');
      assert.match(page.html, /name="failureThreshold" type="text"\s+value="3"/);
      assert.match(page.html, /name="repeat" value="once" checked/);
      assert.doesNotMatch(page.html, /name="notifyRecovery" checked/);
      assert.match(page.html, /<strong>Daily check-in: failure<\/strong>/, 'the preview uses the saved title template');
    });

    it('sends task events to the chosen registrations only', async () => {
      const cat = await newUser('cat');
      const phone = await registration(cat.token, 'Phone');
      const laptop = await registration(cat.token, 'Laptop');
      await cat.browser.get('/push/settings');
      const saved = await cat.browser.post('/push/settings', { ...FORM, registrations: 'chosen', registrationIds: [String(laptop)] });
      assert.equal(saved.status, 303, saved.html.slice(0, 800));
      assert.deepEqual((await cat.settings()).defaults.registrationIds, [laptop]);
      const page = await cat.browser.get('/push/settings');
      assert.match(page.html, /name="registrations" value="chosen" checked/);
      assert.match(page.html, new RegExp(`name="registrationIds" value="${laptop}" checked`));
      assert.match(page.html, new RegExp(`name="registrationIds" value="${phone}">`));
      // Back to all: the ticks no longer count.
      await cat.browser.post('/push/settings', { ...FORM, registrations: 'all', registrationIds: [String(laptop)] });
      assert.equal((await cat.settings()).defaults.registrationIds, null);
    });

    it("refuses another user's registration and saves nothing", async () => {
      const dan = await newUser('dan');
      const eve = await newUser('eve');
      const evesPhone = await registration(eve.token, 'Eve’s phone');
      const bad = await dan.browser.post('/push/settings', { ...FORM, failureThreshold: '5', registrations: 'chosen', registrationIds: [String(evesPhone)] });
      assert.equal(bad.status, 400);
      assert.equal(fieldError(bad.html, 'f-registrationIds'), 'Not one of your push registrations.');
      assert.match(bad.html, /name="failureThreshold" type="text"\s+value="5"/, 'the input is kept');
      assert.doesNotMatch(bad.html, /Eve’s phone/);
      assert.equal((await dan.settings()).saved, false);
      const digestToo = await dan.browser.post('/push/settings', { ...FORM, digestEnabled: 'on', digestRegistrations: 'chosen', digestRegistrationIds: [String(evesPhone)] });
      assert.equal(digestToo.status, 400);
      assert.equal(fieldError(digestToo.html, 'f-digestRegistrationIds'), 'Not one of your push registrations.');
      assert.equal((await dan.settings()).saved, false);
    });

    it('names a broken template under its field and keeps the input', async () => {
      const fay = await newUser('fay');
      const bad = await fay.browser.post('/push/settings', { ...FORM, titleTemplate: '{{ task.name', bodyTemplate: 'Hello {{ user.email }}', failureThreshold: '0' });
      assert.equal(bad.status, 400);
      assert.match(fieldError(bad.html, 'f-titleTemplate') ?? '', /^The template does not work: /);
      assert.equal(fieldError(bad.html, 'f-bodyTemplate'), undefined);
      assert.equal(fieldError(bad.html, 'f-failureThreshold'), 'Must be at least 1.');
      assert.match(bad.html, /name="titleTemplate" type="text"\s+value="\{\{ task.name"/);
      assert.match(bad.html, />Hello \{\{ user.email \}\}<\/textarea>/);
      assert.match(bad.html, /Please correct the fields marked below\./);
      assert.equal((await fay.settings()).saved, false);
    });

    it('previews the templates on sample data, with htmx and without', async () => {
      const gus = await newUser('gus');
      const fields = { ...FORM, titleTemplate: 'Oh no: {{ task.name }}', bodyTemplate: '{{ run.error }} after {{ task.consecutive_failures }}', failureThreshold: '4' } as Record<string, string>;
      const fragment = await htmxPost(gus.browser, '/push/settings/preview', fields);
      assert.equal(fragment.status, 200);
      assert.doesNotMatch(fragment.html, /<html/, 'htmx gets the preview box alone');
      assert.match(fragment.html, /^<div id="template-preview"/);
      assert.match(fragment.html, /<strong>Oh no: Daily check-in<\/strong>/);
      assert.match(fragment.html, /<pre class="http" tabindex="0">step 2\/3 failed: HTTP 500 \(expected 200\) after 3<\/pre>/);

      const broken = await htmxPost(gus.browser, '/push/settings/preview', { ...fields, titleTemplate: '{% if %}' });
      assert.match(broken.html, /class="field-error"><small>The template does not work: /);
      assert.match(broken.html, /<strong>❌ Daily check-in failed \(3× in a row\)<\/strong>/, 'the standard title stands in for the broken one');

      const page = await gus.browser.post('/push/settings/preview', fields);
      assert.equal(page.status, 200);
      assert.match(page.html, /<h1>Push settings<\/h1>/);
      assert.match(page.html, /<strong>Oh no: Daily check-in<\/strong>/);
      assert.match(page.html, /name="titleTemplate" type="text"\s+value="Oh no: \{\{ task.name \}\}"/, 'the input is kept');
      assert.match(page.html, /name="failureThreshold" type="text"\s+value="4"/);
      assert.equal((await gus.settings()).saved, false, 'a preview saves nothing');
    });

    it('turns the digest on with a preset and with a custom interval, and shows the next one', async () => {
      const hal = await newUser('hal');
      const preset = await hal.browser.post('/push/settings', { ...FORM, digestEnabled: 'on', digestFirstAt: '08:00', digestInterval: '21600', digestTimezone: 'Asia/Shanghai' });
      assert.equal(preset.status, 303, preset.html.slice(0, 800));
      const { digest } = await hal.settings();
      assert.deepEqual({ ...digest }, { enabled: true, firstAt: '08:00:00', intervalSeconds: 21600, timezone: 'Asia/Shanghai', registrationIds: null, nextAt: Date.parse('2026-11-22T00:00:00Z') });
      const page = await hal.browser.get('/push/settings');
      assert.match(page.html, /Next digest: <strong><time datetime="2026-11-22T00:00:00.000Z">Nov 22, 2026, 12:00 AM<\/time><\/strong> <small class="muted">\(UTC\)<\/small> · Nov 22, 2026, 8:00 AM <small class="muted">\(Asia\/Shanghai\)<\/small>/);
      assert.match(page.html, /name="digestInterval" value="21600" checked/);
      assert.match(page.html, /<option value="Asia\/Shanghai" selected>/);

      const custom = await hal.browser.post('/push/settings', { ...FORM, digestEnabled: 'on', digestFirstAt: '03:30', digestInterval: 'custom', digestCustom: '90', digestCustomUnit: 'minutes' });
      assert.equal(custom.status, 303, custom.html.slice(0, 800));
      const after = (await hal.settings()).digest;
      assert.equal(after.intervalSeconds, 5400);
      assert.equal(after.timezone, null);
      assert.equal(after.nextAt, Date.parse('2026-11-21T03:30:00Z'));
      const again = await hal.browser.get('/push/settings');
      assert.match(again.html, /name="digestInterval" value="custom" checked/);
      assert.match(again.html, /name="digestCustom" value="90"/);
      assert.match(again.html, /<time datetime="2026-11-21T03:30:00.000Z">/);

      const seconds = await hal.browser.post('/push/settings', { ...FORM, digestEnabled: 'on', digestInterval: 'custom', digestCustom: '75', digestCustomUnit: 'seconds' });
      assert.equal(seconds.status, 303);
      assert.equal((await hal.settings()).digest.intervalSeconds, 75);
    });

    it('refuses a digest interval below 60 seconds and a bad first time', async () => {
      const ian = await newUser('ian');
      const short = await ian.browser.post('/push/settings', { ...FORM, digestEnabled: 'on', digestInterval: 'custom', digestCustom: '30', digestCustomUnit: 'seconds', digestFirstAt: '8 pm' });
      assert.equal(short.status, 400);
      assert.equal(fieldError(short.html, 'f-digestInterval'), 'Choose an interval of at least 60 seconds (at most 366 days), in whole seconds.');
      assert.equal(fieldError(short.html, 'f-digestFirstAt'), 'A time of day such as 08:00 or 08:00:30.');
      assert.match(short.html, /name="digestCustom" value="30"/);
      assert.match(short.html, /<option value="seconds" selected>/);
      const fraction = await ian.browser.post('/push/settings', { ...FORM, digestEnabled: 'on', digestInterval: 'custom', digestCustom: '0.5', digestCustomUnit: 'minutes' });
      assert.equal(fraction.status, 400);
      assert.ok(fieldError(fraction.html, 'f-digestInterval'));
      assert.equal((await ian.settings()).saved, false);
    });

    it('sends the digest now: says so without a registration, queues it for a webhook', async () => {
      const joy = await newUser('joy');
      const template = (await api(app.url, 'POST', '/templates', { token: joy.token, body: { name: 'ping', steps: [{ method: 'GET', url: 'http://127.0.0.1:1/' }] } })).body.id;
      assert.equal((await api(app.url, 'POST', '/tasks', { token: joy.token, body: { templateId: template, name: 'Check in' } })).status, 201);

      const none = await joy.browser.post('/push/settings/digest/send');
      assert.equal(none.status, 303);
      assert.equal(none.location, '/push/settings#digest');
      let page = await joy.browser.get('/push/settings');
      assert.equal(flashOf(page.html), 'Nothing sent: no enabled registration receives the digest. Add one, or change who receives it.');
      assert.match(page.html, /Preview the next digest<\/h3>[\s\S]*Check in/, 'the preview lists the task');

      const hook = await registration(joy.token, 'Hook', 'webhook', { url: `${receiver.url}/digest`, secret: WEBHOOK_SECRET });
      await joy.browser.post('/push/settings/digest/send');
      page = await joy.browser.get('/push/settings');
      assert.equal(flashOf(page.html), 'Digest queued for 1 registration, covering Nov 20, 2026, 3:00 AM – Nov 21, 2026, 3:00 AM.');
      const rows = (await knex()('push_messages').where({ registration_id: hook })) as { event: string; status: string }[];
      assert.deepEqual(rows.map((r) => r.event), ['digest']);

      await app.services.dispatcher.drain();
      const sent = receiver.requests.filter((r) => r.path === '/digest');
      assert.equal(sent.length, 1);
      assert.match(sent[0]!.text, /Check in/);
    });

    it('says when there is nothing to send', async () => {
      const kim = await newUser('kim');
      await registration(kim.token, 'Phone');
      await kim.browser.post('/push/settings/digest/send');
      const page = await kim.browser.get('/push/settings');
      assert.match(flashOf(page.html) ?? '', /^Nothing sent: no runs from .* and no enabled push-enabled tasks\.$/);
      assert.match(page.html, /Nothing to send yet: no runs and no enabled push-enabled tasks\./);
    });

    it('answers in Chinese', async () => {
      const lin = await newUser('lin');
      await lin.browser.post('/account/preferences', { locale: 'zh-CN', timezone: '' });
      const page = await lin.browser.get('/push/settings');
      assert.match(page.html, /<h1>推送设置<\/h1>/);
      assert.match(page.html, /QD 的 N 在这里要填 N\+1/);
      const bad = await lin.browser.post('/push/settings', { ...FORM, digestInterval: 'custom', digestCustom: '10', digestCustomUnit: 'seconds' });
      assert.equal(bad.status, 400);
      assert.equal(fieldError(bad.html, 'f-digestInterval'), '请选择至少 60 秒（最多 366 天）的间隔，按整秒计。');
    });
  });
}
