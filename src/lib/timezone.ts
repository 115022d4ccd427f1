// IANA time zone names, checked and spelled the canonical way ("asia/shanghai" → "Asia/Shanghai").

/** The canonical name of a time zone, or undefined when there is no such zone. */
export function canonicalTimeZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export function isValidTimeZone(name: string): boolean {
  return canonicalTimeZone(name) !== undefined;
}

/** Every zone this runtime knows, UTC first: the choices of time zone fields. */
export const TIME_ZONES = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')];
