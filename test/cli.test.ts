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
import { auditLog } from '../src/accounts/audit.js';
import { newResetToken, passwordResetsRepo } from '../src/accounts/password-reset.js';
import { TEST_SECRET } from './helpers/app.js';
import { DIALECTS, freshDatabaseUrl } from './helpers/db.js';

type Result = { code: number | null; out: string; err: string };

/** Runs `src/cli.ts` in a child process with only these variables, `stdin` piped in. */
function runCli(env: Record<string, string>, args: string[], stdin = ''): Promise<Result> {
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

describe('the admin CLI', () => {
  let dir: string;
  let env: Record<string, string>;

  const cli = (args: string[], stdin = '') => runCli(env, args, stdin);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-cli-'));
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', DATA_DIR: dir, DATABASE_URL: `sqlite:${dir}/chime.db`, APP_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The audit entries of one action, oldest first, read back from the database the CLI wrote. */
  async function auditEntries(action: string) {
    const db = createDb(env.DATABASE_URL!);
    try {
      return (await auditLog(db.knex).list({ action, limit: 200 })).reverse();
    } finally {
      await db.close();
    }
  }

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
    const badEmail = await cli(['user:create', 'not-an-email'], 'another good password\n');
    assert.deepEqual([badEmail.code, badEmail.err.trim()], [1, 'The email is not valid: Must be an email address such as you@example.com.']);
    assert.equal((await cli(['user:create', 'bob@example.com'], 'short\n')).err.trim(), 'The password is not valid: Must be at least 8 characters.');
    assert.equal((await cli(['user:create', 'bob@example.com'], '\n')).err.trim(), 'The password is not valid: Required.');
    const list = await cli(['user:list']);
    assert.equal(list.code, 0);
    assert.match(list.out, /root@example\.com\s+admin\s+active/);
    assert.match(list.out, /ada@example\.com\s+user\s+active/);
    assert.match(list.out, /2 user\(s\)/);
    const db = createDb(env.DATABASE_URL!);
    const verified = (await db.knex('users').select('email_verified_at').whereIn('email', ['root@example.com', 'ada@example.com'])) as { email_verified_at: unknown }[];
    await db.close();
    assert.ok(verified.length === 2 && verified.every((u) => u.email_verified_at !== null), 'the admin vouches for the addresses it types');

    // One entry per user made, none for the refused attempts; no actor user, "via cli", no password.
    const entries = await auditEntries('user.created');
    assert.deepEqual(
      entries.map((e) => [e.actorUserId, e.ip, e.targetType, e.detail]),
      [
        [null, null, 'user', { email: 'root@example.com', role: 'admin', via: 'cli' }],
        [null, null, 'user', { email: 'ada@example.com', role: 'user', via: 'cli' }],
      ],
    );
    assert.doesNotMatch(JSON.stringify(entries), /correct horse|another good password/);
  });

  it('resets a password, ending the user’s sessions and revoking their tokens', async () => {
    const db: Db = createDb(env.DATABASE_URL!);
    try {
      const accounts = createAccountsService({ knex: db.knex });
      const ada = await accounts.authenticate({ email: 'ada@example.com', password: 'another good password' });
      await accounts.createToken(ada.id, 'script');
      await db.knex('sessions').insert({ sid: 'ada-session', user_id: ada.id, data: '{}', expires_at: Date.now() + 3600_000, created_at: Date.now(), updated_at: Date.now() });
      const mailedLink = newResetToken();
      await passwordResetsRepo(db.knex).insert(ada.id, mailedLink, Date.now());
      const res = await cli(['user:reset-password', 'ada@example.com'], 'a brand new password\n');
      assert.equal(res.code, 0, res.err);
      await accounts.authenticate({ email: 'ada@example.com', password: 'a brand new password' });
      assert.equal((await db.knex('api_tokens').where({ user_id: ada.id })).length, 0);
      assert.equal((await db.knex('sessions').where({ user_id: ada.id })).length, 0);
      assert.equal(await passwordResetsRepo(db.knex).liveUserId(mailedLink, Date.now()), undefined, 'a reset link mailed before no longer works');
      const unknown = await cli(['user:reset-password', 'nobody@example.com'], 'a brand new password\n');
      assert.deepEqual([unknown.code, unknown.err.trim()], [1, 'There is no user nobody@example.com.']);

      const resets = await auditEntries('password.reset_cli');
      assert.deepEqual(resets.map((e) => [e.actorUserId, e.targetType, e.targetId, e.detail]), [[null, 'user', ada.id, { via: 'cli' }]]);
      assert.doesNotMatch(JSON.stringify(resets), /brand new password/);
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
    const again = await cli(['user:disable', 'ada@example.com']);
    assert.deepEqual([again.code, again.out.trim()], [0, 'ada@example.com is disabled already.']);
    // One entry: the refused attempt on the last admin and the repeated one changed nothing.
    const disabled = await auditEntries('user.disabled');
    assert.deepEqual(disabled.map((e) => [e.actorUserId, e.targetType, e.detail]), [[null, 'user', { via: 'cli' }]]);
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
    const res = await runCli({ ...env, DATABASE_URL: 'mysql://root@127.0.0.1:1/none' }, ['backup', 'x.sql']);
    assert.equal(res.code, 1);
    assert.match(res.err, /mysqldump --single-transaction/);
  });
});

// A fresh installation on each database: the first admin comes from the CLI before Chime ever started.
for (const dialect of DIALECTS) {
  describe(`the admin CLI on a fresh ${dialect} database`, () => {
    let database: { url: string; drop(): Promise<void> };
    let env: Record<string, string>;
    let dir: string;

    before(async () => {
      database = await freshDatabaseUrl(dialect);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-cli-fresh-'));
      env = { PATH: process.env.PATH ?? '/usr/bin:/bin', DATA_DIR: dir, DATABASE_URL: database.url, APP_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
    });
    after(async () => {
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const cli = (args: string[], stdin = '') => runCli(env, args, stdin);

    it('migrates, creates the first admin, who can log in, and audits it', async () => {
      const migrated = await cli(['migrate']);
      assert.equal(migrated.code, 0, migrated.err);
      assert.match(migrated.out, /Applied \d+ migration\(s\)\./);
      assert.deepEqual([(await cli(['migrate'])).out.trim()], ['Already up to date.']);

      const created = await cli(['user:create', 'First@Example.com', '--admin'], 'correct horse battery\n');
      assert.deepEqual([created.code, created.out.trim()], [0, 'Created admin first@example.com (id 1).']);
      const db = createDb(database.url);
      try {
        const admin = await createAccountsService({ knex: db.knex }).authenticate({ email: 'first@example.com', password: 'correct horse battery' });
        assert.equal(admin.role, 'admin');
        const [entry] = await auditLog(db.knex).list({ action: 'user.created' });
        assert.deepEqual([entry!.actorUserId, entry!.targetId, entry!.detail], [null, admin.id, { email: 'first@example.com', role: 'admin', via: 'cli' }]);
      } finally {
        await db.close();
      }
    });
  });
}
