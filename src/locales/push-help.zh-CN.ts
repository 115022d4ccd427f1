// 推送渠道各字段下方的说明：在哪里获取这个值。键：push.help.<渠道>.<字段>。
// 先找渠道自己的，再找 common。纯文本；不要出现两个连续的左花括号（i18next 会当作插值）。
import type { PushHelp } from './push-help.en.js';

const pushHelpZh: PushHelp = {
  common: {
    apiBase: "仅在通过反向代理或自建镜像访问该服务时填写；留空使用官方地址。地址中的路径会作为前缀保留。",
    proxy: "仅用于此渠道的 HTTP(S) 代理，例如 http://user:pass@host:3128。留空则使用服务器的代理设置（如有）。",
  },
  email: {
    to: "留空则发送到你账户的邮箱。多个地址用英文逗号分隔。邮件通过本站服务器的邮件设置发出。",
    cc: "可选的抄送地址，多个地址用英文逗号分隔。",
  },
  bark: {
    serverUrl: "留空使用官方服务器 https://api.day.app；自建 bark-server 时填写你的服务器地址。在“设备 Key”中粘贴完整地址时会自动使用其中的服务器。",
    deviceKey: "打开 Bark App，复制它显示的地址（https://api.day.app/KEY/…）中的 Key；直接粘贴整个地址也可以。",
    group: "分组名相同的通知会在 Bark 中归在一起。可选。",
    sound: "Bark 铃声的名称，例如 alarm、bell、minuet（App 中可查看全部铃声）。留空使用默认铃声。",
    level: "active：普通通知；timeSensitive：时效性通知，专注模式下也会显示；passive：仅加入通知列表，不亮屏；critical：重要警告，静音时也会响铃。留空为 active。",
    icon: "通知图标的图片地址（iOS 15 及以上）。可选。",
    url: "点击通知时打开的链接。留空则打开该消息对应的运行记录。",
  },
  serverchan: {
    sendKey: "在 sct.ftqq.com（Server酱 Turbo 版）或 sc3.ft07.com（Server酱³，SendKey 以 sctp 开头）复制 SendKey。直接粘贴 https://sctapi.ftqq.com/KEY.send 地址也可以。",
  },
  telegram: {
    botToken: "找 @BotFather，用 /newbot 创建机器人，粘贴它给你的 Token（形如 123456789:AA…）。直接粘贴 https://api.telegram.org/bot… 地址也可以。",
    chatId: "先给机器人发一条消息（或把它拉进群），再打开 https://api.telegram.org/botTOKEN/getUpdates，复制其中的 chat.id；群组 ID 是负数。公开频道可填 @频道用户名，并把机器人设为管理员。",
    messageThreadId: "仅用于开启了话题的群组：话题 ID，即话题内消息链接（t.me/c/群组/话题/消息）中群组后面的数字。留空发到 General 话题。",
    silent: "发送时不响铃，但仍会收到通知。",
  },
  dingtalk: {
    accessToken: "群设置 → 机器人 → 添加机器人 → 自定义，复制生成的 Webhook 地址；只填其中的 access_token 也可以。若安全设置选了自定义关键词，消息中必须包含其中一个关键词。",
    secret: "机器人设置 → 安全设置 → 加签：以 SEC 开头的密钥。未启用加签时留空。",
    atMobiles: "每条消息要 @ 的群成员手机号，每行一个。",
    atAll: "每条消息都 @所有人。",
  },
  feishu: {
    webhookUrl: "群设置 → 群机器人 → 添加机器人 → 自定义机器人，复制 Webhook 地址（https://open.feishu.cn/open-apis/bot/v2/hook/…）；只填 /hook/ 后面的部分也可以。",
    secret: "仅在机器人安全设置中开启了签名校验时填写：复制那里显示的密钥。签名依赖本服务器的时间准确。",
    host: "feishu 为飞书（open.feishu.cn），lark 为 Lark 国际版（open.larksuite.com）。粘贴 Lark 的 Webhook 地址时会自动使用 Lark。",
  },
  wecom_bot: {
    key: "在企业微信群聊中点右上角“…” → 群机器人 → 添加机器人，复制 Webhook 地址（…/webhook/send?key=…）；只填 key 也可以。",
    mentionedMobiles: "要 @ 的成员手机号，每行一个；@all 表示所有人。有 @ 时消息以纯文本发送（最多 2048 字节），而不是 Markdown。",
  },
  wecom_app: {
    corpId: "企业微信管理后台（work.weixin.qq.com）→ 我的企业 → 企业信息，页面底部的“企业ID”。",
    corpSecret: "管理后台 → 应用管理 → 你的自建应用：Secret（点“查看”，企业微信会把它发给你）。",
    agentId: "管理后台 → 应用管理 → 你的自建应用：页面上的 AgentId（一串数字）。",
    toUser: "成员账号（在通讯录中查看），多个用 | 分隔，例如 zhangsan|lisi。留空或填 @all 发给应用可见范围内的所有人。",
    apiBase: "仅在通过反向代理访问企业微信时填写，例如部署在 IP 已加入应用“企业可信IP”的服务器上的代理；留空使用 https://qyapi.weixin.qq.com。",
  },
  wxpusher: {
    appToken: "在 WxPusher 管理后台（wxpusher.zjiecode.com/admin）创建应用，复制它的 appToken（以 AT_ 开头）。",
    uids: "关注了你的应用的用户 UID（UID_…），每行一个；可在管理后台的用户列表中查看。UID 和主题 ID 至少填一个。",
    topicIds: "你的应用下主题的数字 ID，每行一个，最多 5 个。UID 和主题 ID 至少填一个。",
  },
  pushplus: {
    token: "用微信登录 www.pushplus.plus，复制你的 token。直接粘贴 https://www.pushplus.plus/send?token=… 地址也可以。",
    template: "PushPlus 的消息显示方式：html（默认）、txt（纯文本）或 markdown。各方式都会保留换行。",
    topic: "PushPlus 群组的群组编码，填写后发给群组内所有成员（一对多推送）。留空只发给自己。",
  },
  ntfy: {
    serverUrl: "使用公共服务器时保持 https://ntfy.sh；自建 ntfy 时填写你的服务器地址。",
    topic: "你在 ntfy App 中订阅的主题名。ntfy.sh 上任何知道主题名的人都能看到消息，请取一个难以猜到的名字。直接填完整的主题地址（https://ntfy.example.com/alerts）也可以。",
    token: "仅用于开启了访问控制的服务器：用 ntfy token add 命令或在网页版的账户设置中生成的访问令牌（tk_…）。否则留空。",
    priority: "1（最低）到 5（最高）；留空为默认的 3。",
    tags: "每行一个。与 emoji 同名的标签（如 warning、white_check_mark）会显示为该 emoji，其余标签显示在消息下方。",
  },
  gotify: {
    serverUrl: "你的 Gotify 服务器地址，例如 https://gotify.example.com。内网地址需要站点管理员允许（ALLOW_PRIVATE_NETWORK）才能访问。",
    appToken: "在 Gotify 网页端：Apps → Create Application，然后复制新应用的 Token。直接粘贴 …/message?token=… 地址也可以。",
    priority: "0（最低）到 10（最高）。留空使用该应用的默认优先级。",
  },
  discord: {
    webhookUrl: "编辑频道 → 整合 → Webhook → 新 Webhook，然后点“复制 Webhook URL”（https://discord.com/api/webhooks/…）。",
  },
  slack: {
    webhookUrl: "在 api.slack.com/apps 创建应用，开启 Incoming Webhooks，为某个频道添加 Webhook 并复制它的地址（https://hooks.slack.com/services/…）。",
  },
  custom: {
    method: "GET 不发送请求体，请把 {t} 和 {log} 放在地址里。POST（默认）和 PUT 会发送下面的请求体。",
    url: "要请求的地址。{t} 会替换为标题，{log} 会替换为正文，并做 URL 编码。地址中常含密钥，因此像密码一样保密保存。",
    headers: '由字符串组成的 JSON 对象，例如 {"Authorization": "Bearer …"}；不需要时留空。未在此设置 Content-Type 时按请求体类型自动设置。保密保存。',
    bodyType: 'json：{t} 和 {log} 按 JSON 字符串转义，请放在引号内，例如 {"text": "{log}"}。form：如 title={t}&desp={log}，按表单编码。raw：原样插入，以 text/plain 发送。',
    body: "请求体，{t} 代表标题，{log} 代表正文，会按请求体类型编码。也可以用 Jinja 模板，变量为 title 和 body。GET 请求不发送。",
  },
  webhook: {
    url: "你的接收端地址。每条消息以 JSON POST 发送：type（事件）、timestamp 和 data（事件详情，含标题和正文）。",
    secret: "按 Standard Webhooks 规范为每个请求签名（webhook-id、webhook-timestamp、webhook-signature 请求头）。点“生成”按钮，并把同一个 whsec_… 密钥填到接收端用于验签。",
  },
};

export default pushHelpZh;
