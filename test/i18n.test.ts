// Language choice (user setting → visitor's choice → Accept-Language → English) and catalog coverage.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import en from '../src/locales/en.js';
import zhCN from '../src/locales/zh-CN.js';
import { languageFromTag } from '../src/lib/i18n.js';
import { DIALECTS } from './helpers/db.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { WebClient, api, userWithToken } from './helpers/client.js';

function keysOf(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (typeof v === 'string' ? [prefix + k] : keysOf(v as object, `${prefix}${k}.`)));
}

function filesUnder(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full, ext) : full.endsWith(ext) ? [full] : [];
  });
}

describe('catalogs', () => {
  const enKeys = new Set(keysOf(en));

  it('has the same keys in English and Chinese, none empty', () => {
    assert.deepEqual(keysOf(zhCN).sort(), [...enKeys].sort());
    for (const key of keysOf(zhCN)) {
      const value = key.split('.').reduce<any>((o, k) => o[k], zhCN);
      assert.ok(value.trim(), `zh-CN ${key} is empty`);
    }
  });

  it('has every key that views and code ask for', () => {
    const used = new Set<string>();
    const files = [...filesUnder('views', '.ejs'), ...filesUnder('src', '.ts')];
    for (const file of files) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-z_]+(?:\.[a-zA-Z_-]+)+)'/g)) used.add(m[1]!);
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/'(errors\.[a-z_]+)'/g)) used.add(m[1]!);
    }
    assert.ok(used.size > 50, 'the scan found the keys');
    const plural = (k: string) => enKeys.has(`${k}_one`) && enKeys.has(`${k}_other`);
    // t('runs.status_' + status): a prefix that some keys must complete.
    const completed = (k: string) => k.endsWith('_') && [...enKeys].some((key) => key.startsWith(k));
    const missing = [...used].filter((k) => !enKeys.has(k) && !plural(k) && !completed(k));
    assert.deepEqual(missing, []);
  });

  it('leaves no literal text in views: every visible string goes through t()', () => {
    // Names that read the same in every language.
    const allowed = new Set(['Chime', 'English', '简体中文', 'Authorization: Bearer …', 'HAR', 'curl', '·', '…', ':', '(', ')']);
    for (const file of filesUnder('views', '.ejs')) {
      const text = fs
        .readFileSync(file, 'utf8')
        .replace(/<%[\s\S]*?%>/g, ' ')
        .replace(/<script[\s\S]*?<\/script>/g, ' ')
        // Identifiers and code samples read the same in every language.
        .replace(/<code>[^<]*<\/code>/g, ' ')
        .replace(/<[^>]+>/g, '\n');
      for (const chunk of text.split('\n').map((s) => s.trim()).filter(Boolean)) {
        const rest = chunk.split(/\s+/).filter((w) => !allowed.has(w) && !/^[\p{P}\p{S}]+$/u.test(w));
        if (rest.length && !allowed.has(chunk)) assert.fail(`${file}: untranslated text "${chunk}"`);
      }
    }
  });

  it('maps browser language tags to ours', () => {
    assert.equal(languageFromTag('zh'), 'zh-CN');
    assert.equal(languageFromTag('zh-TW'), 'zh-CN');
    assert.equal(languageFromTag('en-GB'), 'en');
    assert.equal(languageFromTag('fr'), undefined);
  });
});

for (const dialect of DIALECTS) {
  describe(`language choice (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(dialect);
    });
    after(() => app.close());

    it('answers in Chinese when the browser prefers it, in English otherwise', async () => {
      const zh = await new WebClient(app.url, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' }).get('/login');
      assert.match(zh.html, /<html lang="zh-CN">/);
      assert.match(zh.html, /<h1>登录<\/h1>/);
      const fr = await new WebClient(app.url, { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' }).get('/login');
      assert.match(fr.html, /<h1>Log in<\/h1>/);
      const none = await new WebClient(app.url, { 'accept-language': 'de' }).get('/login');
      assert.match(none.html, /<html lang="en">/);
    });

    it('lets a visitor switch language with the footer buttons', async () => {
      const browser = new WebClient(app.url, { 'accept-language': 'en' });
      await browser.get('/register');
      const switched = await browser.post('/language', { language: 'zh-CN', next: '/register' });
      assert.equal(switched.status, 303);
      assert.equal(switched.location, '/register');
      assert.match((await browser.get('/register')).html, /<h1>创建账户<\/h1>/);
      // Form errors come in the chosen language too.
      const bad = await browser.post('/register', { email: 'x', password: '1', passwordConfirm: '1' });
      assert.match(bad.html, /必须是邮箱地址/);
    });

    it("follows the user's own setting over the browser's", async () => {
      const browser = new WebClient(app.url, { 'accept-language': 'en-US' });
      await browser.register(`lang-${dialect}@example.com`);
      await browser.get('/account');
      await browser.post('/account/preferences', { locale: 'zh-CN', timezone: '' });
      const page = await browser.get('/account');
      assert.match(page.html, /<h1>账户<\/h1>/);
      assert.match(page.html, /偏好设置已保存/);
      // Another browser of the same user, with an English Accept-Language, still gets Chinese.
      const elsewhere = new WebClient(app.url, { 'accept-language': 'en-US' });
      await elsewhere.login(`lang-${dialect}@example.com`);
      assert.match((await elsewhere.get('/account')).html, /<h1>账户<\/h1>/);
    });

    it('gives API error messages in the language of the request', async () => {
      const res = await api(app.url, 'POST', '/register', { body: { email: 'nope' }, headers: { 'accept-language': 'zh-CN' } });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.fields.email, '必须是邮箱地址，例如 you@example.com。');
      const user = await userWithToken(app.url, `api-lang-${dialect}@example.com`);
      await api(app.url, 'PATCH', '/me', { token: user.token, body: { locale: 'zh-CN' } });
      const mine = await api(app.url, 'PATCH', '/me', { token: user.token, body: { timezone: 'Nowhere/Land' } });
      assert.equal(mine.body.error.fields.timezone, '必须是时区名称，例如 Asia/Shanghai 或 Europe/Berlin。');
    });
  });
}
