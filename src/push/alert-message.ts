// The text of a task event push (SEMANTICS §4): a title such as "❌ check-in failed (3× in a row)" and
// a body with the time (the user's zone), trigger, duration, log, error, next run and a link to the
// run when BASE_URL is set — in the user's language. A user's own Jinja title/body templates replace
// them; a template that fails to render falls back to the standard text and says why, so an alert is
// never lost to a typo. The webhook gets the same facts as data (CHANNELS.md `webhook`).
import { renderTemplate } from '../lib/jinja.js';
import { translator, type Language } from '../lib/i18n.js';
import type { TaskEvent } from './alert-rules.js';

export type AlertFacts = {
  event: TaskEvent;
  task: { id: number; name: string; group: string | null; nextRunAt: number | null; consecutiveFailures: number; disabledReason: string | null };
  run: {
    id: number;
    trigger: 'manual' | 'auto' | 'retry';
    status: string;
    startedAt: number;
    finishedAt: number;
    durationMs: number;
    log: string | null;
    error: string | null;
    /** 1-based number of the step that failed, when one did. */
    failedStep: number | null;
  };
  /** For task.recovered: how many failures the streak had and when it began. */
  recovery?: { failures: number; since: number | null };
  user: { email: string; language: Language; timeZone: string };
  baseUrl?: string;
  templates?: { title?: string; body?: string };
};

export type AlertMessage = { title: string; body: string; url?: string; data: Record<string, unknown> };

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function alertMessage(facts: AlertFacts): AlertMessage {
  const t = translator(facts.user.language);
  const k = (key: string, params?: Record<string, unknown>) => t(`push.alert_message.${key}`, params) as string;
  const when = new Intl.DateTimeFormat(facts.user.language, { dateStyle: 'medium', timeStyle: 'medium', timeZone: facts.user.timeZone });
  const time = (ms: number) => when.format(new Date(ms));
  const { task, run, event } = facts;
  const url = facts.baseUrl ? `${facts.baseUrl.replace(/\/+$/, '')}/runs/${run.id}` : undefined;

  const streak = task.consecutiveFailures;
  const title = {
    'task.success': () => k('title_success', { task: task.name }),
    'task.failure': () => (streak > 1 ? k('title_failure_streak', { task: task.name, count: streak }) : k('title_failure', { task: task.name })),
    'task.recovered': () => k('title_recovered', { task: task.name }),
    'task.disabled': () => k('title_disabled', { task: task.name }),
  }[event]();

  const lines: string[] = [];
  if (event === 'task.recovered' && facts.recovery) {
    lines.push(
      facts.recovery.since == null
        ? k('recovered_after', { count: facts.recovery.failures })
        : k('recovered_after_since', { count: facts.recovery.failures, since: time(facts.recovery.since) }),
    );
  }
  if (event === 'task.disabled') lines.push(k('disabled_after', { count: streak, reason: task.disabledReason ?? run.error ?? '' }));
  lines.push(k('time', { time: time(run.finishedAt) }));
  lines.push(k('trigger', { trigger: k(`trigger_${run.trigger}`) }));
  lines.push(k('duration', { duration: formatDuration(run.durationMs) }));
  if (run.log) lines.push(k('log', { log: run.log }));
  // The run's error already says which step failed ("step 2/3 failed: …").
  if (run.error) lines.push(k('error', { error: run.error }));
  lines.push(task.nextRunAt == null ? k('next_none') : k('next', { time: time(task.nextRunAt) }));
  if (url) lines.push(url);
  let body = lines.join('\n');
  let finalTitle = title;

  const variables = alertVariables(facts);
  const own = (source: string | undefined, fallback: string, which: 'title' | 'body'): string => {
    if (!source) return fallback;
    try {
      return renderTemplate(source, variables, { timeZone: facts.user.timeZone });
    } catch (err) {
      body += `\n${k('template_failed', { which: k(`template_${which}`), error: err instanceof Error ? err.message : String(err) })}`;
      return fallback;
    }
  };
  finalTitle = own(facts.templates?.title, title, 'title').trim() || title;
  body = own(facts.templates?.body, body, 'body');

  return {
    title: finalTitle,
    body,
    ...(url ? { url } : {}),
    data: {
      task: { id: task.id, name: task.name, group: task.group, nextRunAt: iso(task.nextRunAt), consecutiveFailures: streak },
      run: { id: run.id, status: run.status, trigger: run.trigger, startedAt: iso(run.startedAt), finishedAt: iso(run.finishedAt), durationMs: run.durationMs, log: run.log, error: run.error, failedStep: run.failedStep },
      ...(facts.recovery ? { recovery: { failures: facts.recovery.failures, since: iso(facts.recovery.since) } } : {}),
      ...(url ? { url } : {}),
    },
  };
}

/** What a user's title/body template sees: event, task, run, user, url. */
export function alertVariables(facts: AlertFacts): Record<string, unknown> {
  const { task, run } = facts;
  return {
    event: facts.event,
    task: { id: task.id, name: task.name, group: task.group ?? '', next_run_at: iso(task.nextRunAt) ?? '', consecutive_failures: task.consecutiveFailures },
    run: { id: run.id, trigger: run.trigger, status: run.status, started_at: iso(run.startedAt), finished_at: iso(run.finishedAt), duration_ms: run.durationMs, log: run.log ?? '', error: run.error ?? '', failed_step: run.failedStep ?? '' },
    user: { email: facts.user.email },
    url: facts.baseUrl ? `${facts.baseUrl.replace(/\/+$/, '')}/runs/${run.id}` : '',
  };
}

/** Sample facts for the settings page's live preview of the user's templates. */
export function sampleFacts(user: AlertFacts['user'], baseUrl?: string): AlertFacts {
  const now = Date.now();
  return {
    event: 'task.failure',
    task: { id: 1, name: 'Daily check-in', group: null, nextRunAt: now + 10 * 60_000, consecutiveFailures: 3, disabledReason: null },
    run: { id: 42, trigger: 'auto', status: 'failure', startedAt: now - 1200, finishedAt: now, durationMs: 1200, log: 'already signed in today', error: 'step 2/3 failed: HTTP 500 (expected 200)', failedStep: 2 },
    user,
    baseUrl,
  };
}
