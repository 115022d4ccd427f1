// The push dispatcher of one instance, built like the scheduler: one timer that sleeps until the
// earliest queued message is due (at most a second: other instances enqueue too), claims due messages
// with compare-and-set updates, and sends them outside any transaction in a bounded pool — one send at
// a time per registration, so a slow or dead channel holds up only its own messages. Outcomes follow
// SEMANTICS §6: sent; permanent errors fail at once; transient ones wait 30 s, 2 min, 10 min, 1 h, 6 h
// (or the channel's Retry-After when longer) and then fail. Leases bring back what a dead process held.
import type { Logger } from '../lib/log.js';
import type { Clock } from '../lib/clock.js';
import type { Knex } from 'knex';
import type { SecretBox } from '../db/secret-box.js';
import { DeliveryError, memoryCache, type Channel, type PushMessage, type SendContext } from './channel.js';
import { CHANNELS } from './channels/registry.js';
import { outboxRepo, type DueMessage, type Lease } from './outbox-repo.js';
import { REGISTRATION_DISABLED, registrationsRepo } from './registrations-repo.js';
import type { Metrics } from '../ops/metrics.js';
import { createTableLoop } from '../lib/table-loop.js';

/** Waits before the 1st … 5th retry; a message failing its 6th attempt is `failed`. */
export const RETRY_DELAYS_MS = [30_000, 2 * 60_000, 10 * 60_000, 60 * 60_000, 6 * 60 * 60_000] as const;

export type DispatcherOptions = {
  knex: Knex;
  box: SecretBox;
  http: SendContext['http'];
  clock: Clock;
  log: Logger;
  concurrency: number;
  lease: Lease;
  mail?: SendContext['mail'];
  /** Longest sleep between looks at the table. */
  maxSleepMs?: number;
  /** How often (by the clock) the loop gives expired leases back to the queue. */
  reapEveryMs?: number;
  /** Counts deliveries by channel and outcome (Prometheus). */
  metrics?: Pick<Metrics, 'delivery'>;
  /** The channels by type (tests may add one). */
  channels?: Record<string, Channel>;
};

export type Dispatcher = {
  start(): Promise<void>;
  /** Stops claiming, waits up to `graceMs` for sends under way, gives up the leases of the rest. */
  stop(graceMs?: number): Promise<void>;
  /** Look at the outbox now (a message was just enqueued). */
  poke(): void;
  /** Sends everything due now and resolves when the outcomes are recorded (tests; works without start()). */
  drain(): Promise<void>;
  /** Sends under way in this instance. */
  sending(): number;
  /** When the loop last looked at the outbox (for readiness checks). */
  lastTickAt(): number;
};

/** The next attempt after a transient failure of attempt number `attempt` (1-based), or null: give up. */
export function nextAttemptAt(attempt: number, now: number, retryAfterMs?: number): number | null {
  const delay = RETRY_DELAYS_MS[attempt - 1];
  if (delay === undefined) return null;
  return now + Math.max(delay, retryAfterMs ?? 0);
}

