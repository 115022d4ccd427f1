// Liveness: 200 while the database answers, 503 when it does not.
import type { RequestHandler } from 'express';
import { pingDb, type Db } from '../db/knex.js';

export function healthz(db: Db): RequestHandler {
  return async (_req, res) => {
    try {
      await pingDb(db);
      res.json({ ok: true, db: db.dialect });
    } catch {
      res.status(503).json({ ok: false, db: db.dialect, error: 'database unreachable' });
    }
  };
}
