// The loop the push dispatcher and the digest job share: one timer that sleeps until the next look
// is worth it (at most `maxSleepMs`: other instances write to the same tables), never two looks at
// once (a look asked for during one runs right after it), and a stop that waits for the look under way.
import type { Logger } from './log.js';

export type TableLoop = {
  start(): void;
  /** No more looks; resolves when the look under way (if any) has ended. */
  stop(): Promise<void>;
  /** Looks now (or right after the look under way) and resolves when that look has ended. */
  tick(): Promise<void>;
  /** Asks for a look soon, without waiting for it. */
  poke(): void;
  running(): boolean;
};

/** `look` does one pass and answers how long to sleep before the next one, in ms. */
export function createTableLoop(o: { look: () => Promise<number>; maxSleepMs: number; log: Logger; name: string }): TableLoop {
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let again = false;
  let on = false;

  function schedule(delayMs: number) {
    if (!on) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), Math.max(0, Math.min(delayMs, o.maxSleepMs)));
  }

  function tick(): Promise<void> {
    if (ticking) {
      again = true;
      return ticking;
    }
    let sleep = o.maxSleepMs;
    ticking = o
      .look()
      .then((s) => void (sleep = s))
      .catch((err) => o.log.error({ err }, `${o.name} tick failed; trying again shortly`))
      .finally(() => {
        ticking = undefined;
        if (again) {
          again = false;
          sleep = 0;
        }
        schedule(sleep);
      });
    return ticking;
  }

  return {
    start() {
      on = true;
      schedule(0);
    },
    async stop() {
      on = false;
      clearTimeout(timer);
      await ticking;
    },
    tick,
    poke: () => schedule(0),
    running: () => on,
  };
}
