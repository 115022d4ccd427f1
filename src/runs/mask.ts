// Secret values never reach storage or the browser: every stored string of a run is masked.
import type { RunOutcome, StepRecord } from './types.js';

export const MASK = '••••';

// Shorter values would mask innocent text everywhere ("1" in every status code).
const MIN_MASKED_LENGTH = 3;

/** The masker when there is nothing to mask. */
const unchanged = (text: string) => text;

/** Replaces each secret, also in the encodings it travels in (URL and form encoding). */
export function createMasker(secrets: Iterable<string>): (text: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length < MIN_MASKED_LENGTH) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(encodeURIComponent(s).replace(/%20/g, '+'));
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  // Longest first, so that a secret containing another is masked whole.
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return unchanged;
  return (text) => {
    let out = text;
    // Most strings hold no secret: a search is cheaper than splitting every one.
    for (const form of ordered) if (out.includes(form)) out = out.split(form).join(MASK);
    return out;
  };
}

function maskRecord(r: StepRecord, mask: (t: string) => string): StepRecord {
  const maskMap = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, mask(v)]));
  return {
    ...r,
    url: mask(r.url),
    error: r.error === undefined ? undefined : mask(r.error),
    requestHeaders: maskMap(r.requestHeaders),
    requestBody: r.requestBody === undefined ? undefined : mask(r.requestBody),
    responseHeaders: maskMap(r.responseHeaders),
    responseBody: r.responseBody === undefined ? undefined : mask(r.responseBody),
    extracted: maskMap(r.extracted),
    notes: r.notes.map(mask),
  };
}

export function maskOutcome(outcome: RunOutcome, secrets: Iterable<string>): RunOutcome {
  const mask = createMasker(secrets);
  if (mask === unchanged) return outcome; // most tasks have no secrets: no copy of every string
  return {
    ...outcome,
    log: outcome.log === null ? null : mask(outcome.log),
    error: outcome.error === null ? null : mask(outcome.error),
    steps: outcome.steps.map((r) => maskRecord(r, mask)),
  };
}
