// One claimer as a separate instance would be: a worker thread with its own database connection
// (a blocked SQLite writer then waits in its own thread, as it would in its own process). It reads
// the due tasks, waits at a shared barrier until every claimer is ready, then tries to claim each of
// them, starting at a different one than its neighbours so the claims collide in every order.
import { workerData, parentPort } from 'node:worker_threads';
import { createDb } from '../../src/db/knex.js';
import { claimsRepo } from '../../src/scheduler/claims.js';

export type ClaimerInput = { url: string; owner: string; index: number; now: number; barrier: SharedArrayBuffer; claimers: number };
export type ClaimerResult = { owner: string; claimed: { taskId: number; runId: number | null }[]; error?: string };

const { url, owner, index, now, barrier, claimers } = workerData as ClaimerInput;

const db = createDb(url);
const result: ClaimerResult = { owner, claimed: [] };
try {
  const claims = claimsRepo(db.knex);
  const due = await claims.due(now, 1000);
  const ready = new Int32Array(barrier);
  // Everyone arrives, the last one wakes the rest: the claims start together.
  if (Atomics.add(ready, 0, 1) + 1 === claimers) Atomics.notify(ready, 0);
  else while (Atomics.load(ready, 0) < claimers) Atomics.wait(ready, 0, Atomics.load(ready, 0), 1000);
  const start = due.length ? index % due.length : 0;
  for (const task of [...due.slice(start), ...due.slice(0, start)]) {
    result.claimed.push({ taskId: task.id, runId: await claims.claim(task, now, { owner, ms: 60_000 }) });
  }
} catch (err) {
  result.error = String(err);
} finally {
  await db.close();
  parentPort!.postMessage(result);
}
