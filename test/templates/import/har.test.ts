// HAR import: browser exports (Chrome, Firefox) to exact steps, the filters, and broken files.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { importHar } from '../../../src/templates/import/har.js';
import { assertImportError, FIXTURES, savable } from './helpers.js';

const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const CHROME_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const status = (value: number) => [{ from: 'status' as const, op: 'equals' as const, value }];

/** A HAR with these entries; each entry is `request` fields plus `response` ones. */
function har(...entries: { request: Record<string, unknown>; response?: Record<string, unknown>; _resourceType?: string }[]) {
  return {
    log: {
      version: '1.2',
      creator: { name: 'WebInspector', version: '537.36' },
      entries: entries.map((e) => ({
        ...e,
        request: { method: 'GET', httpVersion: 'http/2.0', headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: 0, ...e.request },
        response: { status: 200, statusText: '', headers: [], cookies: [], content: { size: 2, mimeType: 'application/json' }, redirectURL: '', ...e.response },
      })),
    },
  };
}
/** What JSON.parse says about `text`, which must not parse. */
function jsonErrorOf(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('the text parses');
}
const api = (n: number) => ({ _resourceType: 'fetch', request: { url: `https://api.example.com/v1/items/${n}` } });
const image = (n: number) => ({ _resourceType: 'image', request: { url: `https://cdn.example.com/img/${n}.webp` }, response: { content: { mimeType: 'image/webp' } } });

