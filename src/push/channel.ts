// The contract every push channel fulfils (CHANNELS.md): a plain record with its type, label, a zod
// config schema (the form, the API catalog, masking and validation all come from it), its limits,
// and `send`, which returns nothing on success and throws a DeliveryError otherwise.
import type { z } from 'zod';
import type { HttpClient } from '../lib/http.js';
import type { Clock } from '../lib/clock.js';

/** What is pushed: a title and a plain-text body, plus the structured event for webhook-like channels. */
export type PushMessage = {
  /** The event: task.success, task.failure, task.disabled, task.recovered, digest, test. */
  event: string;
  title: string;
  body: string;
  /** An HTML rendering of the body for email (the digest's table); absent: email renders the body. */
  html?: string;
  /** A link to the run or the page the message is about, when BASE_URL is set. */
  url?: string;
  /** The event's data as CHANNELS.md `webhook` describes it (task, run, digest fields). */
  data?: Record<string, unknown>;
  /** A stable id of this message (the outbox row), for idempotency headers such as webhook-id. */
  id: string;
  /** When the event happened, epoch ms. */
  at: number;
};

/** Why a send did not work. `permanent`: retrying cannot help (bad token, chat not found). */
export class DeliveryError extends Error {
  readonly permanent: boolean;
  readonly retryAfterMs?: number;
  /** What the channel answered, shortened, for the history page and the Test button. */
  readonly detail?: string;
  constructor(message: string, options: { permanent: boolean; retryAfterMs?: number; detail?: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.permanent = options.permanent;
    this.retryAfterMs = options.retryAfterMs;
    this.detail = options.detail;
  }
}

/** Small per-process memory a channel may keep between sends (wecom_app's access token). */
export type ChannelCache = {
  get<T>(key: string): T | undefined;
  set<T>(key: string, value: T, ttlMs: number): void;
  delete(key: string): void;
};

export type SendContext = {
  http: Pick<HttpClient, 'request'>;
  clock: Clock;
  cache: ChannelCache;
  /** The account email, for the email channel's default recipient. */
  accountEmail?: string;
  /** Sends mail (the email channel only); absent when MAIL_SMTP is not set. */
  mail?: (mail: { to: string; cc?: string; subject: string; text: string; html: string }) => Promise<{ response: string }>;
  /** Random bytes (webhook ids, tests fix them). */
  random?: () => number;
};

export type ChannelLimits = {
  /** Longest text the channel takes; longer bodies are cut with "…". */
  maxText: number;
  /** Messages per minute per registration before the outbox makes the rest wait. */
  perMinute?: number;
};

export type Channel<S extends z.ZodType = z.ZodType> = {
  type: string;
  /** i18n key of the channel's name in the catalog. */
  label: string;
  config: S;
  /** Names of the config fields that are secret (write-only, masked, encrypted). */
  secrets: readonly string[];
  limits: ChannelLimits;
  send(message: PushMessage, config: z.output<S>, ctx: SendContext): Promise<void>;
};

/** A simple in-memory ChannelCache with expiry. */
export function memoryCache(clock: Clock): ChannelCache {
  const entries = new Map<string, { value: unknown; until: number }>();
  return {
    get<T>(key: string) {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.until <= clock.now()) {
        entries.delete(key);
        return undefined;
      }
      return e.value as T;
    },
    set(key, value, ttlMs) {
      entries.set(key, { value, until: clock.now() + ttlMs });
    },
    delete(key) {
      entries.delete(key);
    },
  };
}
