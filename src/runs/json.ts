// Runs as the API shows them (API.md "Run"). Stored detail is already masked.
import { iso } from '../api/json.js';
import type { Run } from './repo.js';
import type { RunOutcome, StepRecord } from './types.js';

const stepJson = (s: StepRecord) => ({
  name: s.name ?? null,
  method: s.method,
  url: s.url,
  status: s.status ?? null,
  durationMs: s.durationMs,
  error: s.error ?? null,
  requestHeaders: s.requestHeaders,
  responseHeaders: s.responseHeaders,
  requestBody: s.requestBody ?? null,
  responseBody: s.responseBody ?? null,
  responseTruncated: Boolean(s.responseTruncated),
  extracted: s.extracted,
  notes: s.notes,
});

export function runJson(run: Run) {
  return {
    id: run.id,
    taskId: run.taskId,
    trigger: run.trigger,
    status: run.status,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    durationMs: run.durationMs,
    log: run.log,
    error: run.error,
    failedStep: run.failedStep,
    ...(run.steps ? { steps: run.steps.map(stepJson) } : {}),
  };
}

/** A dry run (template test): the same shape without an id or a task. */
export function dryRunJson(outcome: RunOutcome, startedAt: number, finishedAt: number) {
  return {
    id: null,
    taskId: null,
    trigger: 'manual' as const,
    status: outcome.status,
    startedAt: iso(startedAt),
    finishedAt: iso(finishedAt),
    durationMs: finishedAt - startedAt,
    log: outcome.log,
    error: outcome.error,
    failedStep: outcome.failedStep,
    steps: outcome.steps.map(stepJson),
  };
}
