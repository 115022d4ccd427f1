// The outbound HTTP client against local servers only: requests and responses, cookies, redirects,
// timeouts, the read cap and decoding, TLS, proxies, and the address guard (ssrf.ts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { createHttpClient, explainNetworkError, bypassesProxy, CookieJar, HttpError, type HttpClient, type HttpErrorKind } from '../../src/lib/http.js';
import { assertPublicHost, blockedReason } from '../../src/lib/ssrf.js';
import { closedPort, selfSignedCertificate, startProxy, startServer, startSilentServer, type Handler, type TestServer } from '../helpers/http-servers.js';

const MiB = 1024 * 1024;

/** Runs `fn` with a fresh recording server, closed afterwards. */
async function withServer<T>(handler: Handler, fn: (server: TestServer) => Promise<T>, tls?: { key: string; cert: string }): Promise<T> {
  const server = await startServer(handler, tls);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

/** The HttpError `promise` rejects with; fails the test when it resolves or throws something else. */
async function failure(promise: Promise<unknown>, kind: HttpErrorKind): Promise<HttpError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof HttpError, `expected an HttpError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected the request to fail with ${kind}`);
}

const echo: Handler = (req, res, body) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ method: req.method, cookie: req.headers.cookie ?? null, body: body.toString() }));
};
const json = (body: Buffer) => JSON.parse(body.toString()) as { method: string; cookie: string | null; body: string };

