// Structured logs: one JSON line per event. A line written while a request is being handled carries
// that request's id (reqId), so the runs and pushes a click causes can be found from its log line.
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type Logger } from 'pino';

export type { Logger };

const requestContext = new AsyncLocalStorage<{ reqId: string }>();

/** Runs `fn` (the rest of a request's handling) with its request id attached to every log line. */
export function withRequestId<T>(reqId: string, fn: () => T): T {
  return requestContext.run({ reqId }, fn);
}

/** The id of the request being handled, if any. */
export const currentRequestId = (): string | undefined => requestContext.getStore()?.reqId;

/** The process's logger; `destination` is for tests that read the lines. */
export function createLogger(level: string, format: 'json' | 'pretty' = 'json', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    // pretty: for a person at a terminal (pino-pretty in a worker thread); json for everything else.
    ...(format === 'pretty' ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
    base: undefined,
    mixin: () => {
      const reqId = currentRequestId();
      return reqId ? { reqId } : {};
    },
    // Belt and braces: these never belong in a log line, whatever code logs them.
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'cookie', '*.cookie'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** For tests and tools that want no output. */
export const silentLogger: Logger = pino({ level: 'silent' });
