// parseConfig on plain objects, and the real process refusing to start on a bad environment.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../src/config.js';
import { runChime } from './helpers/process.js';

/** The ConfigError parseConfig throws for `env`; fails the test when it parses. */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail(`expected ${JSON.stringify(env)} to be rejected`);
}

const LONG_SECRET = 'a-secret-that-is-long-enough-0123456789';

describe('parseConfig', () => {
  it('fills in the defaults for an empty environment', () => {
    const config = parseConfig({});
    assert.equal(config.env, 'development');
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, 'sqlite:data/chime.db');
    assert.equal(config.dataDir, 'data');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.workerConcurrency, 32);
    assert.equal(config.allowPrivateNetwork, false);
    assert.equal(config.baseUrl, undefined);
    assert.equal(config.secureCookies, false);
    assert.equal(config.appSecret, undefined);
    assert.deepEqual(config.mail, { host: undefined, port: 465, ssl: true, starttls: false, user: undefined, password: undefined, from: undefined });
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.mail));
  });

  it('sends mail from MAIL_USER unless MAIL_FROM says otherwise', () => {
    assert.equal(parseConfig({ MAIL_USER: 'bot@example.com' }).mail.from, 'bot@example.com');
    assert.equal(parseConfig({ MAIL_USER: 'bot@example.com', MAIL_FROM: 'Chime <chime@example.com>' }).mail.from, 'Chime <chime@example.com>');
  });

  it('reads every setting it is given', () => {
    const config = parseConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      HOST: '0.0.0.0',
      BASE_URL: 'https://chime.example.com',
      DATABASE_URL: 'mysql://chime:pw@db:3306/chime',
      DATA_DIR: '/var/lib/chime',
      APP_SECRET: LONG_SECRET,
      TRUST_PROXY: '1',
      ALLOW_PRIVATE_NETWORK: 'true',
      DEFAULT_TIMEZONE: 'Asia/Shanghai',
      LOG_LEVEL: 'warn',
      WORKER_CONCURRENCY: '4',
      MAIL_SMTP: 'smtp.example.com',
      MAIL_PORT: '587',
      MAIL_SSL: 'false',
      MAIL_STARTTLS: 'true',
      MAIL_USER: 'bot@example.com',
      MAIL_PASSWORD: 'mail-pw',
    });
    assert.equal(config.env, 'production');
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.databaseUrl, 'mysql://chime:pw@db:3306/chime');
    assert.equal(config.dataDir, '/var/lib/chime');
    assert.equal(config.appSecret, LONG_SECRET);
    assert.equal(config.trustProxy, '1');
    assert.equal(config.allowPrivateNetwork, true);
    assert.equal(config.defaultTimezone, 'Asia/Shanghai');
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.workerConcurrency, 4);
    assert.deepEqual(config.mail, {
      host: 'smtp.example.com',
      port: 587,
      ssl: false,
      starttls: true,
      user: 'bot@example.com',
      password: 'mail-pw',
      from: 'bot@example.com',
    });
  });

  it('accepts only true and false for booleans, naming the variable otherwise', () => {
    assert.equal(parseConfig({ MAIL_SSL: 'false' }).mail.ssl, false);
    assert.equal(parseConfig({ MAIL_STARTTLS: 'true' }).mail.starttls, true);
    for (const key of ['MAIL_SSL', 'MAIL_STARTTLS', 'ALLOW_PRIVATE_NETWORK']) {
      for (const value of ['1', '0', 'yes', 'no', 'TRUE', 'False', 'on']) {
        const problems = problemsOf({ [key]: value });
        assert.equal(problems.length, 1, `${key}=${value}`);
        assert.ok(problems[0]!.startsWith(`${key}: must be true or false`), problems[0]);
        assert.ok(problems[0]!.includes(`"${value}"`), 'shows what was given');
      }
    }
  });

  it('rejects ports and counts that are not whole numbers in range', () => {
    assert.equal(parseConfig({ PORT: '0' }).port, 0);
    assert.equal(parseConfig({ PORT: '65535' }).port, 65535);
    for (const value of ['abc', '-1', '65536', '80.5', '1e3', ' 80', '0x50']) {
      const [line, ...more] = problemsOf({ PORT: value });
      assert.ok(line!.startsWith('PORT: '), `PORT=${value}: ${line}`);
      assert.deepEqual(more, []);
    }
    assert.ok(problemsOf({ MAIL_PORT: '0' })[0]!.startsWith('MAIL_PORT: '));
    assert.ok(problemsOf({ WORKER_CONCURRENCY: '0' })[0]!.startsWith('WORKER_CONCURRENCY: '));
    assert.ok(problemsOf({ WORKER_CONCURRENCY: '1001' })[0]!.startsWith('WORKER_CONCURRENCY: '));
  });

  it('lists every bad variable at once, one line each, starting with its name', () => {
    const bad = {
      NODE_ENV: 'prod',
      PORT: 'abc',
      BASE_URL: 'chime.example.com',
      DATABASE_URL: 'postgres://u:pw@h/db',
      MAIL_SSL: 'yes',
      MAIL_STARTTLS: '1',
      ALLOW_PRIVATE_NETWORK: 'TRUE',
      DEFAULT_TIMEZONE: 'Mars/Olympus',
      LOG_LEVEL: 'loud',
      WORKER_CONCURRENCY: 'many',
      MAIL_PORT: '99999',
    };
    let thrown: unknown;
    try {
      parseConfig({ ...bad, HOST: '0.0.0.0' });
    } catch (err) {
      thrown = err;
    }
    assert.ok(thrown instanceof ConfigError);
    const names = thrown.problems.map((line) => /^([A-Z_]+): \S/.exec(line)?.[1]);
    assert.deepEqual([...names].sort(), Object.keys(bad).sort());
    assert.ok(thrown.message.includes(thrown.problems.join('\n')), 'the message carries every line');
  });

  it('never echoes APP_SECRET, MAIL_PASSWORD or DATABASE_URL in a problem line', () => {
    const problems = problemsOf({
      APP_SECRET: 'sekrit-too-short',
      DATABASE_URL: 'postgres://chime:hunter2@db/chime',
      MAIL_PASSWORD: 'mail-hunter2',
      PORT: 'abc',
    });
    const text = problems.join('\n');
    assert.match(text, /^APP_SECRET: /m);
    assert.match(text, /^DATABASE_URL: /m);
    assert.doesNotMatch(text, /sekrit|hunter2|postgres/);
    assert.match(text, /^PORT: .*"abc"/m, 'non-secret values are shown');
  });

  it('requires APP_SECRET in production, and rejects a short one anywhere', () => {
    const missing = problemsOf({ NODE_ENV: 'production' });
    assert.equal(missing.length, 1);
    assert.match(missing[0]!, /^APP_SECRET: is required when NODE_ENV=production/);
    assert.equal(parseConfig({ NODE_ENV: 'production', APP_SECRET: LONG_SECRET }).appSecret, LONG_SECRET);

    const short = 'x'.repeat(31);
    assert.match(problemsOf({ APP_SECRET: short })[0]!, /^APP_SECRET: must be at least 32 characters/);
    assert.match(problemsOf({ NODE_ENV: 'production', APP_SECRET: short })[0]!, /^APP_SECRET: must be at least 32 characters/);
    assert.equal(parseConfig({ APP_SECRET: 'x'.repeat(32) }).appSecret, 'x'.repeat(32));
    assert.equal(parseConfig({ NODE_ENV: 'development' }).appSecret, undefined, 'generated later, outside production');
  });

  it('reports a missing production APP_SECRET together with the other problems', () => {
    const problems = problemsOf({ NODE_ENV: 'production', PORT: 'abc', MAIL_SSL: 'yes' });
    const names = problems.map((line) => line.split(':')[0]).sort();
    assert.deepEqual(names, ['APP_SECRET', 'MAIL_SSL', 'PORT']);
  });

  it('takes only http(s) BASE_URLs, drops trailing slashes, and makes cookies Secure for https', () => {
    const https = parseConfig({ BASE_URL: 'https://chime.example.com/' });
    assert.equal(https.baseUrl, 'https://chime.example.com');
    assert.equal(https.secureCookies, true);
    const http = parseConfig({ BASE_URL: 'http://192.168.1.5:3000' });
    assert.equal(http.baseUrl, 'http://192.168.1.5:3000');
    assert.equal(http.secureCookies, false);
    for (const value of ['ftp://chime.example.com', 'chime.example.com', 'javascript:alert(1)', '/chime']) {
      const problems = problemsOf({ BASE_URL: value });
      assert.equal(problems.length, 1, value);
      assert.match(problems[0]!, /^BASE_URL: must be an http\(s\) URL/);
    }
  });

  it('takes DEFAULT_TIMEZONE only when it is an IANA zone, else the machine zone', () => {
    assert.equal(parseConfig({ DEFAULT_TIMEZONE: 'Europe/Berlin' }).defaultTimezone, 'Europe/Berlin');
    assert.equal(parseConfig({ DEFAULT_TIMEZONE: 'asia/shanghai' }).defaultTimezone, 'Asia/Shanghai', 'kept in canonical spelling');
    assert.equal(parseConfig({}).defaultTimezone, Intl.DateTimeFormat().resolvedOptions().timeZone);
    for (const value of ['Mars/Olympus', 'GMT+25', 'Berlin']) {
      assert.match(problemsOf({ DEFAULT_TIMEZONE: value })[0]!, /^DEFAULT_TIMEZONE: must be an IANA time zone/, value);
    }
  });

  it('keeps the embedded database in DATA_DIR unless DATABASE_URL says otherwise', () => {
    assert.equal(parseConfig({ DATA_DIR: '/var/lib/chime' }).databaseUrl, 'sqlite:/var/lib/chime/chime.db');
    assert.equal(parseConfig({ DATA_DIR: '/var/lib/chime', DATABASE_URL: 'sqlite:/srv/c.db' }).databaseUrl, 'sqlite:/srv/c.db');
  });

  it('treats an empty value as unset', () => {
    const config = parseConfig({
      PORT: '',
      BASE_URL: '',
      DATABASE_URL: '',
      MAIL_SSL: '',
      MAIL_FROM: '',
      MAIL_USER: 'bot@example.com',
      DEFAULT_TIMEZONE: '',
      APP_SECRET: '',
      NODE_ENV: '',
    });
    assert.equal(config.port, 3000);
    assert.equal(config.baseUrl, undefined);
    assert.equal(config.databaseUrl, 'sqlite:data/chime.db');
    assert.equal(config.mail.ssl, true);
    assert.equal(config.mail.from, 'bot@example.com');
    assert.equal(config.appSecret, undefined);
    assert.equal(config.env, 'development');
    assert.match(problemsOf({ NODE_ENV: 'production', APP_SECRET: '' })[0]!, /^APP_SECRET: is required/);
  });
});

