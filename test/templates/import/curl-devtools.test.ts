// curl import: command lines exactly as Chrome's and Firefox's devtools copy them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { importCurl } from '../../../src/templates/import/curl.js';
import { stepOf } from './helpers.js';

const CHROME_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

describe('importCurl: devtools copies', () => {
  it('reads Chrome "Copy as cURL (bash)": $\'…\' body, -b cookies, headers as written', () => {
    const command = String.raw`curl 'https://api.checkin-demo.com/v1/checkin' \
  -H 'accept: application/json, text/plain, */*' \
  -H 'accept-language: zh-CN,zh;q=0.9,en;q=0.8' \
  -H 'authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjQyfQ.sig' \
  -H 'content-type: application/json;charset=UTF-8' \
  -b 'sid=s%3AaB3dE5.f00d; theme=dark' \
  -H 'origin: https://www.checkin-demo.com' \
  -H 'priority: u=1, i' \
  -H 'referer: https://www.checkin-demo.com/' \
  -H 'sec-ch-ua: "Chromium";v="131", "Not_A Brand";v="24"' \
  -H 'sec-ch-ua-mobile: ?0' \
  -H 'sec-fetch-mode: cors' \
  -H 'user-agent: ${CHROME_UA}' \
  --data-raw $'{"date":"2026-11-21","note":"It\'s done\u0021\\n开心"}'`;
    const result = importCurl(command);
    assert.equal(result.template.name, 'api.checkin-demo.com');
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(stepOf(result, 'https://api.checkin-demo.com'), {
      name: 'POST /v1/checkin',
      method: 'POST',
      url: 'https://api.checkin-demo.com/v1/checkin',
      headers: {
        accept: 'application/json, text/plain, */*',
        'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8',
        authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjQyfQ.sig',
        'content-type': 'application/json;charset=UTF-8',
        origin: 'https://www.checkin-demo.com',
        referer: 'https://www.checkin-demo.com/',
        'sec-ch-ua': '"Chromium";v="131", "Not_A Brand";v="24"',
        'sec-ch-ua-mobile': '?0',
        'sec-fetch-mode': 'cors',
        'user-agent': CHROME_UA,
        Cookie: 'sid=s%3AaB3dE5.f00d; theme=dark',
      },
      body: '{"date":"2026-11-21","note":"It\'s done!\\n开心"}',
    });
  });

  it('undoes the \\[ \\] \\{ \\} Chrome writes against curl\'s URL patterns, unless -g says there are none', () => {
    const escaped = importCurl(String.raw`curl 'https://www.checkin-demo.com/api/list?filter\[status\]=open&fields=\{id,name\}' -H 'accept: application/json'`);
    assert.deepEqual(stepOf(escaped, 'https://www.checkin-demo.com'), {
      name: 'GET /api/list',
      method: 'GET',
      url: 'https://www.checkin-demo.com/api/list?filter[status]=open&fields={id,name}',
      headers: { accept: 'application/json' },
    });
    const globoff = importCurl("curl -g 'https://example.com/a?ids[]=1&ids[]=2'");
    assert.equal(stepOf(globoff, 'https://example.com').url, 'https://example.com/a?ids[]=1&ids[]=2');
  });

  it('reads Chrome "Copy as cURL (cmd)": ^"…^", ^\\^" quotes, ^ line ends, ^%, a newline as ^ + blank line', () => {
    const command = String.raw`curl ^"https://api.checkin-demo.com/v1/checkin?from=web^&ts=1763683200^" ^
  -H ^"accept: application/json, text/plain, */*^" ^
  -H ^"content-type: application/json;charset=UTF-8^" ^
  -b ^"sid=s^%^3AaB3dE5.f00d; theme=dark^" ^
  -H ^"sec-ch-ua: ^\^"Chromium^\^";v=^\^"131^\^", ^\^"Not_A Brand^\^";v=^\^"24^\^"^" ^
  -H ^"user-agent: ${CHROME_UA}^" ^
  --data-raw ^"^{^\^"note^\^":^\^"a^|b ^& 100^%^

line 2^\^"^}^"`;
    const result = importCurl(command);
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(stepOf(result, 'https://api.checkin-demo.com'), {
      name: 'POST /v1/checkin',
      method: 'POST',
      url: 'https://api.checkin-demo.com/v1/checkin?from=web&ts=1763683200',
      headers: {
        accept: 'application/json, text/plain, */*',
        'content-type': 'application/json;charset=UTF-8',
        'sec-ch-ua': '"Chromium";v="131", "Not_A Brand";v="24"',
        'user-agent': CHROME_UA,
        Cookie: 'sid=s%3AaB3dE5.f00d; theme=dark',
      },
      body: '{"note":"a|b & 100%\nline 2"}',
    });
  });

  it('reads Firefox "Copy as cURL (Windows)" on one line', () => {
    const result = importCurl('curl ^"https://bbs.qiandao-demo.org/login^" -X POST -H ^"Content-Type: application/x-www-form-urlencoded^" --data-raw ^"user=alice^&pw=a^%^20b^"');
    assert.deepEqual(stepOf(result, 'https://bbs.qiandao-demo.org'), {
      name: 'POST /login',
      method: 'POST',
      url: 'https://bbs.qiandao-demo.org/login',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'user=alice&pw=a%20b',
    });
  });

  it('reads Firefox "Copy as cURL (POSIX)": leaves out Connection, TE, Priority and the zstd it offers', () => {
    const command =
      `curl 'https://bbs.qiandao-demo.org/plugin.php?id=dsu_paulsign:sign&operation=qiandao&infloat=1&inajax=1' --compressed -X POST ` +
      `-H 'User-Agent: ${FIREFOX_UA}' -H 'Accept: */*' -H 'Accept-Language: zh-CN,zh;q=0.8,en-US;q=0.5' -H 'Accept-Encoding: gzip, deflate, br, zstd' ` +
      `-H 'Content-Type: application/x-www-form-urlencoded' -H 'Origin: https://bbs.qiandao-demo.org' -H 'Connection: keep-alive' ` +
      `-H 'Referer: https://bbs.qiandao-demo.org/forum.php' -H 'Cookie: cdb_auth=9f8e7d%2B6c5b; cdb_lastvisit=1763683200' ` +
      `-H 'Sec-Fetch-Dest: empty' -H 'Sec-Fetch-Mode: cors' -H 'Sec-Fetch-Site: same-origin' -H 'Priority: u=0' -H 'TE: trailers' ` +
      `--data-raw 'formhash=ab12cd34&qdxq=kx&qdmode=1&todaysay=%E5%BC%80%E5%BF%83&fastreply=0'`;
    const result = importCurl(command, { name: '论坛签到' });
    assert.equal(result.template.name, '论坛签到');
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(stepOf(result, 'https://bbs.qiandao-demo.org'), {
      name: 'POST /plugin.php',
      method: 'POST',
      url: 'https://bbs.qiandao-demo.org/plugin.php?id=dsu_paulsign:sign&operation=qiandao&infloat=1&inajax=1',
      headers: {
        'User-Agent': FIREFOX_UA,
        Accept: '*/*',
        'Accept-Language': 'zh-CN,zh;q=0.8,en-US;q=0.5',
        'Accept-Encoding': 'gzip, deflate, br',
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: 'https://bbs.qiandao-demo.org',
        Referer: 'https://bbs.qiandao-demo.org/forum.php',
        Cookie: 'cdb_auth=9f8e7d%2B6c5b; cdb_lastvisit=1763683200',
        'Sec-Fetch-Dest': 'empty',
        'Sec-Fetch-Mode': 'cors',
        'Sec-Fetch-Site': 'same-origin',
      },
      body: 'formhash=ab12cd34&qdxq=kx&qdmode=1&todaysay=%E5%BC%80%E5%BF%83&fastreply=0',
    });
  });

  it("reads Firefox's $'…' with \\xNN for Latin-1 letters and \\uNNNN beyond", () => {
    const result = importCurl(String.raw`curl 'https://bbs.qiandao-demo.org/api/profile' -X PUT -H 'Content-Type: application/json' --data-raw $'{"name":"Caf\xe9 \u5f00\u5fc3","bio":"line1\nline2"}'`);
    assert.deepEqual(stepOf(result, 'https://bbs.qiandao-demo.org'), {
      name: 'PUT /api/profile',
      method: 'PUT',
      url: 'https://bbs.qiandao-demo.org/api/profile',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"Café 开心","bio":"line1\nline2"}',
    });
  });

  it('reads an old cmd copy typed for curl.exe, with "" quotes and "%"', () => {
    const result = importCurl('curl.exe "https://example.com/api" -H "Content-Type: application/json" --data-binary "{""a"":""100"%"""}"');
    assert.deepEqual(stepOf(result, 'https://example.com'), {
      name: 'POST /api',
      method: 'POST',
      url: 'https://example.com/api',
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":"100%"}',
    });
  });
});
