// /metrics (Prometheus text, behind METRICS_TOKEN when set), /readyz, and the timing of every request.
import crypto from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import type { Metrics } from './metrics.js';
import { readyz, type Loops } from './readyz.js';

const sameSecret = (a: string, b: string) => {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
};

export function opsRoutes(deps: { db: Db; clock: Clock; metrics: Metrics; loops: Loops; metricsToken?: string }): Router {
  const router = Router();
  router.get('/readyz', readyz(deps));
  router.get('/metrics', async (req, res) => {
    if (deps.metricsToken) {
      const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
      if (!sameSecret(given, deps.metricsToken)) {
        res.status(401).set('WWW-Authenticate', 'Bearer').type('text/plain').send('a valid METRICS_TOKEN is required\n');
        return;
      }
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}

/** Times each request under its route pattern (/tasks/:id, not /tasks/42), so the labels stay few. */
export function requestTiming(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : req.path.startsWith('/assets/') ? '/assets' : 'unmatched';
      metrics.httpRequest(req.method, route, res.statusCode, Number(process.hrtime.bigint() - start) / 1e6);
    });
    next();
  };
}