describe('starting the process with a bad environment', () => {
  it('exits with code 1 at once, one line per problem and no stack trace', async () => {
    const run = await runChime({ PORT: 'abc', MAIL_SSL: 'yes', APP_SECRET: 'short-sekrit' });
    assert.equal(run.code, 1, run.stderr);
    assert.ok(run.ms < 10_000, `took ${run.ms} ms`);
    const lines = run.stderr.trim().split('\n');
    assert.match(lines[0]!, /^Chime cannot start/);
    const problems = lines.slice(1);
    assert.deepEqual(problems.map((line) => line.split(':')[0]).sort(), ['APP_SECRET', 'MAIL_SSL', 'PORT']);
    assert.match(run.stderr, /^PORT: .*"abc"/m);
    assert.match(run.stderr, /^MAIL_SSL: .*"yes"/m);
    assert.doesNotMatch(run.stderr, /short-sekrit/);
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    assert.equal(run.stdout, '');
  });

  it('refuses a damaged generated secret file with a message saying what to do', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-secret-'));
    try {
      fs.writeFileSync(path.join(dataDir, 'app-secret'), '\n');
      const run = await runChime({ APP_SECRET: '', DATA_DIR: dataDir, DATABASE_URL: `sqlite:${path.join(dataDir, 'x.db')}` });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /^APP_SECRET: the generated secret in .*app-secret is damaged/m);
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
