// 定期批量推送（汇总）的文字。键：push.digest_message.*。
import type { PushDigestText } from './push-digest.en.js';

const pushDigestZh: PushDigestText = {
  title: 'Chime 汇总 · {{successes}} ✓ {{failures}} ✗ · {{from}} – {{to}}',
  heading: 'Chime 汇总',
  window: '{{from}} – {{to}}（{{zone}}）',
  task_counts: '{{name}}：成功 {{successes}} 次，失败 {{failures}} 次',
  did_not_run: '{{name}}：本时段未运行',
  more_runs_one: '…… 另有 {{count}} 次运行',
  more_runs_other: '…… 另有 {{count}} 次运行',
  more_tasks_one: '…… 另有 {{count}} 个任务',
  more_tasks_other: '…… 另有 {{count}} 个任务',
  column_task: '任务',
  column_successes: '成功',
  column_failures: '失败',
  column_last_log: '最近日志',
  not_run: '本时段未运行',
};

export default pushDigestZh;
