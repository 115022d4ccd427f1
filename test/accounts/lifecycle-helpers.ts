// Shared by the account lifecycle tests: an app with mail going to a local SMTP sink and a clock the
// test moves, and small helpers to wait for mail and pull the link out of it.
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Dialect } from '../../src/db/knex.js';

export const PASSWORD = 'correct horse battery';
export const BASE_URL = 'http://chime.test';

export type MailApp = { app: TestApp; sink: SmtpSink; clock: { now(): number; advance(ms: number): void }; close(): Promise<void> };

export async function startMailApp(dialect: Dialect): Promise<MailApp> {
  const sink = await startSmtpSink();
  let now = Date.now();
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  const app = await startTestApp(dialect, {
    clock,
    env: { MAIL_SMTP: '127.0.0.1', MAIL_PORT: String(sink.port), MAIL_SSL: 'false', MAIL_FROM: 'chime@example.com', BASE_URL },
  });
  return {
    app,
    sink,
    clock,
    close: async () => {
      await app.close();
      await sink.close();
    },
  };
}

/** Waits until `count` mails went to `to` (mail is sent after the answer), and returns them. */
export async function mailsTo(sink: SmtpSink, to: string, count = 1, timeoutMs = 5000): Promise<SinkMessage[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = sink.messages.filter((m) => m.to.includes(to));
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`expected ${count} mail(s) to ${to}, got ${found.length}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The path and query of the first link to our BASE_URL in the mail's text. */
export function linkIn(mail: SinkMessage): string {
  const match = new RegExp(`${BASE_URL.replace(/\./g, '\\.')}(/\\S+)`).exec(mail.text ?? '');
  if (!match) throw new Error(`no link in ${mail.text}`);
  return match[1]!;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

let seq = 0;
export const uniqueEmail = (label: string) => `${label}-${process.pid}-${++seq}@example.com`;
