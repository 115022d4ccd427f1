// Local servers for the HTTP client's tests: a recording origin (http or https), a self-signed
// certificate made with the openssl CLI, and a tiny forward proxy. All listen on 127.0.0.1 port 0.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer };
export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

export type TestServer = {
  url: string;
  port: number;
  /** Every request that reached the server, in order. */
  seen: Seen[];
  /** Every TCP connection accepted (to see that connections are reused, or never made). */
  connections: number;
  /** Connections open right now. */
  open: number;
  close(): Promise<void>;
};

async function listen(server: http.Server | net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

async function shut(server: http.Server | net.Server, sockets: Set<net.Socket>) {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** An origin server that records each request (body included) and then calls `handler`. */
export async function startServer(handler: Handler, tls?: { key: string; cert: string }): Promise<TestServer> {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  const state = { connections: 0 };
  server.on(tls ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    seen,
    get connections() {
      return state.connections;
    },
    get open() {
      return sockets.size;
    },
    close: () => shut(server, sockets),
  };
}

/** A self-signed certificate for 127.0.0.1 and localhost, made fresh in a temp dir. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-http-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export type TestProxy = {
  url: string;
  port: number;
  /** "GET http://host/path" for forwarded requests, "CONNECT host:port" for tunnels. */
  lines: string[];
  /** The Proxy-Authorization header of each of those, when sent. */
  auth: (string | undefined)[];
  close(): Promise<void>;
};

/**
 * A forward proxy: absolute-form requests for http targets, CONNECT tunnels for https. It only ever
 * connects to 127.0.0.1, whatever the request names, so a test that goes wrong cannot leave loopback.
 * With `forward: false` it answers 502 to everything and connects nowhere.
 */
export async function startProxy(options: { forward: boolean } = { forward: true }): Promise<TestProxy> {
  const lines: string[] = [];
  const auth: (string | undefined)[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    lines.push(`${req.method} ${req.url}`);
    auth.push(req.headers['proxy-authorization']);
    const target = URL.canParse(req.url ?? '') ? new URL(req.url!) : undefined;
    if (!options.forward || !target || target.hostname !== '127.0.0.1') {
      res.writeHead(502).end('not forwarded');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = http.request({ host: '127.0.0.1', port: target.port, method: req.method, path: target.pathname + target.search, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.rawHeaders);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    lines.push(`CONNECT ${req.url}`);
    auth.push(req.headers['proxy-authorization']);
    sockets.add(client);
    const [host, port] = (req.url ?? '').split(':');
    if (!options.forward || host !== '127.0.0.1') {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(port), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, lines, auth, close: () => shut(server, sockets) };
}

/** A TCP server that accepts connections and never answers (for timeouts). */
export async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, close: () => shut(server, sockets) };
}

/** A port on 127.0.0.1 with nothing listening (taken, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