describe('importHar: a Chrome page load', () => {
  it('keeps the page, the API calls, the redirect and the blocked ping, each with its recorded status', () => {
    const result = savable(importHar(fixture('chrome-page-load.har')));
    assert.equal(result.template.name, 'checkin-demo.com');
    assert.equal(result.template.siteUrl, 'https://www.checkin-demo.com');
    assert.deepEqual(result.template.steps, [
      {
        name: 'GET /',
        method: 'GET',
        url: 'https://www.checkin-demo.com/',
        // HTTP/2: no :authority/:method/:path/:scheme, no priority; zstd is not offered; cookies in one header.
        headers: {
          accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
          'accept-encoding': 'gzip, deflate, br',
          'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8',
          'cache-control': 'max-age=0',
          'sec-ch-ua': '"Chromium";v="131", "Not_A Brand";v="24"',
          'sec-ch-ua-mobile': '?0',
          'sec-ch-ua-platform': '"Windows"',
          'sec-fetch-dest': 'document',
          'sec-fetch-mode': 'navigate',
          'sec-fetch-site': 'none',
          'sec-fetch-user': '?1',
          'upgrade-insecure-requests': '1',
          'user-agent': CHROME_UA,
          Cookie: 'sid=s%3AaB3dE5.f00d; theme=dark',
        },
        assert: status(200),
      },
      {
        name: 'POST /v1/checkin',
        method: 'POST',
        url: 'https://api.checkin-demo.com/v1/checkin',
        // HTTP/1.1: no Connection, Content-Length or Host.
        headers: {
          Accept: 'application/json, text/plain, */*',
          'Accept-Encoding': 'gzip, deflate, br',
          'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.8',
          Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjQyfQ.sig',
          'Content-Type': 'application/json;charset=UTF-8',
          Origin: 'https://www.checkin-demo.com',
          Referer: 'https://www.checkin-demo.com/',
          'Sec-Fetch-Dest': 'empty',
          'Sec-Fetch-Mode': 'cors',
          'Sec-Fetch-Site': 'same-site',
          'User-Agent': CHROME_UA,
        },
        body: '{"date":"2026-11-21","source":"web","v":2}',
        assert: status(200),
      },
      {
        name: 'POST /login',
        method: 'POST',
        url: 'https://www.checkin-demo.com/login',
        // Only `params` were recorded: the form is built again, and says what it is.
        headers: { origin: 'https://www.checkin-demo.com', referer: 'https://www.checkin-demo.com/', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'username=alice%40example.com&password=p%40ss+word%261&remember=on',
        assert: status(302),
      },
      {
        name: 'GET /account',
        method: 'GET',
        url: 'https://www.checkin-demo.com/account',
        // The cookie header plus the one only the `cookies` list had.
        headers: { referer: 'https://www.checkin-demo.com/', Cookie: 'sid=s%3AnEw456; remember_token=rT9x' },
        assert: status(200),
      },
      {
        name: 'GET /api/签到/notice',
        method: 'GET',
        url: 'https://www.checkin-demo.com/api/%E7%AD%BE%E5%88%B0/notice?lang=zh',
        // The browser's If-None-Match is not replayed, so the 304 it got becomes the 200 the step will get.
        headers: { accept: 'application/json', 'x-requested-with': 'XMLHttpRequest' },
        assert: status(200),
      },
      {
        name: 'POST /g/collect',
        method: 'POST',
        url: 'https://www.google-analytics.com/g/collect?v=2&tid=G-XXXX&en=page_view',
        headers: { Referer: 'https://www.checkin-demo.com/' },
      },
    ]);
    assert.deepEqual(result.warnings, [
      { key: 'import.har_no_status', params: { index: 13 } },
      { key: 'import.har_static_skipped', params: { count: 5 } },
      { key: 'import.har_not_http_skipped', params: { count: 3 } },
      { key: 'import.har_preflight_skipped', params: { count: 1 } },
    ]);
  });

  it('keeps the static files too when asked, but never data:, extension or WebSocket URLs, nor preflights', () => {
    const result = savable(importHar(JSON.parse(fixture('chrome-page-load.har')), { dropStaticAssets: false, name: '  My check-in  ' }));
    assert.equal(result.template.name, 'My check-in');
    assert.deepEqual(
      result.template.steps.map((s) => s.name),
      ['GET /', 'GET /assets/index-3f2a9b.css', 'GET /assets/index-9c1d7e.js', 'GET /img/logo@2x.png', 'GET /s/roboto/v32/KFOmCnqEu92Fr1Mu4mxK.woff2', 'POST /v1/checkin', 'POST /login', 'GET /account', 'GET /api/签到/notice', 'GET /favicon.ico', 'POST /g/collect'],
    );
    assert.deepEqual(result.warnings, [
      { key: 'import.har_no_status', params: { index: 13 } },
      { key: 'import.har_not_http_skipped', params: { count: 3 } },
      { key: 'import.har_preflight_skipped', params: { count: 1 } },
    ]);
  });

  it('reads the file text the same as the parsed object, byte order mark and all', () => {
    const text = fixture('chrome-page-load.har');
    assert.deepEqual(importHar(`\uFEFF${text}`), importHar(JSON.parse(text)));
  });
});

describe('importHar: a Firefox page load', () => {
  it('drops statics by type and extension, replays the form text and JSON body, keeps the 301', () => {
    const result = savable(importHar(fixture('firefox-page-load.har')));
    assert.equal(result.template.name, 'bbs.qiandao-demo.org');
    assert.equal(result.template.siteUrl, 'https://bbs.qiandao-demo.org');
    const common = { 'User-Agent': FIREFOX_UA, 'Accept-Language': 'zh-CN,zh;q=0.8,zh-TW;q=0.7,zh-HK;q=0.5,en-US;q=0.3,en;q=0.2', 'Accept-Encoding': 'gzip, deflate, br' };
    assert.deepEqual(result.template.steps, [
      {
        name: 'GET /forum.php',
        method: 'GET',
        url: 'https://bbs.qiandao-demo.org/forum.php',
        // No Host, Connection, TE, Priority, If-Modified-Since.
        headers: {
          'User-Agent': FIREFOX_UA,
          Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
          'Accept-Language': common['Accept-Language'],
          'Accept-Encoding': 'gzip, deflate, br',
          'Upgrade-Insecure-Requests': '1',
          'Sec-Fetch-Dest': 'document',
          'Sec-Fetch-Mode': 'navigate',
          'Sec-Fetch-Site': 'none',
          'Sec-Fetch-User': '?1',
          Cookie: 'cdb_auth=9f8e7d%2B6c5b; cdb_lastvisit=1763683200',
        },
        assert: status(200),
      },
      {
        name: 'POST /plugin.php',
        method: 'POST',
        url: 'https://bbs.qiandao-demo.org/plugin.php?id=dsu_paulsign:sign&operation=qiandao&infloat=1&inajax=1',
        headers: {
          ...common,
          Accept: '*/*',
          'Content-Type': 'application/x-www-form-urlencoded',
          Origin: 'https://bbs.qiandao-demo.org',
          Referer: 'https://bbs.qiandao-demo.org/forum.php',
          Cookie: 'cdb_auth=9f8e7d%2B6c5b; cdb_lastvisit=1763683200',
        },
        body: 'formhash=ab12cd34&qdxq=kx&qdmode=1&todaysay=%E5%BC%80%E5%BF%83&fastreply=0',
        assert: status(200),
      },
      {
        name: 'GET /home.php',
        method: 'GET',
        url: 'http://bbs.qiandao-demo.org/home.php?mod=spacecp&ac=credit',
        headers: { 'User-Agent': FIREFOX_UA },
        assert: status(301),
      },
      {
        name: 'POST /api/mobile/index.php',
        method: 'POST',
        url: 'https://bbs.qiandao-demo.org/api/mobile/index.php?version=4&module=checkin',
        headers: { ...common, Accept: 'application/json', 'Content-Type': 'application/json', 'X-Requested-With': 'XMLHttpRequest' },
        body: '{"formhash":"ab12cd34","d":1}',
        assert: status(200),
      },
    ]);
    assert.deepEqual(result.warnings, [{ key: 'import.har_static_skipped', params: { count: 6 } }]);
  });
});

describe('importHar: entries it cannot keep whole', () => {
  it('leaves out headers a step cannot carry, and says which', () => {
    const result = savable(
      importHar(har({ request: { url: 'https://example.com/', headers: [{ name: 'Bad Name', value: '1' }, { name: 'X-Big', value: 'a'.repeat(16_385) }, { name: 'X-Ok', value: '1' }, { name: 'x-ok', value: '2' }] } })),
    );
    assert.deepEqual(result.template.steps[0]!.headers, { 'X-Ok': '1, 2' });
    assert.deepEqual(result.warnings, [
      { key: 'import.header_invalid', params: { index: 1, name: 'Bad Name' } },
      { key: 'import.header_too_large', params: { index: 1, name: 'X-Big', max: 16384 } },
    ]);
  });

  it('skips requests a step cannot send, and says why', () => {
    const result = savable(
      importHar(
        har(
          { request: { url: 'https://example.com/' } },
          { request: { method: 'CONNECT', url: 'https://example.com:443/' } },
          { request: { url: `https://example.com/?q=${'a'.repeat(4100)}` } },
          { request: { method: 'POST', url: 'https://example.com/upload', postData: { mimeType: 'text/plain', text: 'a'.repeat(1024 * 1024 + 1) } } },
        ),
      ),
    );
    assert.deepEqual(result.template.steps.length, 1);
    assert.deepEqual(result.warnings, [
      { key: 'import.har_method_unsupported', params: { index: 2, method: 'CONNECT' } },
      { key: 'import.har_url_too_long', params: { index: 3, max: 4096 } },
      { key: 'import.har_body_too_large', params: { index: 4, max: 1048576 } },
    ]);
  });

  it('leaves out uploaded files from a form rebuilt from params, and warns about Jinja-looking text', () => {
    const params = [{ name: 'title', value: '{{ hello }}' }, { name: 'avatar', fileName: 'me.png', contentType: 'image/png' }];
    const result = savable(importHar(har({ request: { method: 'POST', url: 'https://example.com/form', postData: { mimeType: 'multipart/form-data; boundary=x', params } } })));
    assert.deepEqual(result.template.steps[0], {
      name: 'POST /form',
      method: 'POST',
      url: 'https://example.com/form',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'title=%7B%7B+hello+%7D%7D',
      assert: status(200),
    });
    assert.deepEqual(result.warnings, [{ key: 'import.har_file_upload', params: { index: 1 } }]);
    const jinja = importHar(har({ request: { method: 'POST', url: 'https://example.com/form', postData: { mimeType: 'application/json', text: '{"t":"{{ x }}"}' } } }));
    assert.deepEqual(jinja.warnings, [{ key: 'import.template_syntax', params: { index: 1 } }]);
  });

  it('keeps a POST whose answer was JavaScript, and a Chrome fetch answered with JSON from a .js URL', () => {
    const result = importHar(
      har(
        { request: { method: 'POST', url: 'https://example.com/api/config.js' }, response: { content: { mimeType: 'application/javascript' } } },
        { _resourceType: 'fetch', request: { url: 'https://example.com/api/data.js' }, response: { content: { mimeType: 'application/javascript' } } },
        { request: { url: 'https://example.com/app.js?v=1' }, response: { status: 304, content: { mimeType: '' } } },
      ),
    );
    assert.deepEqual(result.template.steps.map((s) => s.name), ['POST /api/config.js', 'GET /api/data.js']);
  });
});

describe('importHar: files it refuses', () => {
  it('refuses text that is not JSON, with the parser\'s words', () => {
    const text = fixture('not-json.har');
    const err = assertImportError(() => importHar(text), 'import.not_json', { detail: jsonErrorOf(text) });
    assert.equal(err.detail, err.params.detail);
  });

  it('refuses JSON that is not a HAR', () => {
    assertImportError(() => importHar(fixture('no-log.har')), 'import.not_har');
    assertImportError(() => importHar(fixture('entries-not-array.har')), 'import.not_har');
    assertImportError(() => importHar([{ request: {}, rule: {} }]), 'import.not_har');
    assertImportError(() => importHar(42), 'import.not_har');
  });

  it('refuses a HAR without requests', () => {
    assertImportError(() => importHar({ log: { version: '1.2', entries: [] } }), 'import.har_no_entries');
  });

  it('refuses an entry without a request URL, naming it', () => {
    assertImportError(() => importHar(fixture('entry-without-url.har')), 'import.har_entry_invalid', { index: 2 });
    assertImportError(() => importHar({ log: { entries: [{ request: { url: 'not a url' } }] } }), 'import.har_entry_invalid', { index: 1 });
    assertImportError(() => importHar({ log: { entries: ['GET /'] } }), 'import.har_entry_invalid', { index: 1 });
  });

  it('refuses a HAR with nothing left to replay', () => {
    assertImportError(() => importHar(fixture('data-url-only.har')), 'import.har_nothing_left', { count: 1 });
    assertImportError(() => importHar(har(image(1), image(2))), 'import.har_nothing_left', { count: 2 });
  });

  it('refuses more requests than a template holds, counting after the static filter', () => {
    const many = Array.from({ length: 101 }, (_, i) => api(i));
    assertImportError(() => importHar(har(...many)), 'import.too_many_steps', { count: 101, max: 100 });
    const mixed = har(...many.slice(0, 100), ...Array.from({ length: 50 }, (_, i) => image(i)));
    assert.equal(savable(importHar(mixed)).template.steps.length, 100);
    assertImportError(() => importHar(mixed, { dropStaticAssets: false }), 'import.too_many_steps', { count: 150, max: 100 });
  });
});
