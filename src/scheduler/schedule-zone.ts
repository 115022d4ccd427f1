// Wall-clock time in an IANA zone, and SEMANTICS §2's DST rule applied to it. Schedules are matched
// on "floating" local time (the zone's wall-clock reading, stored as if it were UTC: 02:30 local is
// Date.UTC(…, 2, 30)); each matching reading then becomes one instant:
// - a reading that happens once is that instant;
// - a reading that fall-back repeats is its FIRST occurrence only (so it runs once);
// - a reading that spring-forward skips is the instant of the jump (so it runs right after, and
//   several skipped readings, e.g. 02:00 02:15 02:30 02:45 of a `*/15`, become one run).
// This holds for every expression, so a `* * * * *` runs each wall-clock minute of a fall-back
// night once: 01:00–01:59 in summer time, then nothing until 02:00 in standard time.

const DAY_MS = 24 * 3600 * 1000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    // Throws RangeError for a zone Intl does not know.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

// What the formatter above writes: "11/21/2026, 14:38:06".
const READING = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;

/** The wall-clock reading in `tz` at instant `t`, as floating ms. */
export function wallClock(t: number, tz: string): number {
  return t + offsetAt(t, tz);
}

const HOUR_MS = 3600 * 1000;
/** Per zone and UTC hour, the offset that holds through all of it (read at both ends and equal). */
const hourOffsets = new Map<string, number>();
const HOUR_OFFSETS_KEPT = 50_000;

/**
 * The zone's UTC offset at `t`. A slot takes a dozen readings, each a formatter call of ~15 µs, so
 * offsets are kept per hour: when the offset at an hour's first and last millisecond agree, it holds
 * through the hour (transitions are months apart, never two within an hour). An hour with a
 * transition in it is read instant by instant.
 */
function offsetAt(t: number, tz: string): number {
  const hour = Math.floor(t / HOUR_MS);
  const key = `${tz} ${hour}`;
  const known = hourOffsets.get(key);
  if (known !== undefined) return known;
  const start = hour * HOUR_MS;
  const atStart = readClock(start, tz) - start;
  const atEnd = readClock(start + HOUR_MS - 1, tz) - (start + HOUR_MS - 1);
  if (atStart !== atEnd) return readClock(t, tz) - t;
  if (hourOffsets.size >= HOUR_OFFSETS_KEPT) hourOffsets.clear();
  hourOffsets.set(key, atStart);
  return atStart;
}

/** The wall-clock reading in `tz` at instant `t`, from the formatter itself. */
function readClock(t: number, tz: string): number {
  const ms = ((t % 1000) + 1000) % 1000;
  // A slot takes a dozen readings, and format() plus a regex costs a fifth of formatToParts();
  // the parts remain the fallback for any text that does not look as expected.
  const m = READING.exec(formatter(tz).format(t));
  if (m) return Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  const part: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(t)) part[p.type] = p.value;
  return Date.UTC(Number(part.year), Number(part.month) - 1, Number(part.day), Number(part.hour), Number(part.minute), Number(part.second), ms);
}

/** The first instant in (lo, hi] whose UTC offset differs from the one at `lo`. */
function transitionAfter(lo: number, hi: number, tz: string): number {
  const before = offsetAt(lo, tz);
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offsetAt(mid, tz) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The instant a floating reading stands for (see the rules at the top). */
export function toInstant(local: number, tz: string): number {
  // Offsets a day either side: DST transitions are months apart, so at most one lies between.
  const early = offsetAt(local - DAY_MS, tz);
  const late = offsetAt(local + DAY_MS, tz);
  const candidates = [local - early, local - late].filter((t) => wallClock(t, tz) === local);
  if (candidates.length > 0) return Math.min(...candidates);
  // No instant shows this reading: it lies in a gap, which ends at the transition.
  return late > early ? transitionAfter(local - late, local - early, tz) : local - early;
}

/**
 * The first instant strictly after `after` that some matching reading stands for. `nextMatch`
 * returns the first matching floating reading strictly after its argument, or null for none.
 */
export function nextZonedSlot(nextMatch: (afterLocal: number) => number | null, tz: string, after: number): number | null {
  let cursor = wallClock(after, tz);
  const firstOccurrence = toInstant(cursor, tz);
  if (firstOccurrence < after) {
    // `after` is in the repeated hour of a fall-back. Every reading up to the end of that hour
    // already happened (its first occurrence is earlier), so carry on from the end of the overlap.
    const transition = transitionAfter(firstOccurrence, after, tz);
    cursor = transition + offsetAt(firstOccurrence, tz) - 1;
  }
  // The instants are non-decreasing in the readings, so the first reading past the cursor whose
  // instant is later than `after` is the answer. One round is enough given the jump above; the
  // loop is a guard for zones with unusual transitions.
  for (let guard = 0; guard < 10_000; guard++) {
    const local = nextMatch(cursor);
    if (local === null) return null;
    const at = toInstant(local, tz);
    if (at > after) return at;
    cursor = local;
  }
  throw new Error(`no schedule slot found after ${new Date(after).toISOString()} in ${tz}`);
}
