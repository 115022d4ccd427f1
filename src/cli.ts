// `npm run cli -- <command>`: the admin's tools for a Chime installation. Exit codes: 0 done,
// 1 the command failed (the message says why), 2 the command line is wrong.
import readline from 'node:readline';
import { ConfigError, loadConfig } from './config.js';
import { createDb } from './db/knex.js';
import { migrateToLatest } from './db/migrate.js';
import { CliError, backup, restore } from './cli/backup.js';
import { checkedEmail, createUser, disableUser, existingUser, listUsers, resetPassword } from './cli/users.js';

const USAGE = `Usage: npm run cli -- <command>

  user:create EMAIL [--admin]     create a user; the password is read from stdin or asked for
  user:reset-password EMAIL       set a new password (stdin or asked); ends their sessions and tokens
  user:list                       list the users
  user:disable EMAIL              disable a user (logged out everywhere at once)
  migrate                         apply pending database migrations
  backup FILE                     copy the SQLite database to FILE while Chime runs
  restore FILE                    replace the SQLite database with FILE (Chime must be stopped)

Settings come from the environment and .env, as for the app (DATABASE_URL, DATA_DIR …).`;

class UsageError extends Error {}

/** The password: the first line of stdin when it is piped, else asked for twice without echo. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text.split(/\r?\n/)[0] ?? '';
  }
  const ask = (question: string) =>
    new Promise<string>((resolve) => {
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      // Keep the typed characters off the screen.
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
        if (s.includes(question)) process.stdout.write(s);
      };
      rl.question(question, (answer) => {
        rl.close();
        process.stdout.write('\n');
        resolve(answer);
      });
    });
  const first = await ask('Password: ');
  if ((await ask('Again: ')) !== first) throw new CliError('The two passwords differ.');
  return first;
}

async function run(args: string[]): Promise<string> {
  const [command, ...rest] = args;
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const positional = rest.filter((a) => !a.startsWith('--'));
  const one = (what: string) => {
    if (positional.length !== 1) throw new UsageError(`${command} takes one ${what}.`);
    return positional[0]!;
  };
  const known = new Set(command === 'user:create' ? ['--admin'] : []);
  for (const flag of flags) if (!known.has(flag)) throw new UsageError(`Unknown option ${flag} for ${command}.`);
  if (!command || command === 'help' || command === '--help') throw new UsageError('');

  const { config } = loadConfig();
  if (command === 'backup') return backup(config, one('FILE'));
  if (command === 'restore') return restore(config, one('FILE'));

  const commands = ['user:create', 'user:reset-password', 'user:list', 'user:disable', 'migrate'];
  if (!commands.includes(command)) throw new UsageError(`Unknown command ${command}.`);
  const db = createDb(config.databaseUrl);
  try {
    const now = Date.now();
    switch (command) {
      case 'migrate': {
        const applied = await migrateToLatest(db, { log: (m) => console.log(m) });
        return applied.length ? `Applied ${applied.length} migration(s).` : 'Already up to date.';
      }
      case 'user:list':
        if (positional.length) throw new UsageError('user:list takes no arguments.');
        return await listUsers(db.knex);
      case 'user:disable':
        return await disableUser(db.knex, one('EMAIL'), now);
    }
    const email = one('EMAIL');
    // The migrations first: a fresh installation can create its admin before the first start.
    await migrateToLatest(db);
    // What can be refused without the password is refused before asking for it.
    if (command === 'user:create') checkedEmail(email);
    else await existingUser(db.knex, email);
    const password = await readPassword();
    return command === 'user:create' ? await createUser(db.knex, email, password, flags.has('--admin'), now) : await resetPassword(db.knex, email, password, now);
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (message) => {
    console.log(message);
    process.exit(0);
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      if (err.message) console.error(err.message + '\n');
      console.error(USAGE);
      process.exit(2);
    }
    if (err instanceof ConfigError) console.error(`Fix these settings first:\n${err.problems.join('\n')}`);
    else if (err instanceof CliError) console.error(err.message);
    else console.error(`Failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
