// QD's /util/timestamp: a timestamp (now, `ts`, or `dt` read with the `form` format) shown in the
// server's local time, Beijing time, GMT and ISO. Python's datetime.fromtimestamp, strftime (glibc,
// C locale) and strptime, over IANA zones through Intl.
import { PyError, PyFloat, pyIntOfFloat, pyParseFloat, pyReprText, type RequestArguments } from './python.js';
import { pythonDict, type Answer } from './text.js';

export type TimestampEnv = { nowMs: number; localTimeZone: string };

const GMT_FORMAT = '%a, %d %b %Y %H:%M:%S GMT';
const DEFAULT_FORMAT = '%Y-%m-%d %H:%M:%S';

export function timestamp(args: RequestArguments, env: TimestampEnv): Answer {
  return pythonDict((rtv) => {
    const dt = args.get('dt', '');
    const format = args.get('form', DEFAULT_FORMAT) || DEFAULT_FORMAT;
    const ts: string | number = dt ? strptime(dt, format, env.localTimeZone) : args.get('ts', '');
    // QD tests `if ts:`, so a dt at the epoch's very second reads as "no timestamp" and shows now.
    const given = ts !== '' && ts !== 0;
    const full = !given ? env.nowMs / 1000 : typeof ts === 'number' ? ts : pyParseFloat(ts);
    const local = () => wallTime(full, env.localTimeZone, false);
    rtv['完整时间戳'] = new PyFloat(full);
    rtv['时间戳'] = pyIntOfFloat(full);
    rtv['16位时间戳'] = pyIntOfFloat(full * 1_000_000);
    if (!given) rtv['本机时间'] = strftime(local(), format, env.localTimeZone);
    rtv['周'] = strftime(local(), '%w/%W', env.localTimeZone);
    rtv['日'] = `${strftime(local(), '%j', env.localTimeZone)}/${isLeap(local().year) ? 366 : 365}`;
    rtv['北京时间'] = strftime(wallTime(full, 'Asia/Shanghai', true), format, env.localTimeZone);
    const utc = wallTime(full, 'UTC', true);
    rtv['GMT格式'] = strftime(utc, GMT_FORMAT, env.localTimeZone);
    rtv['ISO格式'] = `${isoFormat(utc)}Z`;
    rtv['状态'] = '200';
  });
}

/** A datetime's fields; `offsetMinutes` is null for a naive one (fromtimestamp without a zone). */
export type Wall = {
  year: number; month: number; day: number; hour: number; minute: number; second: number; micro: number;
  weekday: number; // 0 = Sunday
  yday: number; // 1-based
  offsetMinutes: number | null;
  zoneName: string;
};

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsIn(ms: number, zone: string): Record<string, number> {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short' });
    formatters.set(zone, f);
  }
  const out: Record<string, number> = {};
  let bc = false;
  for (const p of f.formatToParts(ms)) {
    if (p.type === 'era') bc = p.value === 'BC';
    else if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  if (bc) out.year = 1 - out.year!;
  return out;
}

const utcMs = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => {
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  date.setUTCFullYear(y); // Date.UTC reads years 0–99 as 1900–1999
  return date.getTime();
};

