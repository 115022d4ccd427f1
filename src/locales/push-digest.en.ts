// The periodic digest's texts (title, body lines, table headings). Keys: push.digest_message.*.
const pushDigestEn = {
  title: 'Chime digest · {{successes}} ✓ {{failures}} ✗ · {{from}} – {{to}}',
  heading: 'Chime digest',
  window: '{{from}} – {{to}} ({{zone}})',
  task_counts: '{{name}}: {{successes}} succeeded, {{failures}} failed',
  did_not_run: '{{name}}: did not run in this period',
  more_runs_one: '… and {{count}} more run',
  more_runs_other: '… and {{count}} more runs',
  more_tasks_one: '… and {{count}} more task',
  more_tasks_other: '… and {{count}} more tasks',
  column_task: 'Task',
  column_successes: 'Successes',
  column_failures: 'Failures',
  column_last_log: 'Last log',
  not_run: 'Did not run in this period',
};

export type PushDigestText = typeof pushDigestEn;
export default pushDigestEn;
