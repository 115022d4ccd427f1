// The state of one run: variables as they change, the cookie jar, counters and limits.
import { CookieJar, cookiesFor } from '../lib/http.js';
import type { ApiUtilSettings } from './api-util.js';
import { renderTemplate } from '../lib/jinja.js';
import type { Clock } from '../lib/clock.js';
import type { HttpClient } from './engine.js';

/** QD's cap: a run stops after this many requests (loops included). */
export const MAX_REQUESTS_PER_RUN = 1500;

export class RunContext {
  readonly cookieJar = new CookieJar();
  readonly persist: Record<string, string> = {};
  private requests = 0;

  constructor(
    readonly variables: Record<string, unknown>,
    readonly http: HttpClient,
    readonly clock: Clock,
    readonly proxy: string | undefined,
    readonly signal: AbortSignal | undefined,
    /** How api://util steps answer here: the delay cap, the server's time zone. */
    readonly apiUtil: ApiUtilSettings = {},
  ) {}

  render(source: string): string {
    return renderTemplate(source, this.variables, { now: () => new Date(this.clock.now()) });
  }

  /** The cookies the jar holds for `url`, as a Cookie header ('' for none). */
  cookiesFor(url: string): Promise<string> {
    return cookiesFor(this.cookieJar, url);
  }

  countRequest(): void {
    this.requests += 1;
    if (this.requests > MAX_REQUESTS_PER_RUN) throw new RunLimitError(`the run stopped after ${MAX_REQUESTS_PER_RUN} requests`);
  }
}

export class RunLimitError extends Error {}
