// The texts of task event pushes (success, failure, recovered, disabled). Keys: push.alert_message.*.
const pushAlertEn = {
  title_success: '✅ {{task}} succeeded',
  title_failure: '❌ {{task}} failed',
  title_failure_streak: '❌ {{task}} failed ({{count}}× in a row)',
  title_recovered: '🔁 {{task}} recovered',
  title_disabled: '⛔ {{task}} was disabled',
  recovered_after_one: 'Recovered after {{count}} failure.',
  recovered_after_other: 'Recovered after {{count}} failures.',
  recovered_after_since_one: 'Recovered after {{count}} failure, failing since {{since}}.',
  recovered_after_since_other: 'Recovered after {{count}} failures, failing since {{since}}.',
  disabled_after_one: 'Disabled after {{count}} failure in a row. Last error: {{reason}}',
  disabled_after_other: 'Disabled after {{count}} failures in a row. Last error: {{reason}}',
  time: 'Time: {{time}}',
  trigger: 'Trigger: {{trigger}}',
  trigger_manual: 'manual',
  trigger_auto: 'scheduled',
  trigger_retry: 'retry',
  duration: 'Duration: {{duration}}',
  log: 'Log: {{log}}',
  error: 'Error: {{error}}',
  next: 'Next run: {{time}}',
  next_none: 'Next run: none',
  template_failed: '(Your {{which}} template could not be used: {{error}})',
  template_title: 'title',
  template_body: 'body',
};

export type PushAlertText = typeof pushAlertEn;
export default pushAlertEn;
