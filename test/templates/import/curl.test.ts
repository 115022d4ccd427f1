// curl import: the options people write, and what is refused, each to the exact step or error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { importCurl } from '../../../src/templates/import/curl.js';
import { assertImportError, stepOf } from './helpers.js';

describe('importCurl: options people write', () => {
  it('reads a hand-written multi-line command with double quotes, keeping $TOKEN as written', () => {
    const command = String.raw`curl -X patch "https://api.example.com/v2/profile" \
     -H "Authorization: Bearer $TOKEN" \
     -H "Content-Type: application/json" \
     -d "{\"nickname\": \"chime\", \"price\": \"\$5\"}"`;
    assert.deepEqual(stepOf(importCurl(command), 'https://api.example.com'), {
      name: 'PATCH /v2/profile',
      method: 'PATCH',
      url: 'https://api.example.com/v2/profile',
      headers: { Authorization: 'Bearer $TOKEN', 'Content-Type': 'application/json' },
      body: '{"nickname": "chime", "price": "$5"}',
    });
  });

  it('turns -u into Basic authorization, with an empty password when none is given, unless a header says otherwise', () => {
    assert.deepEqual(stepOf(importCurl('curl -u alice:s3cr3t https://example.com/api/me'), 'https://example.com').headers, { Authorization: 'Basic YWxpY2U6czNjcjN0' });
    assert.deepEqual(stepOf(importCurl('curl --user bob https://example.com/private'), 'https://example.com').headers, { Authorization: 'Basic Ym9iOg==' });
    assert.deepEqual(stepOf(importCurl("curl -uuser:p@ss:word -H 'authorization: Token xyz' https://example.com/"), 'https://example.com').headers, {
      authorization: 'Token xyz',
    });
    assert.deepEqual(stepOf(importCurl('curl --oauth2-bearer t0k3n https://example.com/'), 'https://example.com').headers, { Authorization: 'Bearer t0k3n' });
  });

  it('folds -b cookies after a Cookie header into one, and ignores a cookie file with a warning', () => {
    const result = importCurl("curl -b 'a=1; b=2' -b cookies.txt -H 'Cookie: b=3; c=4' --cookie 'd=5' https://example.com/");
    assert.deepEqual(stepOf(result, 'https://example.com').headers, { Cookie: 'b=3; c=4; a=1; d=5' });
    assert.deepEqual(result.warnings, [{ key: 'import.curl_file_ignored', params: { option: '-b', file: 'cookies.txt' } }]);
  });

  it('url-encodes --data-urlencode values in each form curl knows, joined with -d data by &', () => {
    const result = importCurl(
      "curl https://example.com/search --data-urlencode 'q=hello world & more' --data-urlencode '=just value!' --data-urlencode 'plain*text' --data-urlencode 'email=a@b.c' -d page=2",
    );
    assert.deepEqual(stepOf(result, 'https://example.com'), {
      name: 'POST /search',
      method: 'POST',
      url: 'https://example.com/search',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'q=hello%20world%20%26%20more&just%20value%21&plain%2Atext&email=a%40b.c&page=2',
    });
  });

  it('moves the data into the query string with -G', () => {
    const result = importCurl("curl -G 'https://example.com/api/search?src=app' -d q=chime -d limit=10 --data-urlencode 'tag=a b'");
    assert.deepEqual(stepOf(result, 'https://example.com'), {
      name: 'GET /api/search',
      method: 'GET',
      url: 'https://example.com/api/search?src=app&q=chime&limit=10&tag=a%20b',
    });
  });

  it('maps -L, -k and -m, and says nothing about -s and -S', () => {
    const result = importCurl('curl -sSLk -m 15 https://self-signed.example.com/checkin');
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(stepOf(result, 'https://self-signed.example.com'), {
      name: 'GET /checkin',
      method: 'GET',
      url: 'https://self-signed.example.com/checkin',
      timeoutMs: 15000,
      followRedirects: true,
      insecure: true,
    });
  });

  it('keeps --max-time within what a step allows, and says so', () => {
    const long = importCurl('curl --max-time 600 --location --insecure https://example.com/');
    assert.equal(stepOf(long, 'https://example.com').timeoutMs, 120000);
    assert.deepEqual(long.warnings, [{ key: 'import.curl_timeout_clamped', params: { seconds: '600', used: 120 } }]);
    const short = importCurl('curl -m0.2 https://example.com/');
    assert.equal(stepOf(short, 'https://example.com').timeoutMs, 1000);
    assert.deepEqual(short.warnings, [{ key: 'import.curl_timeout_clamped', params: { seconds: '0.2', used: 1 } }]);
  });

  it('names the options it ignores, skipping the values of those that take one', () => {
    const result = importCurl("curl -o out.html --connect-timeout 5 --retry 3 -w '%{http_code}' --tcp-nodelay -Z -x http://proxy:3128 https://example.com/");
    assert.deepEqual(stepOf(result, 'https://example.com'), { name: 'GET /', method: 'GET', url: 'https://example.com/' });
    assert.deepEqual(result.warnings, [{ key: 'import.curl_options_ignored', params: { options: '-o, --connect-timeout, --retry, -w, --tcp-nodelay, -Z, -x' } }]);
  });

  it('sends HEAD for -I, and GET with -I -G data', () => {
    assert.deepEqual(stepOf(importCurl('curl -I https://example.com/health'), 'https://example.com'), { name: 'HEAD /health', method: 'HEAD', url: 'https://example.com/health' });
    assert.equal(stepOf(importCurl('curl --head -G -d a=1 https://example.com/health'), 'https://example.com').url, 'https://example.com/health?a=1');
  });

  it('sets User-Agent and Referer from -A and -e, without curl\'s ";auto"', () => {
    const result = importCurl("curl -A 'MyBot/1.0 (+https://example.com/bot)' -e 'https://example.com/;auto' https://example.com/page");
    assert.deepEqual(stepOf(result, 'https://example.com').headers, { 'User-Agent': 'MyBot/1.0 (+https://example.com/bot)', Referer: 'https://example.com/' });
    const explicit = importCurl("curl -A 'MyBot/1.0' -H 'user-agent: Other/2.0' https://example.com/");
    assert.deepEqual(stepOf(explicit, 'https://example.com').headers, { 'user-agent': 'Other/2.0' });
  });

  it("honours curl's header forms: -XPOST, 'Name;' for an empty value, 'Name:' to send none", () => {
    const result = importCurl("curl -XPOST -H 'X-Empty;' -H 'Accept:' -H 'Content-Type: text/plain' -d 'hello' https://example.com/echo");
    assert.deepEqual(stepOf(result, 'https://example.com'), {
      name: 'POST /echo',
      method: 'POST',
      url: 'https://example.com/echo',
      headers: { 'X-Empty': '', 'Content-Type': 'text/plain' },
      body: 'hello',
    });
    const bare = importCurl("curl -H 'Content-Type:' -d a=1 https://example.com/echo");
    assert.equal(stepOf(bare, 'https://example.com').headers, undefined);
  });

  it('sends JSON with --json, and Accept-Encoding with --compressed', () => {
    assert.deepEqual(stepOf(importCurl(`curl --json '{"a":1}' --compressed https://example.com/api`), 'https://example.com'), {
      name: 'POST /api',
      method: 'POST',
      url: 'https://example.com/api',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Accept-Encoding': 'gzip, deflate, br' },
      body: '{"a":1}',
    });
  });

  it('stops at a pipe or a redirection, and says so', () => {
    const result = importCurl("curl -s 'https://example.com/api' | jq '.data'");
    assert.deepEqual(stepOf(result, 'https://example.com'), { name: 'GET /api', method: 'GET', url: 'https://example.com/api' });
    assert.deepEqual(result.warnings, [{ key: 'import.curl_rest_ignored', params: { operator: '|' } }]);
    assert.deepEqual(importCurl('curl https://example.com/ 2>/dev/null').warnings, [{ key: 'import.curl_rest_ignored', params: { operator: '2>/dev/null' } }]);
  });

  it('assumes http:// like curl, takes the first of several URLs and says so', () => {
    const result = importCurl('curl example.com/a --url https://example.com/b');
    assert.deepEqual(stepOf(result, 'http://example.com'), { name: 'GET /a', method: 'GET', url: 'http://example.com/a' });
    assert.deepEqual(result.warnings, [{ key: 'import.curl_extra_urls', params: { count: 1 } }]);
    assert.equal(stepOf(importCurl('curl -k -- -weird.example.com/x'), 'http://-weird.example.com').url, 'http://-weird.example.com/x');
  });

  it('warns about text Jinja would read as a template', () => {
    const result = importCurl(`curl https://example.com/api -d '{"tpl":"{{name}}"}'`);
    assert.deepEqual(result.warnings, [{ key: 'import.template_syntax', params: { index: 1 } }]);
  });

  it('leaves out headers a step cannot carry, and says which', () => {
    const result = importCurl(`curl https://example.com/ -H 'Bad Name: x' -H 'NoColon' -H 'X-Big: ${'a'.repeat(16_385)}' -H 'Host: other.example' -H 'Content-Length: 3'`);
    assert.equal(stepOf(result, 'https://example.com').headers, undefined);
    assert.deepEqual(result.warnings, [
      { key: 'import.header_invalid', params: { index: 1, name: 'NoColon' } },
      { key: 'import.header_invalid', params: { index: 1, name: 'Bad Name' } },
      { key: 'import.header_too_large', params: { index: 1, name: 'X-Big', max: 16384 } },
    ]);
  });
});

