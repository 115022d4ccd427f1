// A finished run's pushes, queued in the same transaction that records the run (the outbox pattern:
// the run is finished if and only if its messages are queued). The rules decide the event, the
// task's override over the user's defaults picks the registrations and templates, and the message
// is written in the owner's language and time zone. Nothing here touches the network.
import type { Knex } from 'knex';
import { isLanguage } from '../lib/i18n.js';
import type { Task, TaskWrite } from '../tasks/repo.js';
import { alertMessage, type AlertFacts } from './alert-message.js';
import { pushForRun } from './alert-rules.js';
import { enqueue } from './outbox-repo.js';
import { DEFAULT_PUSH_DEFAULTS, effectiveSettings, pushDefaultsSchema } from './settings-schema.js';

export type FinishedRunFacts = {
  id: number;
  trigger: 'manual' | 'auto' | 'retry';
  success: boolean;
  status: string;
  startedAt: number;
  finishedAt: number;
  log: string | null;
  error: string | null;
  failedStep: number | null;
};

/** The run's owner as the task was read with it; `pushDefaults` is their saved defaults (JSON) or null. */
export type RunOwner = { email: string; locale: string | null; timezone: string | null; pushDefaults: string | null };

export type TaskEventsConfig = { defaultTimezone: string; baseUrl?: string };

type RunPushInput = { task: Task; changes: TaskWrite; run: FinishedRunFacts; owner: RunOwner };

/**
 * Which push a finished run causes (its event, or null) under the task's settings over the owner's
 * defaults, and the task's new "failure pushed in this streak" flag. Pure: the run's recording
 * checks it first, and a run that pushes nothing is recorded without the outbox.
 */
export function runPushDecision({ task, changes, run, owner }: RunPushInput) {
  const defaults = owner.pushDefaults === null ? DEFAULT_PUSH_DEFAULTS : pushDefaultsSchema.parse(JSON.parse(owner.pushDefaults));
  const settings = effectiveSettings(defaults, task.push.override);
  const consecutiveFailures = changes.consecutiveFailures ?? task.consecutiveFailures;
  const outcome = pushForRun({
    settings,
    taskPushEnabled: task.push.enabled,
    trigger: run.trigger === 'manual' ? 'manual' : 'auto',
    ok: run.success,
    consecutiveFailures,
    failurePushed: task.failurePushed,
    disabledNow: task.enabled && changes.enabled === false,
  });
  return { ...outcome, settings, consecutiveFailures };
}

/**
 * Queues the push a finished run causes, if any, and returns the task's new "failure pushed in this
 * streak" flag for the caller to store with the rest of the run's changes.
 */
export async function queueRunPush(trx: Knex.Transaction, config: TaskEventsConfig, input: RunPushInput): Promise<boolean> {
  const { task, changes, run, owner } = input;
  const { settings, consecutiveFailures, ...outcome } = runPushDecision(input);
  if (!outcome.event) return outcome.failurePushed;

  const recovery =
    outcome.event === 'task.recovered' ? { failures: task.consecutiveFailures, since: await streakStart(trx, task) } : undefined;
  const facts: AlertFacts = {
    event: outcome.event,
    task: {
      id: task.id,
      name: changes.name ?? task.name,
      group: task.group ?? null,
      nextRunAt: changes.nextRunAt !== undefined ? changes.nextRunAt : task.nextRunAt,
      consecutiveFailures,
      disabledReason: (changes.disabledReason ?? task.disabledReason) || null,
    },
    run: { ...run, durationMs: run.finishedAt - run.startedAt },
    ...(recovery ? { recovery } : {}),
    user: { email: owner.email, language: isLanguage(owner.locale) ? owner.locale : 'en', timeZone: owner.timezone ?? config.defaultTimezone },
    baseUrl: config.baseUrl,
    templates: { title: settings.titleTemplate, body: settings.bodyTemplate },
  };
  const message = alertMessage(facts);
  await enqueue(
    trx,
    {
      userId: task.userId,
      registrationIds: settings.registrationIds,
      event: outcome.event,
      title: message.title,
      body: message.body,
      data: message.data,
      taskId: task.id,
      runId: run.id,
      // One push per run and event, whatever retries of this transaction happen.
      dedupKey: `run:${run.id}:${outcome.event}`,
    },
    run.finishedAt,
  );
  return outcome.failurePushed;
}

/** When the failure streak that a success ends began: its first failed automatic run after the last success. */
async function streakStart(trx: Knex.Transaction, task: Task): Promise<number | null> {
  const query = trx('task_runs')
    .where({ task_id: task.id })
    .whereIn('status', ['failure', 'lost'])
    .whereNot('trigger', 'manual')
    .orderBy('id')
    .first('finished_at');
  if (task.lastSuccessAt !== null) query.andWhere('finished_at', '>', task.lastSuccessAt);
  const row = (await query) as { finished_at: number | string | null } | undefined;
  return row?.finished_at == null ? null : Number(row.finished_at);
}
