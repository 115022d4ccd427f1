// Prometheus metrics (prom-client) of one instance: runs and their durations, the scheduler's lag
// and due tasks, the outbox depth, deliveries and their latency, HTTP request durations, and the
// process. Counters count what this process did; the gauges about the database (lag, due, outbox)
// are read when scraped, with indexed queries, so every instance reports the shared state.
import type { Knex } from 'knex';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../lib/clock.js';

export type Metrics = {
  registry: Registry;
  runFinished(status: string, trigger: string, durationMs: number): void;
  delivery(channel: string, outcome: 'sent' | 'retry' | 'failed', latencyMs?: number): void;
  httpRequest(method: string, route: string, status: number, durationMs: number): void;
};

export function createMetrics({ knex, clock }: { knex: Knex; clock: Clock }): Metrics {
  const registry = new Registry();
  // The event-loop delay monitor wakes the process every `precision` ms; at prom-client's 10 ms that
  // alone was ~0.75 % of a core on an idle instance (measured), at 100 ms it is noise, and a delay
  // worth alerting on is far longer than 100 ms anyway.
  collectDefaultMetrics({ register: registry, prefix: 'chime_', eventLoopMonitoringPrecision: 100 });

  const runs = new Counter({ name: 'chime_runs_total', help: 'Finished runs by status and trigger.', labelNames: ['status', 'trigger'] as const, registers: [registry] });
  const runDuration = new Histogram({
    name: 'chime_run_duration_seconds',
    help: 'How long runs took, by status.',
    labelNames: ['status'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'chime_push_deliveries_total',
    help: 'Push delivery attempts by channel and outcome (sent, retry, failed).',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  });
  const deliveryLatency = new Histogram({
    name: 'chime_push_delivery_latency_seconds',
    help: 'From enqueue to sent, retries included.',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 21600],
    registers: [registry],
  });
  const http = new Histogram({
    name: 'chime_http_request_duration_seconds',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  new Gauge({
    name: 'chime_scheduler_lag_seconds',
    help: 'Now minus the oldest due next_run_at (0 when nothing is due).',
    registers: [registry],
    async collect() {
      const now = clock.now();
      const row = (await knex('tasks').where('next_run_at', '<=', now).min({ at: 'next_run_at' }).first()) as { at: number | string | null } | undefined;
      this.set(row?.at == null ? 0 : (now - Number(row.at)) / 1000);
    },
  });
  new Gauge({
    name: 'chime_tasks_due',
    help: 'Tasks whose next run is due now.',
    registers: [registry],
    async collect() {
      const row = (await knex('tasks').where('next_run_at', '<=', clock.now()).count({ n: '*' }).first()) as { n: number | string } | undefined;
      this.set(Number(row?.n ?? 0));
    },
  });
  new Gauge({
    name: 'chime_push_outbox_messages',
    help: 'Messages waiting in the outbox, by status (queued, sending).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = (await knex('push_messages').whereIn('status', ['queued', 'sending']).select('status').count({ n: '*' }).groupBy('status')) as { status: string; n: number | string }[];
      this.reset();
      for (const status of ['queued', 'sending']) this.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0));
    },
  });

  return {
    registry,
    runFinished(status, trigger, durationMs) {
      runs.inc({ status, trigger });
      runDuration.observe({ status }, durationMs / 1000);
    },
    delivery(channel, outcome, latencyMs) {
      deliveries.inc({ channel, outcome });
      if (outcome === 'sent' && latencyMs !== undefined) deliveryLatency.observe(Math.max(0, latencyMs) / 1000);
    },
    httpRequest(method, route, status, durationMs) {
      http.observe({ method, route, status: String(status) }, durationMs / 1000);
    },
  };
}