describe('importCurl: what it refuses', () => {
  it('refuses what is not a curl command', () => {
    assertImportError(() => importCurl('wget https://example.com/'), 'import.curl_not_curl');
    assertImportError(() => importCurl('Invoke-WebRequest -Uri "https://example.com/"'), 'import.curl_not_curl');
    assertImportError(() => importCurl(''), 'import.curl_not_curl');
  });

  it('refuses a command without a URL', () => {
    assertImportError(() => importCurl("curl -H 'accept: */*' -X POST"), 'import.curl_no_url');
    assertImportError(() => importCurl("curl ''"), 'import.curl_no_url');
  });

  it('refuses an unterminated quote', () => {
    assertImportError(() => importCurl("curl 'https://example.com/ -H 'a: b'"), 'import.curl_unterminated_quote');
    assertImportError(() => importCurl('curl ^"https://example.com/ ^\n  -k'), 'import.curl_unterminated_quote');
  });

  it('refuses URLs that are not http or https', () => {
    assertImportError(() => importCurl('curl ftp://example.com/file.txt'), 'import.curl_bad_url', { url: 'ftp://example.com/file.txt' });
    assertImportError(() => importCurl("curl 'http://exa mple.com/'"), 'import.curl_bad_url', { url: 'http://exa mple.com/' });
  });

  it('refuses data read from files', () => {
    assertImportError(() => importCurl('curl -d @body.json https://example.com/'), 'import.curl_file_data', { option: '-d' });
    assertImportError(() => importCurl('curl --data-binary @- https://example.com/'), 'import.curl_file_data', { option: '--data-binary' });
    assertImportError(() => importCurl("curl --data-urlencode 'comment@note.txt' https://example.com/"), 'import.curl_file_data', { option: '--data-urlencode' });
    assertImportError(() => importCurl("curl --data-urlencode '@note.txt' https://example.com/"), 'import.curl_file_data', { option: '--data-urlencode' });
  });

  it('refuses an option missing its value, and methods a step cannot send', () => {
    assertImportError(() => importCurl('curl https://example.com/ -H'), 'import.curl_missing_value', { option: '-H' });
    assertImportError(() => importCurl('curl https://example.com/ --connect-timeout'), 'import.curl_missing_value', { option: '--connect-timeout' });
    assertImportError(() => importCurl('curl -X BREW https://example.com/pot'), 'import.curl_bad_method', { method: 'BREW' });
  });

  it('refuses a URL or a body larger than a step holds', () => {
    assertImportError(() => importCurl(`curl https://example.com/?q=${'a'.repeat(4100)}`), 'import.url_too_long', { max: 4096 });
    assertImportError(() => importCurl(`curl https://example.com/ -d ${'a'.repeat(1024 * 1024 + 1)}`), 'import.body_too_large', { max: 1048576 });
  });
});
