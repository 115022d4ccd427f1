// `npm run cli`: user commands, backup of a database in use, restore refused while Chime runs, exit
// codes — through the real entry point in a child process against a real SQLite file.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createDb, type Db } from '../src/db/knex.js';
import { createAccountsService } from '../src/accounts/service.js';
import { TEST_SECRET } from './helpers/app.js';

type Result = { code: number | null; out: string; err: string };

describe('the admin CLI', () => {
  let dir: string;
  let env: Record<string, string>;

  function cli(args: string[], stdin = ''): Promise<Result> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (err += c));
      child.on('close', (code) => resolve({ code, out, err }));
      child.stdin.end(stdin);
    });
  }

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-cli-'));
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', DATA_DIR: dir, DATABASE_URL: `sqlite:${dir}/chime.db`, APP_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('says how to use it, with exit code 2, for no command, an unknown one or a bad option', async () => {
    for (const args of [[], ['frobnicate'], ['user:list', '--force'], ['backup']]) {
      const res = await cli(args);
      assert.equal(res.code, 2, args.join(' '));
      assert.match(res.err, /Usage: npm run cli -- <command>/);
    }
  });

  it('creates users (the password from stdin), refuses duplicates and bad input, lists them', async () => {
    const created = await cli(['user:create', 'root@example.com', '--admin'], 'correct horse battery\n');
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /Created admin root@example.com/);
    assert.equal((await cli(['user:create', 'ada@example.com'], 'another good password\n')).code, 0);
    const again = await cli(['user:create', 'ada@example.com'], 'another good password\n');
    assert.deepEqual([again.code, again.err.trim()], [1, 'There is already a user ada@example.com.']);
    assert.equal((await cli(['user:create', 'not-an-email'], 'another good password\n')).code, 1);
    assert.match((await cli(['user:create', 'bob@example.com'], 'short\n')).err, /The password is not valid/);
    const list = await cli(['user:list']);
    assert.equal(list.code, 0);
    assert.match(list.out, /root@example\.com\s+admin\s+active/);
    assert.match(list.out, /ada@example\.com\s+user\s+active/);
    assert.match(list.out, /2 user\(s\)/);
  });

  it('resets a password, ending the user’s sessions and revoking their tokens', async () => {
    const db: Db = createDb(env.DATABASE_URL!);
    try {
      const accounts = createAccountsService({ knex: db.knex });
      const ada = await accounts.authenticate({ email: 'ada@example.com', password: 'another good password' });
      await accounts.createToken(ada.id, 'script');
      await db.knex('sessions').insert({ sid: 'ada-session', user_id: ada.id, data: '{}', expires_at: Date.now() + 3600_000, created_at: Date.now(), updated_at: Date.now() });
      const res = await cli(['user:reset-password', 'ada@example.com'], 'a brand new password\n');
      assert.equal(res.code, 0, res.err);
      await accounts.authenticate({ email: 'ada@example.com', password: 'a brand new password' });
      assert.equal((await db.knex('api_tokens').where({ user_id: ada.id })).length, 0);
      assert.equal((await db.knex('sessions').where({ user_id: ada.id })).length, 0);
      assert.equal((await cli(['user:reset-password', 'nobody@example.com'], 'a brand new password\n')).code, 1);
    } finally {
      await db.close();
    }
  });

  it('disables a user, but never the last active admin', async () => {
    const last = await cli(['user:disable', 'root@example.com']);
    assert.deepEqual([last.code, last.err.trim()], [1, 'root@example.com is the last active admin; make someone else admin first.']);
    const res = await cli(['user:disable', 'ada@example.com']);
    assert.equal(res.code, 0);
    assert.match((await cli(['user:list'])).out, /ada@example\.com\s+user\s+disabled/);
  });

  it('backs up the database while it is in use, and restores it only while Chime is stopped', async () => {
    const db: Db = createDb(env.DATABASE_URL!);
    const backupFile = path.join(dir, 'backup.db');
    try {
      // An open connection in the middle of a transaction, as a running Chime may have.
      await db.knex.transaction(async (trx) => {
        await trx('site_settings').select();
        const res = await cli(['backup', backupFile]);
        assert.equal(res.code, 0, res.err);
        assert.match(res.out, /Backed up .*chime\.db to .*backup\.db/);
      });
      const copy = new Database(backupFile, { readonly: true });
      assert.equal((copy.prepare('select count(*) as n from users').get() as { n: number }).n, 2);
      copy.close();
      assert.equal((await cli(['backup', backupFile])).code, 1, 'never overwrites a file');

      await db.knex('users').where({ email: 'ada@example.com' }).delete();
      fs.writeFileSync(path.join(dir, 'chime.pid'), `${process.pid}\n`); // "Chime is running": this live process
      const refused = await cli(['restore', backupFile]);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /Chime is running \(pid \d+\)/);
    } finally {
      await db.close();
    }
    fs.rmSync(path.join(dir, 'chime.pid'));
    const notChime = path.join(dir, 'other.db');
    new Database(notChime).exec('create table x (y int)');
    assert.match((await cli(['restore', notChime])).err, /is not a Chime database/);
    const restored = await cli(['restore', backupFile]);
    assert.equal(restored.code, 0, restored.err);
    assert.match((await cli(['user:list'])).out, /ada@example\.com/);
  });

  it('points to the database’s own tools on MySQL', async () => {
    const res = await new Promise<Result>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'backup', 'x.sql'], { env: { ...env, DATABASE_URL: 'mysql://root@127.0.0.1:1/none' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (err += c));
      child.on('close', (code) => resolve({ code, out, err }));
    });
    assert.equal(res.code, 1);
    assert.match(res.err, /mysqldump --single-transaction/);
  });
});
