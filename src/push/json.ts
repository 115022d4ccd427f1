// Registrations and messages as the API shows them (API.md "Push"). Secrets never leave masked.
import { iso } from '../api/json.js';
import type { Registration } from './registrations-repo.js';
import type { HistoryMessage } from './history-repo.js';
import { maskedConfig, type RegistrationView } from './service.js';

export function registrationJson(r: Registration | RegistrationView) {
  return {
    id: r.id,
    channel: r.channel,
    name: r.name,
    enabled: r.enabled,
    config: maskedConfig(r.channel, r.config),
    lastSentAt: iso(r.lastSentAt),
    lastError: r.lastError,
    lastErrorAt: iso(r.lastErrorAt),
    ...('sent7d' in r ? { sent7d: r.sent7d, failed7d: r.failed7d } : {}),
    createdAt: iso(r.createdAt),
  };
}

export function messageJson(m: HistoryMessage) {
  return {
    id: m.id,
    registrationId: m.registrationId,
    registrationName: m.registrationName,
    event: m.event,
    taskId: m.taskId,
    runId: m.runId,
    title: m.title,
    body: m.body,
    status: m.status,
    attempts: m.attempts,
    lastError: m.lastError,
    nextAttemptAt: iso(m.nextAttemptAt),
    createdAt: iso(m.createdAt),
    sentAt: iso(m.sentAt),
  };
}
