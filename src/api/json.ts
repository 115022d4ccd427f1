// Shared helpers for JSON responses: times are ISO-8601 strings in UTC.
export const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());
