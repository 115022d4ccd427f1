// Texts of the 'ui' section (their own file, so work on it does not collide with the main catalog).
const uiEn = {
  chart: {
    spark_summary: 'Recent runs ({{count}}): {{success}} succeeded, {{failure}} failed; the latest: {{last}}.',
    no_runs: 'No runs yet.',
    history_column: 'Last 30 runs',
    task_title: 'Recent runs',
    task_summary: '{{count}} runs from {{from}} to {{to}}: {{success}} succeeded, {{failure}} failed; the longest took {{longest}}.',
    longest: 'longest: {{duration}}',
    legend_success: 'succeeded',
    legend_failure: 'failed (marked ▼ under the bar)',
    legend_height: 'bar height: how long the run took',
    push_title: 'Deliveries in the last 14 days',
    push_summary: 'Last 14 days: {{sent}} sent, {{failed}} failed, {{pending}} waiting.',
    push_day: '{{day}}: {{sent}} sent, {{failed}} failed, {{pending}} waiting',
    push_sent: 'sent',
    push_failed: 'failed (hatched)',
    push_pending: 'queued or sending',
  },
  dashboard: {
    rate_7d: '{{percent}}% succeeded in 7 days ({{success}}/{{total}})',
    rate_7d_none: 'No runs in the last 7 days',
  },
  checklist: {
    title: 'Get started',
    intro: 'Four steps to your first pushed result.',
    template: 'Import a template (a HAR file, a QD template or a curl command)',
    task: 'Create a task from it and choose when it runs',
    channel: 'Add a push channel so results reach you',
    digest: 'Turn on the periodic digest',
    done: 'done',
    todo: 'to do',
    dismiss: 'Hide this checklist',
    label: 'Setup progress',
    dismissed: 'Checklist hidden.',
  },
  empty: {
    templates: 'No templates yet — import a HAR file, a QD template or a curl command, or write one step by step.',
    templates_import: 'Import a template',
    templates_new: 'Write one',
    tasks: 'No tasks yet. A task runs one of your templates on a schedule.',
    tasks_from_template: 'Create a task from a template',
    tasks_no_template: 'First import a template',
    runs: 'No runs yet — press “Run now” to try the task, or wait for its schedule.',
    history: 'Nothing was pushed yet. Messages appear here once a task sends one; press “Test” on a channel to send the first.',
    history_channels: 'Go to your push channels',
  },
  bulk: {
    action: 'Action',
    schedule_type: 'New schedule',
  },
  run: {
    running: 'Running… this page updates when the run ends.',
  },
};

export type UiText = typeof uiEn;
export default uiEn;
