// Starts the real app on port 0 against a real test database.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.js';
import { createServices, type Services } from '../../src/services.js';
import { parseConfig, type Config } from '../../src/config.js';
import { silentLogger } from '../../src/lib/log.js';
import type { Clock } from '../../src/lib/clock.js';
import type { Dialect } from '../../src/db/knex.js';
import { createTestDatabase, type TestDatabase } from './db.js';

/** `services`: the ones the app runs with (enqueue push messages, drain the dispatcher). */
export type TestApp = { url: string; config: Config; database: TestDatabase; services: Services; close(): Promise<void> };

export const TEST_SECRET = 'test-secret-that-is-long-enough-0123456789';

export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return parseConfig({ NODE_ENV: 'test', APP_SECRET: TEST_SECRET, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ...env });
}

export async function startTestApp(dialect: Dialect, options: { env?: Record<string, string>; clock?: Clock } = {}): Promise<TestApp> {
  const database = await createTestDatabase(dialect);
  const config = testConfig(database.url, options.env);
  const services = createServices({ config, db: database.db, clock: options.clock, log: silentLogger });
  const app = createApp({ config, db: database.db, log: silentLogger, clock: options.clock, services });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    database,
    services,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      services.mailer?.close();
      await database.drop();
    },
  };
}
