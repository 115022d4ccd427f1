// The digest job of one instance, built like the dispatcher: one timer that sleeps until the earliest
// digest anchor (at most a second: other instances and the settings page move anchors too), never one
// timer per user. A due user's digest is built first, outside any transaction; then one transaction
// moves the anchor in a compare-and-set (of several instances exactly one succeeds) and queues one
// message per chosen registration, each with a body fitting its channel and the dedup key
// `digest:<user>:<windowEnd>`. A crash before the commit leaves the anchor where it was, so the next
// tick (here or elsewhere) sends the window. Sending is the dispatcher's, after the commit.
import { createTableLoop } from '../lib/table-loop.js';
import type { Knex } from 'knex';
import { usersRepo } from '../accounts/users-repo.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { isLanguage, type Language } from '../lib/i18n.js';
import { isValidTimeZone } from '../lib/timezone.js';
import { CHANNELS, isChannelType } from './channels/registry.js';
import { buildDigest, type Digest } from './digest.js';
import { dueWindow, lastInterval } from './digest-window.js';
import { enqueue as outboxEnqueue } from './outbox-repo.js';
import { pushSettingsRepo } from './settings-repo.js';

/** A user whose digest failed is tried again after this, doubling up to the longest wait. */
const RETRY_FIRST_MS = 5_000;
const RETRY_LONGEST_MS = 5 * 60_000;

/** A channel this build does not know gets a body of this size; the dispatcher fails its message anyway. */
const FALLBACK_MAX_TEXT = 4000;

export type DigestJobOptions = {
  knex: Knex;
  clock: Clock;
  log: Logger;
  /** DEFAULT_TIMEZONE: for users without a time zone of their own. */
  defaultTimezone: string;
  /** BASE_URL: the email's table links each task. */
  baseUrl?: string;
  /** Wakes the dispatcher after messages were queued. */
  poke?: () => void;
  /** Longest sleep between looks at the anchors (default 1000). */
  maxSleepMs?: number;
  /** Due users handled per look (default 50). */
  batch?: number;
  /** The outbox's enqueue (tests replace it to make a transaction fail). */
  enqueue?: typeof outboxEnqueue;
};

export type SendNowResult = {
  windowStart: number;
  windowEnd: number;
  /** Messages queued: 0 when there was nothing to send, no registration, or the same click came twice. */
  queued: number;
  outcome: 'queued' | 'nothing_to_send' | 'no_registrations' | 'already_queued';
};

export type DigestJob = {
  start(): Promise<void>;
  /** Stops the timer and waits for a look under way. */
  stop(): Promise<void>;
  /** Handles every digest due now (tests; works without start()). */
  tick(): Promise<void>;
  /** When the loop last looked at the anchors (readiness checks). */
  lastTickAt(): number;
  /** The settings page's "send now": the last interval up to now, queued at once, the anchor left alone. */
  sendNow(userId: number): Promise<SendNowResult>;
  /** The next digest as it would look now, or null when it would not be sent. */
  preview(userId: number): Promise<Digest | null>;
};

type Recipient = { id: number; channel: string };
type Reader = { language: Language; zone: string; active: boolean };

