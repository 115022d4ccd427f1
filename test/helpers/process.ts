// The real app as a child process: `node --import tsx src/main.ts` in the project folder, with an
// environment built from scratch (PATH plus what the test gives). The app also reads a .env in its
// folder, under the environment: a test that needs a setting unset passes it as '' so a developer's
// .env cannot fill it in. Every child is killed by its own deadline, by stopAllChimes() and, as a
// last resort, when the test process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type LogLine = { level: number; msg: string; [field: string]: unknown };
export type Exit = { code: number | null; signal: NodeJS.Signals | null };

const live = new Set<ChimeProcess>();
process.on('exit', () => {
  for (const chime of live) chime.child.kill('SIGKILL');
});

export class ChimeProcess {
  readonly child: ChildProcess;
  /** Settles once the process has exited and its output is fully read. */
  readonly exited: Promise<Exit>;
  readonly startedAt = Date.now();
  port = 0;
  private out = '';
  private err = '';
  private exit: Exit | undefined;
  private listeners = new Set<() => void>();

  constructor(env: Record<string, string>, lifetimeMs: number) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this);
    // A hung child must not hang the test run.
    const deadline = setTimeout(() => this.child.kill('SIGKILL'), lifetimeMs).unref();
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.out += chunk;
      this.changed();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.err += chunk;
      this.changed();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        clearTimeout(deadline);
        live.delete(this);
        this.exit = { code, signal };
        this.changed();
        resolve(this.exit);
      });
    });
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  stdout() {
    return this.out;
  }

  stderr() {
    return this.err;
  }

  /** The stdout lines that are JSON log records, in order. */
  logs(): LogLine[] {
    return this.out.split('\n').flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return []; // a line still being written
      }
    });
  }

  /** Resolves with the first log line that matches; rejects on timeout or when the process exits first. */
  waitForLog(matches: (line: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.logs().find(matches);
        if (line) finish(() => resolve(line));
        else if (this.exit) finish(() => reject(new Error(`chime exited (${JSON.stringify(this.exit)}) first\n${this.describe()}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no matching log line after ${timeoutMs} ms\n${this.describe()}`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  signal(name: NodeJS.Signals) {
    this.child.kill(name);
  }

  /** Kills the process unless it is already gone, and waits for it. */
  async kill(): Promise<Exit> {
    if (!this.exit) this.child.kill('SIGKILL');
    return this.exited;
  }

  describe() {
    return `--- stdout ---\n${this.out.slice(-4000)}\n--- stderr ---\n${this.err.slice(-4000)}`;
  }

  private changed() {
    for (const listener of [...this.listeners]) listener();
  }
}

export const isListeningLine = (line: LogLine) => line.msg.startsWith('Chime listening on ');

/** Starts the app and waits for its "listening" line; `port` is the one it reports. */
export async function startChime(
  env: Record<string, string>,
  { startTimeoutMs = 30_000, lifetimeMs = 120_000 } = {},
): Promise<ChimeProcess> {
  const chime = new ChimeProcess({ LOG_LEVEL: 'info', ...env }, lifetimeMs);
  try {
    const line = await chime.waitForLog(isListeningLine, startTimeoutMs);
    chime.port = line.port as number;
    return chime;
  } catch (err) {
    await chime.kill();
    throw err;
  }
}

/** Runs the app until it exits by itself (it is killed after `timeoutMs`). */
export async function runChime(env: Record<string, string>, timeoutMs = 20_000) {
  const chime = new ChimeProcess(env, timeoutMs);
  const exit = await chime.exited;
  return { ...exit, stdout: chime.stdout(), stderr: chime.stderr(), ms: Date.now() - chime.startedAt };
}

/** For `after()`: kills every child still running. */
export async function stopAllChimes(): Promise<void> {
  await Promise.all([...live].map((chime) => chime.kill()));
}
