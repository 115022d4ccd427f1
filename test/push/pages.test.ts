// The push pages: adding a channel through its generated form (errors under their fields, input kept,
// secrets never echoed), Test on unsaved and saved values against a local Bark stand-in, write-only
// secrets on edit (empty keeps, "clear" removes), enable/disable, delete after a confirmation,
// another user's ids, the webhook secret generator, the email channel without MAIL_SMTP, the 7-day
// figures, and the delivery history with its filters and paging.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WebClient, type Page } from '../helpers/client.js';
import { startPushReceiver, type PushReceiver } from '../helpers/push-receiver.js';

const SECRET = 'bark-device-key-SECRET-4711';
const BARK_OK = { status: 200, body: { code: 200, message: 'success' } };

/** A form post the way htmx sends it: the same fields, plus the HX-Request header. */
function htmxPost(client: WebClient, path: string, fields: Record<string, string>): Promise<Page> {
  const body = new URLSearchParams({ _csrf: client.csrf, ...fields });
  return client.request('POST', path, { body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' } });
}

/** The error shown under a form field (by the input's id). */
function fieldError(html: string, id: string): string | undefined {
  return new RegExp(`id="${id}-error" class="field-error">([^<]*)<`).exec(html)?.[1];
}

for (const dialect of DIALECTS) {
  describe(`push pages (${dialect})`, () => {
    let app: TestApp;
    let receiver: PushReceiver;
    let ada: WebClient;
    let adaId: number;
    const knex = () => app.database.db.knex;
    const bark = (over: Record<string, string> = {}) => ({
      channel: 'bark',
      name: 'My phone',
      'config[serverUrl]': receiver.url,
      'config[deviceKey]': SECRET,
      enabled: 'on',
      ...over,
    });
    const registrationsOf = async (userId: number) => (await knex()('push_registrations').where({ user_id: userId }).orderBy('id')) as { id: number; name: string }[];
    const deviceKeySent = () => (receiver.last().json() as { device_key: string }).device_key;

    async function createBark(name: string, over: Record<string, string> = {}): Promise<number> {
      await ada.get('/push/new/bark');
      const res = await ada.post('/push', bark({ name, ...over }));
      assert.equal(res.status, 303, res.html.slice(0, 500));
      const row = (await registrationsOf(adaId)).find((r) => r.name === name);
      return Number(row!.id);
    }

    before(async () => {
      app = await startTestApp(dialect, { env: { ALLOW_PRIVATE_NETWORK: 'true' } });
      receiver = await startPushReceiver();
      ada = new WebClient(app.url);
      await ada.register(`ada-pages-${dialect}@example.com`);
      adaId = Number((await knex()('users').where({ email: `ada-pages-${dialect}@example.com` }).first()).id);
    });
    after(async () => {
      await receiver.close();
      await app.close();
    });
    beforeEach(() => receiver.answer(BARK_OK));

    it('says what to do when there are no channels yet, and Push is in the navigation', async () => {
      const page = await ada.get('/push');
      assert.equal(page.status, 200);
      assert.match(page.html, /<a href="\/push" aria-current="page">Push<\/a>/);
      assert.match(page.html, /No push channels yet — add one to get results where you look\./);
      assert.match(page.html, /href="\/push\/history"/);
      const history = await ada.get('/push/history');
      assert.match(history.html, /Nothing was pushed yet/);
    });

    it('lists every channel in the catalog; an unknown channel is a 404', async () => {
      const catalog = await ada.get('/push/new');
      assert.equal(catalog.status, 200);
      assert.equal([...catalog.html.matchAll(/href="\/push\/new\/([a-z_]+)"/g)].length, 16);
      assert.match(catalog.html, /href="\/push\/new\/wecom_bot">WeCom group robot</);
      assert.equal((await ada.get('/push/new/nope')).status, 404);
      assert.equal((await ada.get('/push/new/__proto__')).status, 404);
    });

    it('draws each field of the Bark form with the right input, required marks and help', async () => {
      const form = await ada.get('/push/new/bark');
      assert.match(form.html, /<input id="f-name" name="name" type="text"\s+value="Bark"/, 'the name defaults to the channel label');
      assert.match(form.html, /Device key <span class="required-mark"[^>]*>\*<\/span>/);
      assert.match(form.html, /<input type="password" id="f-config-deviceKey" name="config\[deviceKey\]"/);
      assert.match(form.html, /<select id="f-config-level" name="config\[level\]"[^>]*>\s*<option value="">—<\/option>\s*<option value="active">active<\/option><option value="timeSensitive">/);
      assert.match(form.html, /<input type="url" id="f-config-serverUrl"/);
      assert.match(form.html, /name="enabled" checked/);
      assert.match(form.html, /formaction="\/push\/test"/);
      const telegram = await ada.get('/push/new/telegram');
      assert.match(telegram.html, /<input type="checkbox" id="f-config-silent" name="config\[silent\]"/);
      const ntfy = await ada.get('/push/new/ntfy');
      assert.match(ntfy.html, /<textarea id="f-config-tags" name="config\[tags\]"/);
      assert.match(ntfy.html, /One per line\./);
      assert.match(ntfy.html, /<input type="number" id="f-config-priority"/);
    });

    it('refuses bad input with 400, each error under its field, the input kept but never the secret, nothing saved', async () => {
      await ada.get('/push/new/bark');
      const bad = await ada.post('/push', bark({ name: '', 'config[serverUrl]': 'not a url', 'config[group]': 'kept group', 'config[level]': 'loud' }));
      assert.equal(bad.status, 400);
      assert.equal(fieldError(bad.html, 'f-name'), 'Required.');
      assert.equal(fieldError(bad.html, 'f-config-serverUrl'), 'Must be an http:// or https:// URL.');
      assert.match(fieldError(bad.html, 'f-config-level') ?? '', /^Must be one of: active, timeSensitive/);
      assert.match(bad.html, /id="f-config-serverUrl" name="config\[serverUrl\]" value="not a url"/);
      assert.match(bad.html, /id="f-config-group" name="config\[group\]" value="kept group"/);
      assert.ok(!bad.html.includes(SECRET), 'the secret is not sent back');
      assert.match(bad.html, /Secrets are not sent back to the page: type it again before saving\./);
      assert.match(bad.html, /Please correct the fields marked below\./);
      const missing = await ada.post('/push', bark({ 'config[deviceKey]': '' }));
      assert.equal(missing.status, 400);
      assert.equal(fieldError(missing.html, 'f-config-deviceKey'), 'Required.');
      assert.deepEqual(await registrationsOf(adaId), []);
      assert.equal((await ada.post('/push', { ...bark(), channel: 'nope' })).status, 404);
    });

    it('tests the unsaved add form: the receiver gets the push, the page says sent, nothing is saved', async () => {
      await ada.get('/push/new/bark');
      const noJs = await ada.post('/push/test', bark({ 'config[group]': 'g1' }));
      assert.equal(noJs.status, 200);
      assert.equal(receiver.last().path, '/push');
      assert.equal(deviceKeySent(), SECRET);
      assert.equal((receiver.last().json() as { group: string }).group, 'g1');
      assert.match(noJs.html, /Sent — check your device\./);
      assert.match(noJs.html, /<form id="push-form"/, 'the form again, with its values');
      assert.match(noJs.html, /value="g1"/);
      assert.ok(!noJs.html.includes(SECRET));
      const withHtmx = await htmxPost(ada, '/push/test', bark());
      assert.equal(withHtmx.status, 200);
      assert.match(withHtmx.html.trim(), /^<div id="test-result" class="test-result has-result"/, 'only the result area');
      assert.match(withHtmx.html, /Sent — check your device\./);
      assert.deepEqual(await registrationsOf(adaId), []);
    });

    it('shows the plain reason and the answer when the service refuses a test', async () => {
      receiver.answer({ status: 400, body: { code: 400, message: 'failed to get device token' } });
      await ada.get('/push/new/bark');
      const page = await ada.post('/push/test', bark());
      assert.equal(page.status, 200);
      assert.match(page.html, /Not sent:<\/strong> Bark: failed to get device token/);
      assert.match(page.html, /<details>\s*<summary>What the service answered<\/summary>\s*<pre class="http" tabindex="0">\{&#34;code&#34;:400/);
      const bad = await htmxPost(ada, '/push/test', bark({ 'config[serverUrl]': 'ftp://x' }));
      assert.equal(bad.status, 400, 'bad input on Test is shown like on save');
      assert.equal(bad.headers.get('hx-retarget'), '#push-form');
      assert.equal(fieldError(bad.html, 'f-config-serverUrl'), 'Must be an http:// or https:// URL.');
    });

    it('creates from the form and lists it with the secret masked, never in any page', async () => {
      const id = await createBark('Phone A', { 'config[group]': 'chores' });
      const list = await ada.get('/push');
      assert.match(list.html, /“Phone A” added\./);
      assert.match(list.html, new RegExp(`<a href="/push/${id}/edit">Phone A</a>`));
      assert.match(list.html, /<span class="badge">Bark<\/span>/);
      assert.match(list.html, /Device key: <span class="code">••••4711<\/span>/);
      assert.match(list.html, /No deliveries yet/);
      const edit = await ada.get(`/push/${id}/edit`);
      assert.equal(edit.status, 200);
      assert.match(edit.html, /Set, ends in ••••4711\. Leave empty to keep it\./);
      assert.match(edit.html, /name="clear\[deviceKey\]"/);
      assert.match(edit.html, /value="chores"/);
      for (const page of [list, edit, await ada.get('/push/history')]) assert.ok(!page.html.includes(SECRET), 'the secret never reaches a page');
    });

    it('keeps a secret left empty on edit (a test proves it), clears an emptied plain field, tests an edit without saving', async () => {
      const id = await createBark('Phone B', { 'config[group]': 'old group' });
      await ada.get(`/push/${id}/edit`);
      const saved = await ada.post(`/push/${id}`, { name: 'Phone B2', 'config[serverUrl]': receiver.url, 'config[deviceKey]': '', 'config[group]': '', enabled: 'on' });
      assert.equal(saved.status, 303, saved.html.slice(0, 300));
      const config = (await app.services.push.get({ id: adaId } as never, id)).config;
      assert.equal(config.deviceKey, SECRET);
      assert.equal(config.group, undefined, 'the emptied field is cleared');
      const list = await ada.get('/push');
      assert.match(list.html, /Phone B2/);
      const tested = await ada.post(`/push/${id}/test`, {});
      assert.equal(tested.status, 200);
      assert.equal(deviceKeySent(), SECRET);
      assert.match(tested.html, new RegExp(`id="test-result-${id}" class="test-result has-result"[^>]*>\\s*<p class="test-ok"><strong>Sent — check your device\\.`));
      const inline = await htmxPost(ada, `/push/${id}/test`, {});
      assert.match(inline.html.trim(), new RegExp(`^<div id="test-result-${id}"`));
      // The edit form's Test sends the values being edited, and saves nothing.
      await ada.get(`/push/${id}/edit`);
      const editTest = await ada.post(`/push/${id}/test`, { fromForm: '1', name: 'Phone B2', 'config[serverUrl]': receiver.url, 'config[deviceKey]': 'another-key-0000', enabled: 'on' });
      assert.equal(editTest.status, 200);
      assert.equal(deviceKeySent(), 'another-key-0000');
      assert.match(editTest.html, /Sent — check your device\./);
      assert.match(editTest.html, /type the new value again, or leave it empty/);
      assert.ok(!editTest.html.includes('another-key-0000'));
      await ada.post(`/push/${id}/test`, {});
      assert.equal(deviceKeySent(), SECRET, 'the tested edit was not saved');
    });

    it('clears a secret with its box: a required one is refused, an optional one is removed', async () => {
      const id = await createBark('Phone C');
      await ada.get(`/push/${id}/edit`);
      const refused = await ada.post(`/push/${id}`, { name: 'Phone C', 'config[serverUrl]': receiver.url, 'clear[deviceKey]': 'on', enabled: 'on' });
      assert.equal(refused.status, 400);
      assert.equal(fieldError(refused.html, 'f-config-deviceKey'), 'Required.');
      assert.equal((await app.services.push.get({ id: adaId } as never, id)).config.deviceKey, SECRET, 'nothing saved');

      await ada.get('/push/new/dingtalk');
      const created = await ada.post('/push', { channel: 'dingtalk', name: 'Robot', 'config[accessToken]': 'dt-token-123456789', 'config[secret]': 'SEC-signing-secret-99', enabled: 'on' });
      assert.equal(created.status, 303, created.html.slice(0, 500));
      const robot = (await registrationsOf(adaId)).find((r) => r.name === 'Robot')!;
      const edit = await ada.get(`/push/${robot.id}/edit`);
      assert.match(edit.html, /Set, ends in ••••t-99\./);
      const cleared = await ada.post(`/push/${robot.id}`, { name: 'Robot', 'config[accessToken]': '', 'clear[secret]': 'on', enabled: 'on' });
      assert.equal(cleared.status, 303);
      const config = (await app.services.push.get({ id: adaId } as never, robot.id)).config;
      assert.deepEqual(config, { accessToken: 'dt-token-123456789' });
      assert.match((await ada.get(`/push/${robot.id}/edit`)).html, /id="f-config-secret-state" class="secret-state">\s*Not set\./);
    });

    it('turns a channel off and on', async () => {
      const id = await createBark('Phone D');
      await ada.get('/push');
      const off = await ada.post(`/push/${id}/toggle`);
      assert.equal(off.status, 303);
      assert.equal(off.location, '/push');
      let list = await ada.get('/push');
      assert.match(list.html, /“Phone D” is off/);
      assert.match(list.html, new RegExp(`<li class="registration disabled-row" id="push-${id}">`));
      assert.match(list.html, new RegExp(`action="/push/${id}/toggle" class="inline-form">\\s*<input[^>]*>\\s*<button type="submit" class="outline compact">Turn on</button>`));
      assert.equal((await app.services.push.get({ id: adaId } as never, id)).enabled, false);
      await ada.post(`/push/${id}/toggle`);
      list = await ada.get('/push');
      assert.match(list.html, /“Phone D” is on/);
      assert.equal((await app.services.push.get({ id: adaId } as never, id)).enabled, true);
    });

    it('deletes after a confirmation page', async () => {
      const id = await createBark('Phone E');
      const confirm = await ada.get(`/push/${id}/delete`);
      assert.equal(confirm.status, 200);
      assert.match(confirm.html, /Delete the push channel “Phone E”\?/);
      assert.match(confirm.html, new RegExp(`<form method="post" action="/push/${id}/delete"`));
      assert.ok((await registrationsOf(adaId)).some((r) => Number(r.id) === id), 'the confirmation page deletes nothing');
      const done = await ada.post(`/push/${id}/delete`);
      assert.equal(done.status, 303);
      assert.match((await ada.get('/push')).html, /“Phone E” deleted\./);
      assert.ok(!(await registrationsOf(adaId)).some((r) => Number(r.id) === id));
      assert.equal((await ada.get(`/push/${id}/edit`)).status, 404);
    });

    it("answers 404 on every page of another user's channel and changes nothing", async () => {
      const id = await createBark('Ada private');
      const bob = new WebClient(app.url);
      await bob.register(`bob-pages-${dialect}@example.com`);
      await bob.get('/push');
      const attempts: [string, string, Record<string, string>?][] = [
        ['GET', `/push/${id}/edit`],
        ['POST', `/push/${id}`, { name: 'stolen', 'config[deviceKey]': 'x', enabled: 'on' }],
        ['POST', `/push/${id}/test`],
        ['POST', `/push/${id}/test`, { fromForm: '1', 'config[serverUrl]': receiver.url }],
        ['POST', `/push/${id}/toggle`],
        ['GET', `/push/${id}/delete`],
        ['POST', `/push/${id}/delete`],
      ];
      const before = receiver.requests.length;
      for (const [method, path, fields] of attempts) {
        const res = method === 'GET' ? await bob.get(path) : await bob.post(path, fields ?? {});
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.ok(!res.html.includes('Ada private'), `${method} ${path} tells nothing`);
      }
      for (const bad of ['0', 'abc', '99999999999']) assert.equal((await bob.get(`/push/${bad}/edit`)).status, 404);
      assert.equal(receiver.requests.length, before, 'nothing was sent');
      const mine = await app.services.push.get({ id: adaId } as never, id);
      assert.deepEqual({ name: mine.name, enabled: mine.enabled, key: mine.config.deviceKey }, { name: 'Ada private', enabled: true, key: SECRET });
      assert.doesNotMatch((await bob.get('/push')).html, /Ada private/);
      assert.doesNotMatch((await bob.get(`/push/history?registration=${id}`)).html, /Ada private/);
    });

    it('generates a webhook secret, with htmx and without, and shows it once', async () => {
      await ada.get('/push/new/webhook');
      const swapped = await htmxPost(ada, '/push/webhook-secret', {});
      assert.equal(swapped.status, 200);
      const fresh = /^<div id="secret-slot-secret" class="secret-slot">\s*<input type="text" id="f-config-secret" name="config\[secret\]" value="(whsec_[A-Za-z0-9+/=]{32})"/.exec(swapped.html.trim());
      assert.ok(fresh, swapped.html);
      assert.match(swapped.html, /Copy it to your receiver now/);
      const noJs = await ada.post('/push', { channel: 'webhook', name: 'Hook', 'config[url]': receiver.url, op: 'generate-secret', enabled: 'on' });
      assert.equal(noJs.status, 200);
      const filled = /name="config\[secret\]" value="(whsec_[^"]+)"/.exec(noJs.html)?.[1];
      assert.ok(filled && filled !== fresh[1], 'a new secret each time');
      assert.match(noJs.html, new RegExp(`name="config\\[url\\]" value="${receiver.url}"`), 'the other values are kept');
      assert.deepEqual((await registrationsOf(adaId)).filter((r) => r.name === 'Hook'), [], 'generating saves nothing');
      receiver.answer({ status: 204 });
      const tested = await ada.post('/push/test', { channel: 'webhook', name: 'Hook', 'config[url]': receiver.url, 'config[secret]': filled });
      assert.match(tested.html, /Sent — check your device\./);
      assert.match(String(receiver.last().headers['webhook-signature']), /^v1,/);
      const created = await ada.post('/push', { channel: 'webhook', name: 'Hook', 'config[url]': receiver.url, 'config[secret]': filled, enabled: 'on' });
      assert.equal(created.status, 303);
      const hook = (await registrationsOf(adaId)).find((r) => r.name === 'Hook')!;
      const edit = await ada.get(`/push/${hook.id}/edit`);
      assert.ok(!edit.html.includes(filled), 'shown once: not on the edit page');
      assert.ok(!(await ada.get('/push')).html.includes(filled));
      assert.match(edit.html, /Set, ends in ••••/);
    });

    it('says plainly that mail is not set up: in the catalog, on the form, on the list, and in a test', async () => {
      const notSetUp = /Mail is not set up on this server: the admin must set MAIL_SMTP\./;
      assert.match((await ada.get('/push/new')).html, notSetUp);
      assert.match((await ada.get('/push/new/email')).html, notSetUp);
      assert.doesNotMatch((await ada.get('/push/new/bark')).html, notSetUp);
      const test = await ada.post('/push/test', { channel: 'email', name: 'Mail', 'config[to]': 'me@example.com' });
      assert.match(test.html, /Not sent:<\/strong> mail is not set up on this server \(MAIL_SMTP\)/);
      const created = await ada.post('/push', { channel: 'email', name: 'My mail', 'config[to]': 'me@example.com', enabled: 'on' });
      assert.equal(created.status, 303, 'saving does not depend on a test');
      const list = await ada.get('/push');
      const row = /<li class="registration" id="push-\d+">\s*<div class="registration-head">\s*<h2><a href="\/push\/\d+\/edit">My mail<\/a>[\s\S]*?<\/li>/.exec(list.html)?.[0] ?? '';
      assert.match(row, notSetUp);
      const bad = await ada.post('/push', { channel: 'email', name: 'Bad mail', 'config[to]': 'not-an-address' });
      assert.equal(bad.status, 400);
      assert.ok(fieldError(bad.html, 'f-config-to'));
    });

    it('shows the last success, the last error and the 7-day figures', async () => {
      const id = await createBark('Counted');
      const push = app.services.push;
      for (let i = 0; i < 12; i++) await push.enqueue({ userId: adaId, registrationIds: [id], event: 'task.success', title: `ok ${i}`, body: 'fine' });
      await app.services.dispatcher.drain();
      receiver.answer({ status: 400, body: { code: 400, message: 'failed to get device token' } });
      await push.enqueue({ userId: adaId, registrationIds: [id], event: 'task.failure', title: 'broken', body: 'step 1 failed' });
      await app.services.dispatcher.drain();
      const list = await ada.get('/push');
      const row = new RegExp(`<li class="registration" id="push-${id}">[\\s\\S]*?</li>`).exec(list.html)?.[0] ?? '';
      assert.match(row, /12 sent, 1 failed · 92 %/);
      assert.match(row, /<dt>Last success<\/dt>\s*<dd><time datetime="[^"]+">(now|\d+ seconds? ago)<\/time>/);
      assert.match(row, /<dt>Last error<\/dt>\s*<dd><span class="status-failure">Bark: failed to get device token<\/span>/);
    });

    it('pages through the history newest first, 50 a page, with filters that keep each other', async () => {
      const a = await createBark('History A');
      const b = await createBark('History B');
      const push = app.services.push;
      const ids: number[] = [];
      for (let i = 0; i < 55; i++) ids.push(...(await push.enqueue({ userId: adaId, registrationIds: [a], event: i % 5 === 0 ? 'digest' : 'task.failure', title: `A message ${i}`, body: `body of ${i}\nsecond line` })));
      ids.push(...(await push.enqueue({ userId: adaId, registrationIds: [b], event: 'task.recovered', title: 'B recovered', body: 'back' })));
      await knex()('push_messages').whereIn('id', ids.slice(0, 3)).update({ status: 'failed', last_error: 'Bark: bad key', attempts: 1, next_attempt_at: null });

      const first = await ada.get(`/push/history?registration=${a}`);
      assert.equal(first.status, 200);
      const titles = (html: string) => [...html.matchAll(/<p class="message-title"><strong>([^<]+)<\/strong>/g)].map((m) => m[1]);
      assert.equal(titles(first.html).length, 50);
      assert.equal(titles(first.html)[0], 'A message 54', 'newest first');
      assert.match(first.html, /<details>\s*<summary>The message as sent<\/summary>\s*<pre class="http" tabindex="0">body of 54\nsecond line<\/pre>/);
      assert.match(first.html, /Queued<\/span>/);
      assert.match(first.html, /next attempt /);
      const older = /href="\/push\/history\?([^"]+)" rel="next"/.exec(first.html)?.[1]?.replaceAll('&amp;', '&');
      assert.ok(older);
      assert.match(older, new RegExp(`registration=${a}`), 'paging keeps the filter');
      const second = await ada.get(`/push/history?${older}`);
      assert.deepEqual(titles(second.html), ['A message 4', 'A message 3', 'A message 2', 'A message 1', 'A message 0']);
      assert.doesNotMatch(second.html, /rel="next"/);
      assert.match(second.html, new RegExp(`href="/push/history\\?registration=${a}">← Newest`));
      assert.match(second.html, /Last error: Bark: bad key/);

      const failed = await ada.get(`/push/history?status=failed&registration=${a}`);
      assert.deepEqual(titles(failed.html), ['A message 2', 'A message 1', 'A message 0']);
      assert.match(failed.html, /<option value="failed" selected>Failed<\/option>/);
      const digests = await ada.get(`/push/history?event=digest&registration=${a}&status=queued`);
      assert.deepEqual(titles(digests.html), ['A message 50', 'A message 45', 'A message 40', 'A message 35', 'A message 30', 'A message 25', 'A message 20', 'A message 15', 'A message 10', 'A message 5']);
      assert.match(digests.html, /<option value="digest" selected>Digest<\/option>/);
      assert.match(digests.html, new RegExp(`<option value="${a}" selected>History A</option>`));
      const onlyB = await ada.get(`/push/history?registration=${b}`);
      assert.deepEqual(titles(onlyB.html), ['B recovered']);
      assert.match(onlyB.html, /Task recovered/);
      assert.match((await ada.get('/push/history?event=test')).html, /No message matches these filters\./);
      const all = await ada.get('/push/history?status=&registration=&event=');
      assert.equal(all.status, 200, 'the form’s “any” is no filter');
    });

    it('answers a bad filter with a 400 page naming it, never a 500', async () => {
      const bad = await ada.get('/push/history?status=lost&event=task.success');
      assert.equal(bad.status, 400);
      assert.match(fieldError(bad.html, 'f-status') ?? '', /^Must be one of: queued, sending, sent, failed/);
      assert.match(bad.html, /<option value="task.success" selected>/, 'the good filter is kept');
      for (const query of ['registration=abc', 'registration=-1', 'event=nope', 'before=x', 'status=sent&status=failed', 'registration=99999999999999999999']) {
        assert.equal((await ada.get(`/push/history?${query}`)).status, 400, query);
      }
    });
  });
}