export function createDigestJob(o: DigestJobOptions): DigestJob {
  const maxSleep = o.maxSleepMs ?? 1000;
  const batch = o.batch ?? 50;
  const enqueue = o.enqueue ?? outboxEnqueue;
  const settings = pushSettingsRepo(o.knex);
  const users = usersRepo(o.knex);
  let stopping = false; // stop() was called: start no further digest
  /** Users whose last attempt failed, and when to try again: a broken digest must not fill the log every second. */
  const retries = new Map<number, { at: number; waitMs: number }>();
  let lastTick = 0;

  /** The user's language and the digest's zone (its own, else the user's, else the server's). */
  async function reader(userId: number, digestZone: string | null | undefined): Promise<Reader | undefined> {
    const user = await users.findById(userId);
    if (!user) return undefined;
    const zone = [digestZone, user.timezone].find((z): z is string => typeof z === 'string' && isValidTimeZone(z)) ?? o.defaultTimezone;
    return { language: isLanguage(user.locale) ? user.locale : 'en', zone, active: user.status === 'active' };
  }

  /** The chosen registrations (null: all) that are the user's own and enabled. */
  async function recipients(userId: number, ids: readonly number[] | null): Promise<Recipient[]> {
    if (ids !== null && ids.length === 0) return [];
    const query = o.knex('push_registrations').select('id', 'channel').where({ user_id: userId, enabled: 1 });
    if (ids !== null) query.whereIn('id', [...ids]);
    const rows = (await query.orderBy('id')) as { id: number | string; channel: string }[];
    return rows.map((r) => ({ id: Number(r.id), channel: r.channel }));
  }

  /** One message per registration, its body cut to that channel's limit; the HTML only for email. */
  async function queue(trx: Knex.Transaction, userId: number, digest: Digest, to: Recipient[], dedupKey: string, now: number): Promise<number> {
    let queued = 0;
    for (const r of to) {
      const maxText = isChannelType(r.channel) ? CHANNELS[r.channel].limits.maxText : FALLBACK_MAX_TEXT;
      const ids = await enqueue(
        trx,
        {
          userId,
          registrationIds: [r.id],
          event: 'digest',
          title: digest.title,
          body: digest.text(maxText),
          ...(r.channel === 'email' ? { html: digest.html } : {}),
          data: { ...digest.data },
          dedupKey,
        },
        now,
      );
      queued += ids.length;
    }
    return queued;
  }

  /** Sends the window due at `anchor` for one user, or only moves the anchor when there is nothing to send. */
  async function sendDue(userId: number, anchor: number, now: number): Promise<void> {
    const stored = await settings.get(userId);
    const window = dueWindow(anchor, stored.digest.intervalSeconds, now);
    if (!window) return;
    let digest: Digest | null = null;
    let to: Recipient[] = [];
    // An anchor left on a digest that is off (or of a disabled account) only moves on.
    const who = stored.digest.enabled ? await reader(userId, stored.digest.timezone) : undefined;
    if (who?.active) {
      to = await recipients(userId, stored.digest.registrationIds);
      if (to.length) digest = await buildDigest(o.knex, { userId, windowStart: window.windowStart, windowEnd: window.windowEnd, language: who.language, zone: who.zone, baseUrl: o.baseUrl });
    }
    const queued = await o.knex.transaction(async (trx) => {
      if (!(await settings.advanceDigest(trx, userId, anchor, stored.digest.enabled ? window.nextAnchor : null))) return 0; // another instance has it
      return digest ? queue(trx, userId, digest, to, `digest:${userId}:${window.windowEnd}`, now) : 0;
    });
    if (queued > 0) o.poke?.();
  }

  async function look(): Promise<number> {
    const now = o.clock.now();
    lastTick = now;
    const due = await settings.dueDigests(now, batch);
    let handled = 0;
    for (const { userId, nextAt } of due) {
      if (stopping) break;
      const retry = retries.get(userId);
      if (retry && retry.at > now) continue;
      try {
        await sendDue(userId, nextAt, now);
        retries.delete(userId);
        handled++;
      } catch (err) {
        const waitMs = retry ? Math.min(retry.waitMs * 2, RETRY_LONGEST_MS) : RETRY_FIRST_MS;
        retries.set(userId, { at: now + waitMs, waitMs });
        o.log.error({ err, userId, retryInMs: waitMs }, 'the digest could not be queued; it is tried again later');
      }
    }
    let sleep = maxSleep;
    // A full batch that made progress: more may be due. One that only failed must not spin.
    if (due.length >= batch && handled > 0) sleep = 0;
    const earliest = await settings.earliestDigest(now);
    if (earliest !== null) sleep = Math.min(sleep, earliest - o.clock.now());
    return sleep;
  }

  const loop = createTableLoop({ look, maxSleepMs: maxSleep, log: o.log, name: 'digest job' });

  return {
    async start() {
      stopping = false;
      loop.start();
    },

    async stop() {
      stopping = true;
      await loop.stop();
    },

    tick: loop.tick,
    lastTickAt: () => lastTick,

    async sendNow(userId) {
      // Whole seconds: a double click within one second makes the same window and the same dedup key.
      const now = Math.floor(o.clock.now() / 1000) * 1000;
      const stored = await settings.get(userId);
      const window = lastInterval(stored.digest.intervalSeconds, now);
      const who = await reader(userId, stored.digest.timezone);
      const to = who ? await recipients(userId, stored.digest.registrationIds) : [];
      if (!who || to.length === 0) return { ...window, queued: 0, outcome: 'no_registrations' };
      const digest = await buildDigest(o.knex, { userId, ...window, language: who.language, zone: who.zone, baseUrl: o.baseUrl });
      if (!digest) return { ...window, queued: 0, outcome: 'nothing_to_send' };
      // Its own key: a scheduled window ending in the same second is still sent.
      const queued = await o.knex.transaction((trx) => queue(trx, userId, digest, to, `digest-now:${userId}:${now}`, now));
      if (queued > 0) o.poke?.();
      return { ...window, queued, outcome: queued > 0 ? 'queued' : 'already_queued' };
    },

    async preview(userId) {
      const now = o.clock.now();
      const stored = await settings.get(userId);
      const { intervalSeconds, nextAt } = stored.digest;
      const anchor = stored.digest.enabled ? nextAt : null;
      // Due already: the window the next look sends. Else the window under way, (anchor − interval, now];
      // before that has begun (a first anchor more than an interval ahead) or when off, the last interval.
      const window =
        (anchor !== null && dueWindow(anchor, intervalSeconds, now)) ||
        (anchor !== null && anchor - intervalSeconds * 1000 < now ? { windowStart: anchor - intervalSeconds * 1000, windowEnd: now } : lastInterval(intervalSeconds, now));
      const who = await reader(userId, stored.digest.timezone);
      if (!who) return null;
      return buildDigest(o.knex, { userId, windowStart: window.windowStart, windowEnd: window.windowEnd, language: who.language, zone: who.zone, baseUrl: o.baseUrl });
    },
  };
}