export function createDispatcher(o: DispatcherOptions): Dispatcher {
  const maxSleep = o.maxSleepMs ?? 1000;
  const reapEvery = o.reapEveryMs ?? 5000;
  const channels: Record<string, Channel> = o.channels ?? CHANNELS;
  const outbox = outboxRepo(o.knex);
  const registrations = registrationsRepo(o.knex, o.box);
  // Per process, like the access tokens it holds (wecom_app).
  const cache = memoryCache(o.clock);
  const busy = new Set<number>(); // registrations with a send under way here
  const sendingIds = new Set<number>(); // messages claimed here whose outcome is not recorded yet
  const inFlight = new Set<Promise<void>>();
  let heartbeat: NodeJS.Timeout | undefined;
  let stopping = false; // stop() was called: claim nothing more
  let lastTick = 0;
  let lastReap = -Infinity;
  let launched = 0;

  function launch(message: DueMessage) {
    busy.add(message.registrationId);
    sendingIds.add(message.id);
    launched++;
    const job = deliver(message.id)
      .catch((err) => o.log.error({ err, messageId: message.id }, 'recording a push outcome failed; the lease reaper will retry it'))
      .finally(() => {
        inFlight.delete(job);
        busy.delete(message.registrationId);
        sendingIds.delete(message.id);
        loop.poke(); // room again: look for more due messages
      });
    inFlight.add(job);
  }

  /** Sends one claimed message and records the outcome. Never inside a transaction. */
  async function deliver(id: number): Promise<void> {
    const owner = o.lease.owner;
    const message = await outbox.load(id);
    if (!message) return; // its registration was deleted meanwhile
    let registration;
    try {
      registration = await registrations.findById(message.registrationId);
    } catch (err) {
      // The config cannot be decrypted (APP_SECRET changed): no retry can help.
      await outbox.markFailed(id, owner, errorText(err), o.clock.now(), message.registrationId);
      return;
    }
    if (!registration) return;
    if (!registration.enabled) {
      await outbox.markFailed(id, owner, REGISTRATION_DISABLED, o.clock.now());
      return;
    }
    const channel = channels[registration.channel];
    if (!channel) {
      await outbox.markFailed(id, owner, `unknown channel "${registration.channel}"`, o.clock.now(), registration.id);
      return;
    }
    const perMinute = channel.limits.perMinute;
    if (perMinute) {
      const until = await outbox.rateLimitedUntil(registration.id, perMinute, o.clock.now());
      if (until !== null) {
        await outbox.postpone(id, owner, until);
        return;
      }
    }
    const parsed = channel.config.safeParse(registration.config);
    if (!parsed.success) {
      await outbox.markFailed(id, owner, `the registration's settings are not valid: ${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`, o.clock.now(), registration.id);
      return;
    }
    const push: PushMessage = {
      id: `msg_${message.id}`,
      event: message.event,
      title: message.title,
      body: message.body,
      ...(message.html ? { html: message.html } : {}),
      data: message.data ?? undefined,
      url: typeof message.data?.url === 'string' ? message.data.url : undefined,
      at: message.createdAt,
    };
    const ctx: SendContext = { http: o.http, clock: o.clock, cache, mail: o.mail, accountEmail: message.accountEmail };
    try {
      await channel.send(push, parsed.data, ctx);
    } catch (err) {
      const now = o.clock.now();
      const delivery = err instanceof DeliveryError;
      if (!delivery) o.log.warn({ err, messageId: id, channel: registration.channel }, 'a push channel threw something other than a DeliveryError');
      const text = shortError(delivery ? err.message : `unexpected error: ${errorText(err)}`);
      const retryAt = delivery && err.permanent ? null : nextAttemptAt(message.attempts, now, delivery ? err.retryAfterMs : undefined);
      if (retryAt === null) await outbox.markFailed(id, owner, text, now, registration.id);
      else await outbox.retryAt(id, owner, retryAt, text);
      o.metrics?.delivery(registration.channel, retryAt === null ? 'failed' : 'retry');
      o.log.warn({ messageId: id, registrationId: registration.id, channel: registration.channel, attempt: message.attempts, retryAt, ...(message.requestId ? { reqId: message.requestId } : {}) }, retryAt === null ? 'push failed' : 'push will be retried');
      return;
    }
    const sentAt = o.clock.now();
    await outbox.markSent(id, owner, registration.id, sentAt);
    o.metrics?.delivery(registration.channel, 'sent', sentAt - message.createdAt);
    o.log.info({ messageId: id, registrationId: registration.id, channel: registration.channel, attempt: message.attempts, ...(message.requestId ? { reqId: message.requestId } : {}) }, 'push sent');
  }

  async function look(): Promise<number> {
    let sleep = maxSleep;
    const now = o.clock.now();
    lastTick = now;
    if (now - lastReap >= reapEvery) {
      lastReap = now;
      const reaped = await outbox.reapExpired(now);
      if (reaped > 0) o.log.warn({ reaped }, 'push messages of a stopped process are queued again');
    }
    const room = o.concurrency - inFlight.size;
    if (room > 0) {
      const due = await outbox.due(now, room * 4, [...busy]);
      let started = 0;
      for (const message of due) {
        if (started >= room || stopping) break;
        if (busy.has(message.registrationId)) continue; // the one before it of this registration is being sent
        if (await outbox.claim(message.id, o.clock.now(), o.lease)) {
          launch(message);
          started++;
        }
      }
      if (due.length >= room * 4) sleep = 0;
    }
    // Due messages left unclaimed wait for a send to end (which wakes the loop), not for the clock.
    const earliest = await outbox.earliest(now);
    if (earliest !== null) sleep = Math.min(sleep, earliest - o.clock.now());
    if (inFlight.size >= o.concurrency) sleep = maxSleep; // full: a finishing send wakes us
    return sleep;
  }

  const loop = createTableLoop({ look, maxSleepMs: maxSleep, log: o.log, name: 'push dispatcher' });

  return {
    async start() {
      stopping = false;
      heartbeat = setInterval(() => {
        outbox.heartbeat(o.lease.owner, [...sendingIds], o.clock.now(), o.lease.ms).catch((err) => o.log.error({ err }, 'push lease heartbeat failed'));
      }, Math.max(1000, Math.floor(o.lease.ms / 3)));
      heartbeat.unref();
      loop.start();
    },

    async stop(graceMs = 30_000) {
      stopping = true;
      const deadline = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([loop.stop().then(() => Promise.allSettled([...inFlight])), deadline]);
      clearInterval(heartbeat);
      if (inFlight.size > 0) {
        const released = await outbox.releaseLeases(o.lease.owner, o.clock.now());
        o.log.warn({ released }, 'stopped with pushes under way; their leases were released');
      }
    },

    poke: loop.poke,

    async drain() {
      for (;;) {
        const before = launched;
        await loop.tick();
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        if (launched === before) return;
      }
    },

    sending: () => inFlight.size,
    lastTickAt: () => lastTick,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What the history shows: the error, cut to a length any TEXT column takes. */
function shortError(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
