// Structured logs: one JSON line per event; the request id of a click is on the lines of the run it
// caused; no secret (variables, tokens) appears in any line.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApp } from '../../src/app.js';
import { createServices } from '../../src/services.js';
import { createLogger } from '../../src/lib/log.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { testConfig } from '../helpers/app.js';
import { api, userWithToken } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';
import { startPushReceiver, type PushReceiver } from '../helpers/push-receiver.js';

describe('structured logs', () => {
  let database: TestDatabase;
  let server: http.Server;
  let site: TestServer;
  let url: string;
  let services: ReturnType<typeof createServices>;
  let hook: PushReceiver;
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    database = await createTestDatabase('sqlite');
    site = await startServer((_req, res) => res.writeHead(200).end('ok'));
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const log = createLogger('info', 'json', sink);
    const config = testConfig(database.url, { ALLOW_PRIVATE_NETWORK: 'true' });
    services = createServices({ config, db: database.db, log });
    hook = await startPushReceiver();
    server = http.createServer(createApp({ config, db: database.db, log, services }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await site.close();
    await hook.close();
    await database.drop();
  });

  it('carries the request id into the run a click caused, and logs no secret', async () => {
    const ada = await userWithToken(url, 'ada-logs@example.com');
    const template = await api(url, 'POST', '/templates', {
      token: ada.token,
      body: { name: 't', variables: [{ name: 'cookie', secret: true }], steps: [{ method: 'GET', url: `${site.url}/?c={{ cookie }}` }] },
    });
    const task = await api(url, 'POST', '/tasks', { token: ada.token, body: { templateId: template.body.id, name: 'x', variables: { cookie: 'very-secret-cookie-value' } } });
    hook.answer({ status: 204 });
    await api(url, 'POST', '/push/registrations', { token: ada.token, body: { channel: 'webhook', name: 'h', config: { url: `${hook.url}/h`, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } } });
    await api(url, 'PUT', '/push/settings', { token: ada.token, body: { defaults: { manualSuccess: true } } });
    const res = await fetch(`${url}/api/v1/tasks/${task.body.id}/run`, { method: 'POST', headers: { authorization: `Bearer ${ada.token}` } });
    assert.equal(res.status, 200);
    const requestId = res.headers.get('x-request-id');
    assert.ok(requestId);
    const run = lines.find((l) => l.msg === 'run finished' && l.taskId === task.body.id);
    assert.ok(run, 'a line for the finished run');
    assert.equal(run.reqId, requestId);
    assert.equal(run.status, 'success');
    const request = lines.find((l) => l.msg === 'request completed' && (l.req as { id?: string } | undefined)?.id === requestId);
    assert.ok(request, 'the request line has the same id');
    // The push that run queued is sent later, outside the request, and its line still names the click.
    await services.dispatcher.drain();
    const push = lines.find((l) => l.msg === 'push sent');
    assert.ok(push, 'a line for the delivery');
    assert.equal(push.reqId, requestId);
    const all = JSON.stringify(lines);
    assert.ok(!all.includes('very-secret-cookie-value'), 'no variable value');
    assert.ok(!all.includes(ada.token), 'no token');
  });
});
