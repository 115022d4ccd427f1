// The site process: the HTTP server the tasks GET and the webhooks POST to (a plain node:http
// server in its own process, so its work is not counted in the scheduler's or the dispatcher's).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHILD_ENTRY } from './processes.js';

/**
 * GET /ping answers "ok". POST /hook answers 200, and with ?fail=half 503 to the first attempt of
 * every other message (even webhook-id numbers), so each of those is sent twice.
 */
export function siteProcess() {
  const attempted = new Set<string>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/hook')) {
        const id = String(req.headers['webhook-id'] ?? '');
        const n = Number(id.replace(/^msg_/, ''));
        // Per URL (it names the run): another database numbers its messages from 1 again.
        const key = `${req.url} ${id}`;
        if (req.url.includes('fail=half') && n % 2 === 0 && !attempted.has(key)) {
          attempted.add(key);
          res.writeHead(503).end('busy');
          return;
        }
      }
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
}

export async function startSite(): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(CHILD_ENTRY, ['--role=site'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { url: `http://127.0.0.1:${message.port}`, child };
}
