// 'ui' 部分的文字（单独成文件）。
import type { UiText } from './ui.en.js';

const uiZh: UiText = {
  chart: {
    spark_summary: '最近 {{count}} 次运行：{{success}} 次成功，{{failure}} 次失败；最近一次：{{last}}。',
    no_runs: '还没有运行记录。',
    history_column: '最近 30 次运行',
    task_title: '最近的运行',
    task_summary: '从 {{from}} 到 {{to}} 共 {{count}} 次运行：{{success}} 次成功，{{failure}} 次失败；最长耗时 {{longest}}。',
    longest: '最长：{{duration}}',
    legend_success: '成功',
    legend_failure: '失败（柱下标有 ▼）',
    legend_height: '柱高：运行耗时',
    push_title: '最近 14 天的推送',
    push_summary: '最近 14 天：已发送 {{sent}} 条，失败 {{failed}} 条，等待中 {{pending}} 条。',
    push_day: '{{day}}：已发送 {{sent}} 条，失败 {{failed}} 条，等待中 {{pending}} 条',
    push_sent: '已发送',
    push_failed: '失败（斜线填充）',
    push_pending: '排队或发送中',
  },
  dashboard: {
    rate_7d: '7 天内成功率 {{percent}}%（{{success}}/{{total}}）',
    rate_7d_none: '最近 7 天没有运行',
  },
  checklist: {
    title: '开始使用',
    intro: '四步收到第一条推送结果。',
    template: '导入模板（HAR 文件、QD 模板或 curl 命令）',
    task: '用它创建任务并设定运行时间',
    channel: '添加推送渠道，让结果送到你手上',
    digest: '开启定期摘要',
    done: '已完成',
    todo: '待完成',
    dismiss: '隐藏此清单',
    label: '设置进度',
    dismissed: '已隐藏清单。',
  },
  empty: {
    templates: '还没有模板——导入 HAR 文件、QD 模板或 curl 命令，或者逐步编写一个。',
    templates_import: '导入模板',
    templates_new: '编写模板',
    tasks: '还没有任务。任务按计划运行你的某个模板。',
    tasks_from_template: '从模板创建任务',
    tasks_no_template: '先导入一个模板',
    runs: '还没有运行记录——点击“立即运行”试一试，或等待计划时间。',
    history: '还没有推送过消息。任务发送消息后会显示在这里；在推送渠道上点击“测试”即可发送第一条。',
    history_channels: '前往推送渠道',
  },
  bulk: {
    action: '操作',
    schedule_type: '新的计划',
  },
  run: {
    running: '运行中……运行结束后页面会自动更新。',
  },
};

export default uiZh;
