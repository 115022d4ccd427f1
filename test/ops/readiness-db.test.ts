// Readiness follows the database: the app reaches MariaDB through a TCP forwarder the test can cut;
// /readyz turns 503 while the database does not answer and back to 200 once it does, while /metrics
// keeps answering.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freshDatabaseUrl } from '../helpers/db.js';
import http from 'node:http';
import { testConfig } from '../helpers/app.js';
import { createDb } from '../../src/db/knex.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createServices } from '../../src/services.js';
import { createApp } from '../../src/app.js';
import { silentLogger } from '../../src/lib/log.js';
import { eventually } from '../helpers/scheduler-fixtures.js';

/** A TCP forwarder to host:port that can be cut (every connection dropped, new ones refused) and restored. */
async function forwarder(host: string, port: number) {
  const sockets = new Set<net.Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) return client.destroy();
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      open = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('readiness and the database', () => {
  it('turns 503 when the database stops answering and 200 when it is back', { timeout: 60_000, skip: !process.env.TEST_MYSQL_URL && 'needs TEST_MYSQL_URL' }, async (t) => {
    const { url, drop } = await freshDatabaseUrl('mysql');
    const target = new URL(url);
    const relay = await forwarder(target.hostname, Number(target.port || 3306));
    target.host = `127.0.0.1:${relay.port}`;
    const db = createDb(target.toString());
    await migrateToLatest(db);
    const config = testConfig(target.toString());
    const services = createServices({ config, db, log: silentLogger });
    const server = http.createServer(createApp({ config, db, log: silentLogger, services }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const app = { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` };
    t.after(async () => {
      relay.restore();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await db.close();
      await relay.close();
      await drop();
    });
    services.loops.set('scheduler', () => Date.now());
    const ready = async () => (await fetch(`${app.url}/readyz`)).status;
    assert.equal(await ready(), 200);

    relay.cut();
    const res = await fetch(`${app.url}/readyz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { ok: false, problems: ['the database does not answer'] });
    assert.equal((await fetch(`${app.url}/healthz`)).status, 503, 'liveness says the same about the database');

    relay.restore();
    await eventually(async () => ((await ready()) === 200 ? true : undefined), 20_000, 'ready again');
  });
});
