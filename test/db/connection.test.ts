// How DATABASE_URL reaches the database: MariaDB/MySQL on the same machine through its Unix socket.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createDb } from '../../src/db/knex.js';

const serverUrl = process.env.TEST_MYSQL_URL;

describe('DATABASE_URL for MySQL/MariaDB', { skip: !serverUrl && 'needs TEST_MYSQL_URL' }, () => {
  it('?socket= connects through the Unix socket instead of TCP', async (t) => {
    const tcp = createDb(serverUrl!);
    let socket: string | null;
    try {
      socket = ((await tcp.knex.raw('select @@socket as s')) as [{ s: string | null }[]])[0][0]!.s;
    } finally {
      await tcp.close();
    }
    if (!socket || !fs.existsSync(socket)) return t.skip(`the server's socket (${socket}) is not on this machine`);
    const url = new URL(serverUrl!);
    url.hostname = 'localhost';
    url.searchParams.set('socket', socket);
    const db = createDb(url.toString());
    try {
      const [rows] = (await db.knex.raw('select host from information_schema.processlist where id = connection_id()')) as [{ host: string }[]];
      assert.equal(rows[0]!.host, 'localhost', 'a socket client shows as localhost, a TCP one as address:port');
    } finally {
      await db.close();
    }
  });
});