/** The zone's offset from UTC at an instant, in minutes. */
function offsetAt(ms: number, zone: string): number {
  const p = partsIn(ms, zone);
  return Math.round((utcMs(p.year!, p.month!, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** datetime.fromtimestamp(ts, zone): microseconds rounded half to even, Python's range errors. */
export function wallTime(ts: number, zone: string, aware: boolean): Wall {
  if (!Number.isFinite(ts)) throw new PyError(Number.isNaN(ts) ? 'Invalid value NaN (not a number)' : 'cannot convert float infinity to integer');
  let seconds = Math.trunc(ts);
  let micro = roundHalfEven((ts - seconds) * 1e6);
  if (micro >= 1_000_000) [seconds, micro] = [seconds + 1, micro - 1_000_000];
  else if (micro < 0) [seconds, micro] = [seconds - 1, micro + 1_000_000];
  if (Math.abs(seconds) > 8.64e12) throw new PyError('timestamp out of range for platform time_t');
  const p = partsIn(seconds * 1000, zone);
  if (p.year! < 1 || p.year! > 9999) throw new PyError(`year ${p.year} is out of range`);
  const dayStart = utcMs(p.year!, p.month!, p.day!);
  return {
    year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second!, micro,
    weekday: new Date(dayStart).getUTCDay(),
    yday: Math.round((dayStart - utcMs(p.year!, 1, 1)) / 86_400_000) + 1,
    offsetMinutes: aware ? offsetAt(seconds * 1000, zone) : null,
    zoneName: aware ? ({ 'Asia/Shanghai': 'CST', UTC: 'UTC' } as Record<string, string>)[zone] ?? zone : '',
  };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pad = (n: number, width = 2, fill = '0') => String(n).padStart(width, fill);

/** The ISO 8601 week-based year and week of a date. */
function isoWeek(w: Wall): { year: number; week: number } {
  const isoDay = (w.weekday + 6) % 7; // Monday 0
  const week = Math.floor((w.yday - 1 - isoDay + 10) / 7);
  if (week < 1) {
    const prev = w.year - 1;
    const dec31 = { ...w, year: prev, yday: isLeap(prev) ? 366 : 365, weekday: (w.weekday - w.yday % 7 + 7) % 7 };
    return { year: prev, week: isoWeek(dec31).week };
  }
  const daysInYear = isLeap(w.year) ? 366 : 365;
  if (week === 53 && daysInYear - w.yday < 3 - isoDay) return { year: w.year + 1, week: 1 };
  return { year: w.year, week };
}

/** datetime.strftime on Linux: Python's own %f %z %Z, glibc's C-locale directives and flags (- _ 0). */
export function strftime(w: Wall, format: string, localTimeZone: string): string {
  return format.replace(/%([-_0^#]?)([a-zA-Z%]|$)/g, (whole, flag: string, d: string) => {
    const num = (n: number, width: number, fill = '0') => (flag === '-' ? String(n) : flag === '_' ? pad(n, width, ' ') : flag === '0' ? pad(n, width) : pad(n, width, fill));
    const hour12 = w.hour % 12 || 12;
    switch (d) {
      case 'a': return DAYS[w.weekday]!.slice(0, 3);
      case 'A': return DAYS[w.weekday]!;
      case 'b': case 'h': return MONTHS[w.month - 1]!.slice(0, 3);
      case 'B': return MONTHS[w.month - 1]!;
      case 'c': return strftime(w, '%a %b %e %H:%M:%S %Y', localTimeZone);
      case 'C': return num(Math.floor(w.year / 100), 2);
      case 'd': return num(w.day, 2);
      case 'D': case 'x': return strftime(w, '%m/%d/%y', localTimeZone);
      case 'e': return num(w.day, 2, ' ');
      case 'F': return strftime(w, '%Y-%m-%d', localTimeZone);
      case 'f': return pad(w.micro, 6);
      case 'G': return String(isoWeek(w).year);
      case 'g': return num(isoWeek(w).year % 100, 2);
      case 'H': return num(w.hour, 2);
      case 'I': return num(hour12, 2);
      case 'j': return num(w.yday, 3);
      case 'k': return num(w.hour, 2, ' ');
      case 'l': return num(hour12, 2, ' ');
      case 'm': return num(w.month, 2);
      case 'M': return num(w.minute, 2);
      case 'n': return '\n';
      case 'p': return w.hour < 12 ? 'AM' : 'PM';
      case 'P': return w.hour < 12 ? 'am' : 'pm';
      case 'r': return strftime(w, '%I:%M:%S %p', localTimeZone);
      case 'R': return strftime(w, '%H:%M', localTimeZone);
      case 's': return String(epochOfWall(w, localTimeZone)); // glibc reads the fields as local time
      case 'S': return num(w.second, 2);
      case 't': return '\t';
      case 'T': case 'X': return strftime(w, '%H:%M:%S', localTimeZone);
      case 'u': return String(w.weekday || 7);
      case 'U': return num(Math.floor((w.yday - 1 + 7 - w.weekday) / 7), 2);
      case 'V': return num(isoWeek(w).week, 2);
      case 'w': return String(w.weekday);
      case 'W': return num(Math.floor((w.yday - 1 + 7 - ((w.weekday + 6) % 7)) / 7), 2);
      case 'y': return num(w.year % 100, 2);
      case 'Y': return String(w.year);
      case 'z': {
        if (w.offsetMinutes === null) return '';
        const m = Math.abs(w.offsetMinutes);
        return `${w.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(m / 60))}${pad(m % 60)}`;
      }
      case 'Z': return w.zoneName;
      case '%': return '%';
      case '': return '%';
      default: return whole; // glibc copies an unknown directive as it is
    }
  });
}

/** datetime.isoformat() without the offset: microseconds only when there are some. */
function isoFormat(w: Wall): string {
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${w.micro ? `.${pad(w.micro, 6)}` : ''}`;
}

/** Naive local fields → the instant (Python's .timestamp() on a naive datetime: local time, fold 0). */
function epochOfWall(w: Pick<Wall, 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'>, zone: string): number {
  const asUtc = utcMs(w.year, w.month, w.day, w.hour, w.minute, w.second);
  const first = asUtc - offsetAt(asUtc, zone) * 60_000;
  return (asUtc - offsetAt(first, zone) * 60_000) / 1000;
}

const MONTH_RE = `(${MONTHS.join('|')}|${MONTHS.map((m) => m.slice(0, 3)).join('|')})`;
const DAY_RE = `(${DAYS.join('|')}|${DAYS.map((d) => d.slice(0, 3)).join('|')})`;
// _strptime's patterns, C locale.
const DIRECTIVES: Record<string, string> = {
  d: '(3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])', f: '([0-9]{1,6})', H: '(2[0-3]|[0-1]\\d|\\d)', I: '(1[0-2]|0[1-9]|[1-9])',
  j: '(36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])', m: '(1[0-2]|0[1-9]|[1-9])', M: '([0-5]\\d|\\d)',
  S: '(6[0-1]|[0-5]\\d|\\d)', w: '([0-6])', u: '([1-7])', y: '(\\d\\d)', Y: '(\\d\\d\\d\\d)', p: '(am|pm)',
  z: '([+-]\\d\\d:?[0-5]\\d(?::?[0-5]\\d(?:\\.\\d{1,6})?)?|Z)', b: MONTH_RE, B: MONTH_RE, h: MONTH_RE, a: DAY_RE, A: DAY_RE,
  U: '(5[0-3]|[0-4]\\d|\\d)', W: '(5[0-3]|[0-4]\\d|\\d)', '%': '(%)',
};

/** datetime.strptime(text, format).timestamp(): the supported directives are _strptime's common ones. */
export function strptime(text: string, format: string, localTimeZone: string): number {
  const kinds: string[] = [];
  let source = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '%') {
      const d = format[i + 1];
      if (d === undefined) throw new PyError(`stray % in format ${pyReprText(format)}`);
      if (!DIRECTIVES[d]) throw new PyError(`${pyReprText(d)} is a bad directive in format ${pyReprText(format)}`);
      source += DIRECTIVES[d];
      kinds.push(d);
      i += 1;
    } else if (/\s/.test(c)) {
      while (/\s/.test(format[i + 1] ?? '')) i++;
      source += '\\s+';
    } else {
      source += c.replace(/[\\.^$*+?()[\]{}|/]/g, '\\$&');
    }
  }
  const found = new RegExp(`^${source}`, 'i').exec(text);
  if (!found) throw new PyError(`time data ${pyReprText(text)} does not match format ${pyReprText(format)}`);
  if (found[0].length !== text.length) throw new PyError(`unconverted data remains: ${text.slice(found[0].length)}`);
  let year = 1900, month = 1, day = 1, hour = 0, minute = 0, second = 0, micro = 0, yday = 0, pm: boolean | undefined;
  let offset: number | undefined;
  kinds.forEach((d, k) => {
    const v = found[k + 1]!;
    const lower = v.toLowerCase();
    if (d === 'Y') year = Number(v);
    else if (d === 'y') year = Number(v) + (Number(v) <= 68 ? 2000 : 1900);
    else if (d === 'm') month = Number(v);
    else if (d === 'b' || d === 'B' || d === 'h') month = MONTHS.findIndex((m) => m.toLowerCase().startsWith(lower.slice(0, 3))) + 1;
    else if (d === 'd') day = Number(v);
    else if (d === 'H') hour = Number(v);
    else if (d === 'I') hour = Number(v) % 12;
    else if (d === 'M') minute = Number(v);
    else if (d === 'S') second = Number(v);
    else if (d === 'f') micro = Number(v.padEnd(6, '0'));
    else if (d === 'j') yday = Number(v);
    else if (d === 'p') pm = lower === 'pm';
    else if (d === 'z') offset = v.toUpperCase() === 'Z' ? 0 : zOffsetSeconds(v);
  });
  if (pm !== undefined && kinds.includes('I')) hour += pm ? 12 : 0;
  if (kinds.includes('j')) { // as _strptime: a day of the year wins over month and day
    const date = new Date(utcMs(year, 1, 1) + (yday - 1) * 86_400_000);
    [month, day] = [date.getUTCMonth() + 1, date.getUTCDate()];
  }
  const daysIn = month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (day > daysIn) throw new PyError('day is out of range for month');
  if (second > 59) throw new PyError('second must be in 0..59');
  const wall = { year, month, day, hour, minute, second };
  const whole = offset === undefined ? epochOfWall(wall, localTimeZone) : utcMs(year, month, day, hour, minute, second) / 1000 - offset;
  return whole + micro / 1e6;
}

function zOffsetSeconds(v: string): number {
  const digits = v.replace(/:/g, '');
  const seconds = Number(digits.slice(1, 3)) * 3600 + Number(digits.slice(3, 5)) * 60 + Number(digits.slice(5) || 0);
  return v.startsWith('-') ? -seconds : seconds;
}
