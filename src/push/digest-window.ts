// The digest's clock (SEMANTICS §5). Saving the settings sets the anchor to the next future
// occurrence of `firstAt` in the digest's time zone. Once now ≥ anchor, the window that ends at the
// latest anchor + k·interval ≤ now is due, and the next anchor is one interval after it: after
// downtime one digest covers the most recent complete window, never one per missed window.
import { nextRegularSlot } from '../scheduler/schedule.js';

export type DigestWindow = { windowStart: number; windowEnd: number; nextAnchor: number };

/** The first anchor: the next `firstAt` (HH:MM:SS) in `zone` strictly after `now`. */
export function firstAnchor(firstAt: string, zone: string, now: number): number {
  const next = nextRegularSlot({ type: 'daily', time: firstAt, timezone: zone }, zone, now);
  if (next === null) throw new Error(`no next occurrence of ${firstAt} in ${zone}`);
  return next;
}

/** The window due at `now` for this anchor, or null while the anchor lies ahead. */
export function dueWindow(anchor: number, intervalSeconds: number, now: number): DigestWindow | null {
  if (now < anchor) return null;
  const interval = intervalSeconds * 1000;
  const windowEnd = anchor + Math.floor((now - anchor) / interval) * interval;
  return { windowStart: windowEnd - interval, windowEnd, nextAnchor: windowEnd + interval };
}

/** The window "send now" covers: the last full interval up to now. */
export function lastInterval(intervalSeconds: number, now: number): { windowStart: number; windowEnd: number } {
  return { windowStart: now - intervalSeconds * 1000, windowEnd: now };
}
