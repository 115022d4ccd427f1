// The real process (`node --import tsx src/main.ts`): first start on an empty machine, several
// instances at once, a graceful SIGTERM, and /healthz when the database is gone.
import { describe, it, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app.js';
import { createDb, type Db } from '../src/db/knex.js';
import { silentLogger } from '../src/lib/log.js';
import { DIALECTS, freshDatabaseUrl } from './helpers/db.js';
import { testConfig } from './helpers/app.js';
import { WebClient, type Page } from './helpers/client.js';
import { startChime, stopAllChimes, type ChimeProcess } from './helpers/process.js';

after(stopAllChimes);

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-proc-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function healthz(url: string) {
  const res = await fetch(url + '/healthz');
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** SIGTERM, then the exit; a process that does not stop in time is killed and the test fails. */
async function terminate(chime: ChimeProcess, withinMs = 8000) {
  chime.signal('SIGTERM');
  const timer = setTimeout(() => chime.child.kill('SIGKILL'), withinMs);
  const exit = await chime.exited;
  clearTimeout(timer);
  return exit;
}

// A spawned process gets this long per test; each child also has its own deadline (helpers/process.ts).
const SPAWN_TEST = { timeout: 60_000 };

// No APP_SECRET (an empty value also hides one from a developer's .env) and no NODE_ENV.
const firstRunEnv = (dir: string) => ({ DATABASE_URL: `sqlite:${path.join(dir, 'chime.db')}`, DATA_DIR: path.join(dir, 'data'), PORT: '0', APP_SECRET: '' });

describe('the real process', () => {
  it('starts on an empty SQLite file, says where it listens and answers /healthz', SPAWN_TEST, async (t) => {
    const dir = tempDir(t);
    const chime = await startChime(firstRunEnv(dir));
    t.after(() => chime.kill());

    const listening = chime.logs().find((line) => line.msg.startsWith('Chime listening on '))!;
    assert.equal(listening.msg, `Chime listening on http://127.0.0.1:${chime.port}`);
    assert.ok(chime.port > 0);
    assert.equal(listening.db, 'sqlite');
    assert.deepEqual(await healthz(chime.url), { status: 200, body: { ok: true, db: 'sqlite' } });

    const secretFile = path.join(dir, 'data', 'app-secret');
    assert.match(fs.readFileSync(secretFile, 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.equal(fs.statSync(secretFile).mode & 0o777, 0o600);
    const warning = chime.logs().find((line) => /APP_SECRET is not set/.test(line.msg));
    assert.ok(warning, chime.describe());
    assert.equal(warning.level, 40, 'logged as a warning');
    assert.ok(warning.msg.includes(secretFile));
    assert.ok(chime.logs().some((line) => line.msg === 'migrations applied'));
    assert.equal(chime.stderr(), '');

    assert.deepEqual(await terminate(chime), { code: 0, signal: null });
  });

  it('keeps the generated secret across restarts, so a login survives one', SPAWN_TEST, async (t) => {
    const dir = tempDir(t);
    const first = await startChime(firstRunEnv(dir));
    t.after(() => first.kill());
    const browser = new WebClient(first.url);
    const cookie = sessionCookie(await browser.register('restart@example.com'));
    assert.equal((await browser.get('/account')).status, 200);
    const secret = fs.readFileSync(path.join(dir, 'data', 'app-secret'), 'utf8');
    assert.equal((await terminate(first)).code, 0);

    const second = await startChime(firstRunEnv(dir));
    t.after(() => second.kill());
    assert.equal(fs.readFileSync(path.join(dir, 'data', 'app-secret'), 'utf8'), secret);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'data')).sort(), ['app-secret', 'chime.pid'], 'no drafts left behind (the pid file says Chime runs)');
    assert.ok(second.logs().some((line) => /APP_SECRET is not set/.test(line.msg)), 'still warns');
    assert.ok(!second.logs().some((line) => line.msg === 'migrations applied'), 'nothing left to migrate');
    const account = await fetch(second.url + '/account', { headers: { cookie }, redirect: 'manual' });
    assert.equal(account.status, 200, 'the session cookie from before the restart still works');
    assert.match(await account.text(), /restart@example\.com/);
    assert.equal((await terminate(second)).code, 0);
  });

  for (const dialect of DIALECTS) {
    it(`brings up three instances started at the same moment on one fresh ${dialect} database`, SPAWN_TEST, async (t) => {
      const dir = tempDir(t);
      const database = await freshDatabaseUrl(dialect);
      t.after(() => database.drop());
      // One DATA_DIR too: they also race to generate the shared secret.
      const env = { DATABASE_URL: database.url, DATA_DIR: path.join(dir, 'data'), PORT: '0', APP_SECRET: '' };
      const started = await Promise.allSettled([startChime(env), startChime(env), startChime(env)]);
      const instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      t.after(() => Promise.all(instances.map((chime) => chime.kill())));
      assert.deepEqual(
        started.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason)),
        [],
        'all three start',
      );

      for (const chime of instances) assert.deepEqual(await healthz(chime.url), { status: 200, body: { ok: true, db: dialect } });
      const appliers = instances.filter((chime) => chime.logs().some((line) => line.msg === 'migrations applied'));
      assert.equal(appliers.length, 1, 'one instance applied the migrations');

      // Same database and same secret: a session made on one instance is valid on the others.
      const cookie = sessionCookie(await new WebClient(instances[0]!.url).register(`three-${dialect}@example.com`));
      for (const chime of instances.slice(1)) {
        const res = await fetch(chime.url + '/account', { headers: { cookie }, redirect: 'manual' });
        assert.equal(res.status, 200, `session accepted on port ${chime.port}`);
      }

      const exits = await Promise.all(instances.map((chime) => terminate(chime)));
      assert.deepEqual(exits.map((e) => e.code), [0, 0, 0]);
    });
  }

  it('on SIGTERM stops accepting connections but finishes the request in flight, then exits 0', SPAWN_TEST, async (t) => {
    const dir = tempDir(t);
    const chime = await startChime(firstRunEnv(dir));
    t.after(() => chime.kill());

    const socket = net.connect(chime.port, '127.0.0.1');
    t.after(() => socket.destroy());
    await once(socket, 'connect');
    const response = collectResponse(socket);
    const body = 'email=inflight%40example.com&password=not-the-password';
    // Expect: 100-continue makes the server say when it holds the request and waits for the body.
    socket.write(
      `POST /login HTTP/1.1\r\nHost: 127.0.0.1:${chime.port}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Content-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n${body.slice(0, 10)}`,
    );
    await response.continued;

    chime.signal('SIGTERM');
    await chime.waitForLog((line) => line.msg.startsWith('shutting down'), 5000);
    assert.equal(await connectionRefused(chime.port, 2000), true, 'a new connection is refused');
    assert.equal(chime.child.exitCode, null, 'still running while a request is in flight');

    socket.write(body.slice(10));
    const { status, headers, body: html } = await response.complete;
    assert.equal(status, 403, 'a complete answer (no CSRF token, hence 403)');
    assert.equal(Buffer.byteLength(html), Number(headers['content-length']));

    const answeredAt = Date.now();
    assert.deepEqual(await within(chime.exited, 8000), { code: 0, signal: null }, chime.describe());
    // Well before the keep-alive timeout (5 s) and the drain limit (10 s).
    assert.ok(Date.now() - answeredAt < 3000, `exited ${Date.now() - answeredAt} ms after the last response`);
    assert.ok(chime.logs().some((line) => line.msg === 'stopped'));
  });
});