describe('http client', () => {
  let client: HttpClient;
  before(() => {
    client = createHttpClient({ allowPrivateNetwork: true });
  });
  after(() => client.close());

  describe('requests and responses', () => {
    it('sends the method, headers and body, and returns status, headers as received and the body', async () => {
      await withServer((_req, res) => {
        res.writeHead(201, 'Made It', [['X-One', '1'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['Content-Type', 'text/plain']]);
        res.end('done');
      }, async (server) => {
        const res = await client.request({ method: 'put', url: `${server.url}/things/7?x=1#frag`, headers: { 'X-Custom': 'yes' }, body: 'payload' });
        const [seen] = server.seen;
        assert.equal(seen?.method, 'PUT');
        assert.equal(seen?.url, '/things/7?x=1');
        assert.equal(seen?.headers['x-custom'], 'yes');
        assert.equal(seen?.body.toString(), 'payload');
        assert.equal(res.status, 201);
        assert.equal(res.statusText, 'Made It');
        assert.deepEqual(res.headers.filter(([name]) => name !== 'date' && name !== 'connection' && name !== 'keep-alive' && name !== 'transfer-encoding'), [
          ['x-one', '1'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['content-type', 'text/plain'],
        ]);
        assert.equal(res.body.toString(), 'done');
        assert.equal(res.url, `${server.url}/things/7?x=1`);
        assert.deepEqual(res.redirects, []);
        assert.equal(res.truncated, false);
        assert.ok(res.durationMs >= 0 && res.durationMs < 5000);
      });
    });

    it('sends a Buffer body as given', async () => {
      await withServer(echo, async (server) => {
        await client.request({ method: 'POST', url: server.url, body: Buffer.from([0, 1, 2, 255]) });
        assert.deepEqual([...server.seen[0]!.body], [0, 1, 2, 255]);
      });
    });

    it('sets a User-Agent unless the request has one', async () => {
      await withServer(echo, async (server) => {
        await client.request({ method: 'GET', url: server.url });
        await client.request({ method: 'GET', url: server.url, headers: { 'user-AGENT': 'Mozilla/5.0' } });
        const custom = createHttpClient({ allowPrivateNetwork: true, userAgent: 'Chime-Test/1' });
        await custom.request({ method: 'GET', url: server.url }).finally(() => custom.close());
        assert.deepEqual(server.seen.map((s) => s.headers['user-agent']), ['Chime/0.1 (+self-hosted)', 'Mozilla/5.0', 'Chime-Test/1']);
      });
    });

    it('drops connection headers copied from a browser instead of failing, and computes Content-Length itself', async () => {
      await withServer(echo, async (server) => {
        const headers = { Connection: 'keep-alive', 'Keep-Alive': 'timeout=5', 'Content-Length': '999', 'Transfer-Encoding': 'chunked', Expect: '100-continue' };
        const res = await client.request({ method: 'POST', url: server.url, headers, body: 'abc' });
        assert.equal(json(res.body).body, 'abc');
        assert.equal(server.seen[0]?.headers['content-length'], '3');
        assert.equal(server.seen[0]?.headers.expect, undefined);
      });
    });

    it('offers only the content codings it can decode', async () => {
      await withServer(echo, async (server) => {
        await client.request({ method: 'GET', url: server.url });
        await client.request({ method: 'GET', url: server.url, headers: { 'Accept-Encoding': 'gzip, deflate, br, zstd' } });
        await client.request({ method: 'GET', url: server.url, headers: { 'Accept-Encoding': 'zstd' } });
        assert.deepEqual(server.seen.map((s) => s.headers['accept-encoding']), ['gzip, deflate, br', 'gzip, deflate, br', undefined]);
      });
    });
  });

  describe('cookies', () => {
    const setsCookie: Handler = (req, res) => {
      if (req.url === '/login') res.writeHead(200, { 'set-cookie': ['sid=abc; Path=/; HttpOnly', 'theme=dark; Path=/'] }).end();
      else echo(req, res, Buffer.alloc(0));
    };

    it('sends cookies a response set on the next request with the same jar, never with another jar', async () => {
      await withServer(setsCookie, async (server) => {
        const jar = new CookieJar();
        await client.request({ method: 'POST', url: `${server.url}/login`, cookieJar: jar });
        const same = await client.request({ method: 'GET', url: `${server.url}/me`, cookieJar: jar });
        const other = await client.request({ method: 'GET', url: `${server.url}/me`, cookieJar: new CookieJar() });
        const none = await client.request({ method: 'GET', url: `${server.url}/me` });
        assert.equal(json(same.body).cookie, 'sid=abc; theme=dark');
        assert.equal(json(other.body).cookie, null);
        assert.equal(json(none.body).cookie, null);
      });
    });

    it('sends an explicit Cookie header after the jar cookies', async () => {
      await withServer(setsCookie, async (server) => {
        const jar = new CookieJar();
        await client.request({ method: 'GET', url: `${server.url}/login`, cookieJar: jar });
        const res = await client.request({ method: 'GET', url: `${server.url}/me`, cookieJar: jar, headers: { Cookie: 'extra=1' } });
        assert.equal(json(res.body).cookie, 'sid=abc; theme=dark; extra=1');
      });
    });
  });

  describe('redirects', () => {
    // /hop/N redirects to /hop/N-1 … /hop/0 answers; /loop redirects to itself forever.
    const redirector: Handler = (req, res, body) => {
      const url = new URL(req.url!, 'http://x');
      const hop = /^\/hop\/(\d+)$/.exec(url.pathname);
      if (hop && hop[1] !== '0') return void res.writeHead(302, { location: `/hop/${Number(hop[1]) - 1}` }).end();
      if (url.pathname === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
      const status = /^\/(30\d)$/.exec(url.pathname)?.[1];
      if (status) return void res.writeHead(Number(status), { location: '/landed', 'set-cookie': `via=${status}; Path=/` }).end('moved');
      if (url.pathname === '/ftp') return void res.writeHead(302, { location: 'ftp://files.example.com/x' }).end();
      res.writeHead(200).end(JSON.stringify({ method: req.method, body: body.toString(), type: req.headers['content-type'] ?? null, cookie: req.headers.cookie ?? null }));
    };

    it('does not follow a redirect unless asked: the 302 comes back with its Location', async () => {
      await withServer(redirector, async (server) => {
        const res = await client.request({ method: 'GET', url: `${server.url}/302` });
        assert.equal(res.status, 302);
        assert.deepEqual(res.headers.find(([name]) => name === 'location'), ['location', '/landed']);
        assert.equal(res.body.toString(), 'moved');
        assert.deepEqual(res.redirects, []);
        assert.equal(server.seen.length, 1);
      });
    });

    it('turns a POST into a GET without body after 301, 302 and 303', async () => {
      await withServer(redirector, async (server) => {
        for (const status of [301, 302, 303]) {
          const res = await client.request({ method: 'POST', url: `${server.url}/${status}`, body: 'a=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, followRedirects: true });
          assert.deepEqual(JSON.parse(res.body.toString()), { method: 'GET', body: '', type: null, cookie: null }, `after ${status}`);
          assert.equal(res.url, `${server.url}/landed`);
          assert.deepEqual(res.redirects, [`${server.url}/landed`]);
        }
      });
    });

    it('keeps the method and the body after 307 and 308', async () => {
      await withServer(redirector, async (server) => {
        for (const status of [307, 308]) {
          const res = await client.request({ method: 'PUT', url: `${server.url}/${status}`, body: 'a=1', headers: { 'Content-Type': 'text/plain' }, followRedirects: true });
          assert.deepEqual(JSON.parse(res.body.toString()), { method: 'PUT', body: 'a=1', type: 'text/plain', cookie: null }, `after ${status}`);
        }
      });
    });

    it('follows at most 5 redirects by default, and at most maxRedirects when given', async () => {
      await withServer(redirector, async (server) => {
        const five = await client.request({ method: 'GET', url: `${server.url}/hop/5`, followRedirects: true });
        assert.equal(five.status, 200);
        assert.equal(five.redirects.length, 5);
        assert.equal(five.url, `${server.url}/hop/0`);
        const six = await failure(client.request({ method: 'GET', url: `${server.url}/hop/6`, followRedirects: true }), 'too_many_redirects');
        assert.match(six.message, /^127\.0\.0\.1:\d+ redirected more than 5 times \(the last one to http:\/\/127\.0\.0\.1:\d+\/hop\/0\)/);
        await failure(client.request({ method: 'GET', url: `${server.url}/loop`, followRedirects: true }), 'too_many_redirects');
        await failure(client.request({ method: 'GET', url: `${server.url}/hop/2`, followRedirects: true, maxRedirects: 1 }), 'too_many_redirects');
      });
    });

    it('stores the cookies of every hop and sends them on the next', async () => {
      await withServer(redirector, async (server) => {
        const jar = new CookieJar();
        const res = await client.request({ method: 'GET', url: `${server.url}/307`, followRedirects: true, cookieJar: jar });
        assert.equal(JSON.parse(res.body.toString()).cookie, 'via=307');
        assert.equal(await jar.getCookieString(server.url), 'via=307');
      });
    });

    it('does not hand Authorization or the given Cookie to another origin', async () => {
      await withServer(echo, async (other) => {
        await withServer((_req, res) => res.writeHead(302, { location: `${other.url}/elsewhere` }).end(), async (first) => {
          await client.request({ method: 'GET', url: first.url, followRedirects: true, headers: { Authorization: 'Bearer secret', Cookie: 'sid=1', 'X-Kept': 'yes' } });
          assert.equal(first.seen[0]?.headers.authorization, 'Bearer secret');
          assert.equal(other.seen[0]?.headers.authorization, undefined);
          assert.equal(other.seen[0]?.headers.cookie, undefined);
          assert.equal(other.seen[0]?.headers['x-kept'], 'yes');
        });
      });
    });

    it('refuses to follow a redirect to something other than http(s)', async () => {
      await withServer(redirector, async (server) => {
        const err = await failure(client.request({ method: 'GET', url: `${server.url}/ftp`, followRedirects: true }), 'invalid_url');
        assert.match(err.message, /redirected to a ftp:\/\/ URL; only http:\/\/ and https:\/\/ can be followed/);
      });
    });
  });

  describe('timeouts and cancelling', () => {
    it('gives up on a server that never answers, within the limit', async () => {
      const silent = await startSilentServer();
      try {
        const started = Date.now();
        const err = await failure(client.request({ method: 'GET', url: silent.url, timeoutMs: 300 }), 'timeout');
        assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
        assert.equal(err.message, `no response from ${new URL(silent.url).host} within 0.3 s`);
      } finally {
        await silent.close();
      }
    });

    it('counts the body read in the limit', async () => {
      await withServer((_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('only part of it'); // and then nothing more
      }, async (server) => {
        const err = await failure(client.request({ method: 'GET', url: server.url, timeoutMs: 300 }), 'timeout');
        assert.equal(err.message, `the response from 127.0.0.1:${server.port} did not finish within 0.3 s`);
      });
    });

    it('stops when the caller cancels', async () => {
      const silent = await startSilentServer();
      try {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 50);
        const err = await failure(client.request({ method: 'GET', url: silent.url, signal: controller.signal }), 'aborted');
        assert.match(err.message, /^the request to 127\.0\.0\.1:\d+ was cancelled$/);
        await failure(client.request({ method: 'GET', url: silent.url, signal: AbortSignal.abort() }), 'aborted');
      } finally {
        await silent.close();
      }
    });
  });

  describe('body cap and decoding', () => {
    const pattern = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => i % 251));

    it('keeps the first 5 MiB of a 6 MiB body and says it was truncated', async () => {
      const big = pattern(6 * MiB);
      await withServer((_req, res) => res.end(big), async (server) => {
        const res = await client.request({ method: 'GET', url: server.url });
        assert.equal(res.truncated, true);
        assert.equal(res.body.length, 5 * MiB);
        assert.ok(res.body.equals(big.subarray(0, 5 * MiB)));
      });
    });

    it('does not call a body of exactly maxBytes truncated', async () => {
      await withServer((_req, res) => res.end(pattern(1000)), async (server) => {
        const exact = await client.request({ method: 'GET', url: server.url, maxBytes: 1000 });
        assert.deepEqual([exact.body.length, exact.truncated], [1000, false]);
        const less = await client.request({ method: 'GET', url: server.url, maxBytes: 999 });
        assert.deepEqual([less.body.length, less.truncated], [999, true]);
      });
    });

    it('stops decoding a gzip bomb at the cap', async () => {
      // 100 gzip members of 10 MiB of zeros each: about 1 MiB on the wire, 1000 MiB decoded.
      const member = zlib.gzipSync(Buffer.alloc(10 * MiB));
      const bomb = Buffer.concat(Array.from({ length: 100 }, () => member));
      await withServer((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(bomb), async (server) => {
        const res = await client.request({ method: 'GET', url: server.url });
        assert.equal(res.truncated, true);
        assert.equal(res.body.length, 5 * MiB);
        assert.ok(res.body.every((b) => b === 0));
      });
    });

    const text = 'héllo, decoded world '.repeat(200);
    const encodings: [string, Buffer][] = [
      ['gzip', zlib.gzipSync(text)],
      ['x-gzip', zlib.gzipSync(text)],
      ['br', zlib.brotliCompressSync(text)],
      ['deflate', zlib.deflateSync(text)],
      ['deflate', zlib.deflateRawSync(text)], // what some servers send for "deflate"
      ['gzip, br', zlib.brotliCompressSync(zlib.gzipSync(text))],
    ];
    for (const [encoding, encoded] of encodings) {
      it(`decodes a ${encoding} body (${encoded[0]?.toString(16)}…)`, async () => {
        await withServer((_req, res) => res.writeHead(200, { 'content-encoding': encoding }).end(encoded), async (server) => {
          const res = await client.request({ method: 'GET', url: server.url });
          assert.equal(res.body.toString(), text);
        });
      });
    }

    it('keeps a body in a coding it cannot decode as it was sent', async () => {
      await withServer((_req, res) => res.writeHead(200, { 'content-encoding': 'zstd' }).end('opaque'), async (server) => {
        const res = await client.request({ method: 'GET', url: server.url });
        assert.equal(res.body.toString(), 'opaque');
      });
    });

    it('says so when a body does not decode', async () => {
      await withServer((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end('not gzip at all'), async (server) => {
        const err = await failure(client.request({ method: 'GET', url: server.url }), 'connection');
        assert.match(err.message, /^the response from 127\.0\.0\.1:\d+ could not be decoded \(gzip\): incorrect header check$/);
      });
    });
  });

  describe('TLS', () => {
    const tls = selfSignedCertificate();

    it('refuses a self-signed certificate and says how to skip verification', async () => {
      await withServer(echo, async (server) => {
        const err = await failure(client.request({ method: 'GET', url: server.url }), 'tls');
        assert.equal(err.message, `TLS certificate of 127.0.0.1:${server.port} could not be verified: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT); mark the step “insecure” to skip verification`);
        assert.equal(server.seen.length, 0);
      }, tls);
    });

    it('accepts it with insecure: true, reusing one pooled connection', async () => {
      await withServer(echo, async (server) => {
        const first = await client.request({ method: 'POST', url: server.url, body: 'x', insecure: true });
        // undici frees the socket just after the body ends; a request sent in that instant opens another.
        await new Promise((resolve) => setTimeout(resolve, 20));
        await client.request({ method: 'POST', url: server.url, body: 'y', insecure: true });
        assert.equal(json(first.body).body, 'x');
        assert.equal(server.connections, 1);
      }, tls);
    });
  });

  describe('errors', () => {
    it('rejects URLs that are not http(s)', async () => {
      assert.equal((await failure(client.request({ method: 'GET', url: 'not a url' }), 'invalid_url')).message, '"not a url" is not a valid URL');
      assert.equal((await failure(client.request({ method: 'GET', url: 'file:///etc/passwd' }), 'invalid_url')).message, 'only http:// and https:// URLs can be requested, not file://');
    });

    it('says when nothing listens on the port', async () => {
      const port = await closedPort();
      const err = await failure(client.request({ method: 'GET', url: `http://127.0.0.1:${port}/` }), 'connection');
      assert.equal(err.message, `127.0.0.1:${port} refused the connection (ECONNREFUSED): nothing is listening on that port`);
    });

    it('says when the server drops the connection', async () => {
      await withServer((req) => req.socket.destroy(), async (server) => {
        const err = await failure(client.request({ method: 'GET', url: server.url }), 'connection');
        assert.match(err.message, /^127\.0\.0\.1:\d+ closed the connection before the response was complete|^the connection to 127\.0\.0\.1:\d+ was reset/);
      });
    });

    it('names an unknown host as not found', () => {
      // Unit level: a real lookup of a made-up name would leave this machine.
      const dnsError = Object.assign(new Error('getaddrinfo ENOTFOUND example.invalid'), { code: 'ENOTFOUND', hostname: 'example.invalid' });
      const err = explainNetworkError(dnsError, 'example.invalid', undefined);
      assert.deepEqual([err.kind, err.message], ['dns', 'example.invalid: host not found']);
      const viaProxy = explainNetworkError(dnsError, 'example.com', 'example.invalid:3128');
      assert.deepEqual([viaProxy.kind, viaProxy.message], ['proxy', 'could not use the proxy example.invalid:3128: example.invalid: host not found']);
    });
  });
});

describe('proxies', () => {
  it('sends an http request through the proxy in absolute form, with the credentials of the proxy URL', async () => {
    const proxy = await startProxy();
    const client = createHttpClient({ allowPrivateNetwork: true });
    try {
      await withServer(echo, async (server) => {
        const res = await client.request({ method: 'POST', url: `${server.url}/via?x=1`, body: 'b', proxy: `http://user:p%40ss@127.0.0.1:${proxy.port}` });
        assert.equal(json(res.body).body, 'b');
        assert.deepEqual(proxy.lines, [`POST ${server.url}/via?x=1`]);
        assert.deepEqual(proxy.auth, [`Basic ${Buffer.from('user:p@ss').toString('base64')}`]);
        assert.equal(server.seen[0]?.headers['proxy-authorization'], undefined);
      });
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('tunnels an https request through CONNECT', async () => {
    const proxy = await startProxy();
    const client = createHttpClient({ allowPrivateNetwork: true, proxy: { http: proxy.url } });
    try {
      await withServer(echo, async (server) => {
        const res = await client.request({ method: 'GET', url: `${server.url}/secure`, insecure: true });
        assert.equal(res.status, 200);
        assert.deepEqual(proxy.lines, [`CONNECT 127.0.0.1:${server.port}`]);
        assert.equal(server.seen[0]?.url, '/secure');
      }, selfSignedCertificate());
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('uses the client proxy unless NO_PROXY matches, and a request proxy over both', async () => {
    const [defaultProxy, stepProxy] = [await startProxy(), await startProxy()];
    const client = createHttpClient({ allowPrivateNetwork: true, proxy: { http: defaultProxy.url, noProxy: 'localhost, .internal.example' } });
    try {
      await withServer(echo, async (server) => {
        await client.request({ method: 'GET', url: `${server.url}/a` });
        await client.request({ method: 'GET', url: `http://localhost:${server.port}/b` });
        await client.request({ method: 'GET', url: `${server.url}/c`, proxy: stepProxy.url });
        assert.deepEqual(defaultProxy.lines, [`GET ${server.url}/a`]);
        assert.deepEqual(stepProxy.lines, [`GET ${server.url}/c`]);
        assert.deepEqual(server.seen.map((s) => s.url), ['/a', '/b', '/c']);
      });
    } finally {
      await client.close();
      await Promise.all([defaultProxy.close(), stepProxy.close()]);
    }
  });

  it('reads NO_PROXY as curl does', () => {
    const url = (u: string) => new URL(u);
    assert.equal(bypassesProxy(url('http://api.example.com/'), 'example.com'), true);
    assert.equal(bypassesProxy(url('http://notexample.com/'), 'example.com'), false);
    assert.equal(bypassesProxy(url('http://a.b.internal/'), '.internal'), true);
    assert.equal(bypassesProxy(url('http://a.b.internal/'), '*.internal'), true);
    assert.equal(bypassesProxy(url('http://host:8080/'), 'host:8080'), true);
    assert.equal(bypassesProxy(url('http://host:9090/'), 'host:8080'), false);
    assert.equal(bypassesProxy(url('https://anything/'), '*'), true);
    assert.equal(bypassesProxy(url('http://[::1]:80/'), '::1'), true);
    assert.equal(bypassesProxy(url('http://[::1]:80/'), '[::1]:80'), true);
    assert.equal(bypassesProxy(url('http://[::1]:80/'), '[::1]:81'), false);
    assert.equal(bypassesProxy(url('http://host/'), ' , '), false);
    assert.equal(bypassesProxy(url('http://host/'), undefined), false);
  });

  it('says when the proxy cannot be reached, refuses a tunnel, or is not a valid URL', async () => {
    const client = createHttpClient({ allowPrivateNetwork: true });
    const closing = await startProxy({ forward: false });
    const port = await closedPort();
    try {
      const unreachable = await failure(client.request({ method: 'GET', url: 'http://127.0.0.1:9/', proxy: `http://127.0.0.1:${port}` }), 'proxy');
      assert.equal(unreachable.message, `could not use the proxy 127.0.0.1:${port}: 127.0.0.1:${port} refused the connection (ECONNREFUSED): nothing is listening on that port`);
      const refused = await failure(client.request({ method: 'GET', url: 'https://127.0.0.1:9/', proxy: closing.url }), 'proxy');
      assert.equal(refused.message, `the proxy 127.0.0.1:${closing.port} answered HTTP 502 instead of connecting to 127.0.0.1:9`);
      const invalid = await failure(client.request({ method: 'GET', url: 'http://127.0.0.1:9/', proxy: 'socks://user:secret@x' }), 'proxy');
      assert.doesNotMatch(invalid.message, /secret/);
    } finally {
      await client.close();
      await closing.close();
    }
  });
});

describe('address guard', () => {
  it('names the reason for every blocked range and lets public addresses through', () => {
    const cases: [string, string | undefined][] = [
      ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'],
      ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'], ['fd12::1', 'private'], ['fc00::1', 'private'],
      ['169.254.1.1', 'link-local'], ['fe80::1', 'link-local'], ['fe80::1%eth0', 'link-local'],
      ['100.64.0.1', 'shared (carrier-grade NAT)'], ['100.127.255.255', 'shared (carrier-grade NAT)'],
      ['0.0.0.0', '"this network" (0.0.0.0/8)'], ['0.1.2.3', '"this network" (0.0.0.0/8)'], ['::', 'unspecified'],
      ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['ff02::1', 'multicast'],
      ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'],
      ['169.254.169.254', 'cloud metadata'], ['fd00:ec2::254', 'cloud metadata'], ['100.100.100.200', 'cloud metadata'],
      ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:10.0.0.1', 'private'], ['::ffff:169.254.169.254', 'cloud metadata'], ['[::ffff:192.168.0.1]', 'private'],
      ['::7f00:1', 'IPv4-compatible IPv6'],
      ['8.8.8.8', undefined], ['93.184.215.14', undefined], ['172.32.0.1', undefined], ['192.169.0.1', undefined], ['100.128.0.1', undefined],
      ['2606:4700:4700::1111', undefined], ['::ffff:8.8.8.8', undefined], ['example.com', undefined],
    ];
    for (const [address, reason] of cases) assert.equal(blockedReason(address), reason, address);
  });

  it('judges a name by what it resolves to', async () => {
    const refuse = (host: string, address: string, reason: string) => new Error(`${host} ${address} ${reason}`);
    await assert.rejects(assertPublicHost('localhost', refuse), /^Error: localhost (127\.0\.0\.1|::1) loopback$/);
    await assert.rejects(assertPublicHost('[::ffff:127.0.0.1]', refuse), /loopback/);
    await assertPublicHost('8.8.8.8', refuse); // a literal is not looked up
  });

  describe('with allowPrivateNetwork false', () => {
    let client: HttpClient;
    let server: TestServer;
    before(async () => {
      client = createHttpClient({ allowPrivateNetwork: false });
      server = await startServer(echo);
    });
    after(async () => {
      await client.close();
      await server.close();
    });

    const refused = async (url: string, extra: Partial<Parameters<HttpClient['request']>[0]> = {}) =>
      (await failure(client.request({ method: 'GET', url, timeoutMs: 2000, ...extra }), 'refused_address')).message;
    const hint = 'addresses are blocked; set ALLOW_PRIVATE_NETWORK=true to allow them';

    it('refuses literal loopback, private, link-local and metadata addresses before connecting', async () => {
      assert.equal(await refused(server.url), `refused to connect to 127.0.0.1: loopback ${hint}`);
      assert.equal(await refused(`http://[::1]:${server.port}/`), `refused to connect to ::1: loopback ${hint}`);
      assert.equal(await refused(`http://[::ffff:127.0.0.1]:${server.port}/`), `refused to connect to ::ffff:7f00:1: loopback ${hint}`);
      assert.equal(await refused('http://169.254.169.254/latest/meta-data/'), 'refused to connect to 169.254.169.254: cloud metadata addresses are always blocked');
      assert.equal(await refused('http://10.1.2.3/'), `refused to connect to 10.1.2.3: private ${hint}`);
      assert.equal(await refused(`http://2130706433:${server.port}/`), `refused to connect to 127.0.0.1: loopback ${hint}`); // 127.0.0.1 as one number
      assert.equal(server.connections, 0);
    });

    it('refuses cloud metadata addresses even when private networks are allowed', async () => {
      const open = createHttpClient({ allowPrivateNetwork: true });
      const local = await startServer(echo);
      try {
        for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/', 'http://100.100.100.200/']) {
          const err = await failure(open.request({ method: 'GET', url, timeoutMs: 2000 }), 'refused_address');
          assert.match(err.message, /cloud metadata addresses are always blocked$/, url);
        }
        // The same client reaches a loopback server: only metadata is refused.
        assert.equal((await open.request({ method: 'GET', url: local.url })).status, 200);
      } finally {
        await open.close();
        await local.close();
      }
    });

    it('refuses a name that resolves to loopback, at connect time', async () => {
      assert.match(await refused(`http://localhost:${server.port}/`), new RegExp(`^refused to connect to localhost \\((127\\.0\\.0\\.1|::1)\\): loopback ${hint}$`));
      // TLS connections resolve through the same guard (port 1: if it let the name through, the error would be 'connection').
      assert.match(await refused('https://localhost:1/'), /^refused to connect to localhost \((127\.0\.0\.1|::1)\): loopback /);
      assert.equal(server.connections, 0);
    });

    it('refuses the first hop of a would-be redirect chain the same way', async () => {
      await refused(`${server.url}/redirects-somewhere`, { followRedirects: true });
      assert.equal(server.seen.length, 0);
    });

    it('refuses a proxy on a blocked address, named or literal', async () => {
      const proxy = await startProxy({ forward: false });
      try {
        // A public literal target: judged without DNS, and never contacted since the proxy is refused first.
        const target = 'http://93.184.215.14/';
        assert.equal(await refused(target, { proxy: proxy.url }), `refused to connect to the proxy 127.0.0.1: loopback ${hint}`);
        assert.match(await refused(target, { proxy: `http://localhost:${proxy.port}` }), /^refused to connect to the proxy localhost \((127\.0\.0\.1|::1)\): loopback /);
        assert.deepEqual(proxy.lines, []);
      } finally {
        await proxy.close();
      }
    });

    it('resolves and judges the target before sending it through a proxy', async () => {
      const proxy = await startProxy({ forward: false });
      try {
        assert.equal(await refused('http://10.0.0.1/', { proxy: proxy.url }), `refused to connect to 10.0.0.1: private ${hint}`);
        assert.match(await refused(`http://localhost:${server.port}/`, { proxy: proxy.url }), /^refused to connect to localhost \((127\.0\.0\.1|::1)\): loopback /);
        assert.deepEqual(proxy.lines, []);
      } finally {
        await proxy.close();
      }
    });
  });
});
