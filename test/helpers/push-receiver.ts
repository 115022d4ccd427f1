// A fake push provider for the channel tests: a recording HTTP server on 127.0.0.1 port 0 whose
// answers are programmed per request (status, body, headers), so each test states what the provider
// says and asserts on exactly what the channel sent. Also: a SendContext with a fixed clock, a sample
// message, and `deliveryError` to catch what a send throws.
import { before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { DeliveryError, memoryCache, type PushMessage, type SendContext } from '../../src/push/channel.js';
import { startServer } from './http-servers.js';
import { createHttpClient, type HttpClient } from '../../src/lib/http.js';

export type Answer = { status?: number; body?: unknown; headers?: Record<string, string> };

export type Received = {
  method: string;
  /** Path and query exactly as sent. */
  url: string;
  /** The path without the query. */
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** The body as UTF-8 text. */
  text: string;
  /** The body parsed as JSON (throws when it is not JSON). */
  json(): unknown;
};

export type PushReceiver = {
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: Received[];
  /** The last request received (fails the test when there was none). */
  last(): Received;
  /** Answers the following requests with `answer` (a function sees each request); the default is 200 `{}`. */
  answer(answer: Answer | ((req: Received) => Answer)): void;
  close(): Promise<void>;
};

export async function startPushReceiver(): Promise<PushReceiver> {
  const requests: Received[] = [];
  let answer: Answer | ((req: Received) => Answer) = { status: 200, body: {} };
  const server = await startServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const text = body.toString('utf8');
    const received: Received = {
      method: req.method ?? '',
      url: req.url ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      text,
      json: () => JSON.parse(text) as unknown,
    };
    requests.push(received);
    const { status = 200, body: out = '', headers = {} } = typeof answer === 'function' ? answer(received) : answer;
    const isText = typeof out === 'string';
    res.writeHead(status, { 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json', ...headers });
    res.end(isText ? out : JSON.stringify(out));
  });
  return {
    url: server.url,
    port: server.port,
    requests,
    last() {
      const req = requests.at(-1);
      if (!req) throw new Error('the receiver got no request');
      return req;
    },
    answer(next) {
      answer = next;
    },
    close: () => server.close(),
  };
}

/** 2024-05-01T12:00:00Z, the clock of every channel test. */
export const FIXED_NOW = Date.parse('2024-05-01T12:00:00.000Z');

export function channelContext(http: SendContext['http'], extra: Partial<SendContext> = {}): SendContext {
  const clock = { now: () => FIXED_NOW };
  return { http, clock, cache: memoryCache(clock), ...extra };
}

/** A task-failure message; override what a test is about. */
export function sampleMessage(over: Partial<PushMessage> = {}): PushMessage {
  return {
    event: 'task.failure',
    title: '❌ Daily check-in failed',
    body: 'Step 2/3: HTTP 500\nnext run 08:00',
    id: 'msg_0001',
    at: FIXED_NOW - 5_000,
    ...over,
  };
}

/** The DeliveryError `promise` rejects with; fails the test when it resolves or throws something else. */
export async function deliveryError(promise: Promise<unknown>): Promise<DeliveryError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof DeliveryError, `expected a DeliveryError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the send to fail');
}

/**
 * The hooks every channel test needs: one HTTP client for the file (loopback allowed) and a fresh
 * fake receiver per test, prepared by `prepare` (its usual answer). Read them as `h.http`, `h.receiver`.
 */
export function useChannelHarness(prepare: (receiver: PushReceiver) => void = () => {}) {
  const h = {} as { http: HttpClient; receiver: PushReceiver };
  before(() => {
    h.http = createHttpClient({ allowPrivateNetwork: true });
  });
  after(() => h.http.close());
  beforeEach(async () => {
    h.receiver = await startPushReceiver();
    prepare(h.receiver);
  });
  afterEach(() => h.receiver.close());
  return h;
}
