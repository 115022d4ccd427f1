// 任务事件推送（成功、失败、恢复、停用）的文字。键：push.alert_message.*。
import type { PushAlertText } from './push-alert.en.js';

const pushAlertZh: PushAlertText = {
  title_success: '✅ {{task}} 执行成功',
  title_failure: '❌ {{task}} 执行失败',
  title_failure_streak: '❌ {{task}} 执行失败（连续 {{count}} 次）',
  title_recovered: '🔁 {{task}} 已恢复',
  title_disabled: '⛔ {{task}} 已被停用',
  recovered_after_one: '连续失败 {{count}} 次后恢复。',
  recovered_after_other: '连续失败 {{count}} 次后恢复。',
  recovered_after_since_one: '连续失败 {{count}} 次后恢复，自 {{since}} 起失败。',
  recovered_after_since_other: '连续失败 {{count}} 次后恢复，自 {{since}} 起失败。',
  disabled_after_one: '连续失败 {{count}} 次后已停用。最后的错误：{{reason}}',
  disabled_after_other: '连续失败 {{count}} 次后已停用。最后的错误：{{reason}}',
  time: '时间：{{time}}',
  trigger: '触发方式：{{trigger}}',
  trigger_manual: '手动',
  trigger_auto: '定时',
  trigger_retry: '重试',
  duration: '耗时：{{duration}}',
  log: '日志：{{log}}',
  error: '错误：{{error}}',
  next: '下次运行：{{time}}',
  next_none: '下次运行：无',
  template_failed: '（你的{{which}}模板无法使用：{{error}}）',
  template_title: '标题',
  template_body: '正文',
};

export default pushAlertZh;
