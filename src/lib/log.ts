// Structured logs: one JSON line per event.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, format: 'json' | 'pretty' = 'json'): Logger {
  return pino({
    level,
    // pretty: for a person at a terminal (pino-pretty in a worker thread); json for everything else.
    ...(format === 'pretty' ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
    base: undefined,
    // Belt and braces: these never belong in a log line, whatever code logs them.
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'cookie', '*.cookie'],
      censor: '[redacted]',
    },
  });
}

/** For tests and tools that want no output. */
export const silentLogger: Logger = pino({ level: 'silent' });