describe('/healthz when the database is unreachable', () => {
  async function serve(db: Db, t: TestContext) {
    const app = createApp({ config: testConfig('sqlite::memory:'), db, log: silentLogger });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('answers 503 when nothing listens where MySQL should be', { timeout: 15_000 }, async (t) => {
    const url = await serve(createDb('mysql://root@127.0.0.1:1/chime'), t);
    assert.deepEqual(await healthz(url), { status: 503, body: { ok: false, db: 'mysql', error: 'database unreachable' } });
  });

  it('answers 503 within its time limit when the database accepts but never answers', { timeout: 15_000 }, async (t) => {
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = await serve(createDb(`mysql://root@127.0.0.1:${(silent.address() as AddressInfo).port}/chime`), t);
    try {
      const startedAt = Date.now();
      const res = await healthz(url);
      assert.deepEqual(res, { status: 503, body: { ok: false, db: 'mysql', error: 'database unreachable' } });
      assert.ok(Date.now() - startedAt < 4000, `answered after ${Date.now() - startedAt} ms`);
    } finally {
      // Hanging up lets the client's pending connection attempt fail now, not at its own timeout.
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });

  it('answers 503 when the SQLite file cannot be opened', { timeout: 15_000 }, async (t) => {
    const dir = tempDir(t);
    // A folder where the database file should be: what a missing volume mount looks like.
    const url = await serve(createDb(`sqlite:${dir}`), t);
    assert.deepEqual(await healthz(url), { status: 503, body: { ok: false, db: 'sqlite', error: 'database unreachable' } });
  });
});

/** The `chime.sid=…` pair a logged-in page set. */
function sessionCookie(page: Page): string {
  assert.equal(page.status, 303, 'registered and logged in');
  const line = page.headers.getSetCookie().find((c) => c.startsWith('chime.sid='));
  assert.ok(line, 'a session cookie was set');
  return line.split(';')[0]!;
}

/** The promise's value, or 'timed out' after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timed out'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timed out'>((resolve) => (timer = setTimeout(resolve, ms, 'timed out')));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves true once connecting to the port is refused; false if it still accepts after `withinMs`. */
async function connectionRefused(port: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const probe = net.connect(port, '127.0.0.1');
      probe.once('connect', () => {
        probe.destroy();
        resolve(false);
      });
      probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
    if (refused) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

type RawResponse = { status: number; headers: Record<string, string>; body: string };

/** Reads one HTTP/1.1 response off a raw socket: `continued` on "100 Continue", `complete` when the final one is whole. */
function collectResponse(socket: net.Socket): { continued: Promise<void>; complete: Promise<RawResponse> } {
  let buffer = Buffer.alloc(0);
  let onContinue = () => {};
  let onClose = (_err: Error) => {};
  const continued = new Promise<void>((resolve, reject) => {
    onContinue = resolve;
    onClose = reject;
  });
  const complete = new Promise<RawResponse>((resolve, reject) => {
    const parse = () => {
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)?.[1]);
        if (status === 100) {
          buffer = buffer.subarray(end + 4);
          onContinue();
          continue;
        }
        const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const length = Number(headers['content-length']);
        const body = buffer.subarray(end + 4);
        if (body.length >= length) resolve({ status, headers, body: body.subarray(0, length).toString('utf8') });
        return;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      parse();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const err = new Error(`connection closed before a complete response:\n${buffer.toString('utf8')}`);
      onClose(err);
      reject(err);
    });
  });
  // Observed by the test when it awaits them.
  continued.catch(() => {});
  complete.catch(() => {});
  return { continued, complete };
}
