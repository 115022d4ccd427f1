// A task as the API shows it: secret variables masked, never their values.
import { maskSecret } from '../db/secret-box.js';
import { iso } from '../api/json.js';
import type { Run } from '../runs/repo.js';
import type { Task } from './repo.js';
import { disabledReasonText } from '../scheduler/after-run.js';

export function taskJson(task: Task, secretNames: Set<string>, lastRun?: Run) {
  const shown = (vars: Record<string, string>) =>
    Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, secretNames.has(k) ? maskSecret(v) : v]));
  return {
    id: task.id,
    templateId: task.templateId,
    name: task.name,
    group: task.group ?? null,
    note: task.note ?? null,
    enabled: task.enabled,
    disabledReason: disabledReasonText(task) ?? null,
    running: task.runningSince !== null,
    variables: shown(task.variables),
    persisted: shown(task.persisted),
    schedule: task.schedule,
    randomDelay: task.randomDelay,
    retry: task.retry,
    push: task.push,
    nextRunAt: iso(task.nextRunAt),
    nextRunIsRetry: task.nextTrigger === 'retry',
    consecutiveFailures: task.consecutiveFailures,
    successCount: task.successCount,
    failureCount: task.failureCount,
    lastRun: lastRun ? { id: lastRun.id, status: lastRun.status, trigger: lastRun.trigger, finishedAt: iso(lastRun.finishedAt) } : null,
    createdAt: iso(task.createdAt),
    updatedAt: iso(task.updatedAt),
  };
}
