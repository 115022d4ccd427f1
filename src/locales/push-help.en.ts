// Help under each push channel field: where to get the value. Keys: push.help.<channel>.<field>.
// Looked up for the channel first, then under `common`. Plain text; never two opening braces in a row
// (i18next would read them as interpolation).
const pushHelpEn = {
  common: {
    apiBase: "Only if you reach the service through a reverse proxy or a self-hosted mirror; leave empty for the official address. A path in it is kept as a prefix.",
    proxy: "An HTTP(S) proxy for this channel only, e.g. http://user:pass@host:3128. Leave empty to use the server's proxy settings, if any.",
  },
  email: {
    to: "Leave empty to send to your account's email address. Several addresses: separate them with commas. Mail goes out through this server's mail settings.",
    cc: "Optional copies. Several addresses: separate them with commas.",
  },
  bark: {
    serverUrl: "Leave empty for the official server https://api.day.app; fill in your own address if you run bark-server. A URL pasted into Device key sets the server by itself.",
    deviceKey: "Open the Bark app and copy the key from the URL it shows (https://api.day.app/KEY/…); pasting that whole URL works too.",
    group: "Bark groups notifications with the same group name together. Optional.",
    sound: "The name of one of Bark's sounds, e.g. alarm, bell or minuet (the app lists them). Leave empty for the default sound.",
    level: "active: the usual notification; timeSensitive: shows even during Focus; passive: added to the list without lighting the screen; critical: plays a sound even when muted. Empty: active.",
    icon: "Address of an image shown as the notification's icon (iOS 15 or later). Optional.",
    url: "The page opened when you tap the notification. Leave empty to open the run the message is about.",
  },
  serverchan: {
    sendKey: "Copy the SendKey from sct.ftqq.com (Server酱 Turbo) or sc3.ft07.com (Server酱³, keys starting with sctp). A pasted https://sctapi.ftqq.com/KEY.send URL works too.",
  },
  telegram: {
    botToken: "Talk to @BotFather, create a bot with /newbot and paste the token it gives you (like 123456789:AA…). A pasted https://api.telegram.org/bot… URL works too.",
    chatId: "Send your bot a message (or add it to the group), then open https://api.telegram.org/botTOKEN/getUpdates and copy chat.id; group IDs are negative. For a public channel, @channelname with the bot as an admin.",
    messageThreadId: "Only for groups with topics: the topic's ID, the number after the group in a topic message link (t.me/c/GROUP/TOPIC/MESSAGE). Leave empty for the General topic.",
    silent: "Deliver without a sound; the notification still arrives.",
  },
  dingtalk: {
    accessToken: "Group settings → Bots → Add Robot → Custom: copy the Webhook URL it shows; the access_token in it alone works too. With keyword security, the message must contain one of the keywords.",
    secret: "Robot settings → Security settings → 加签: the secret starting with SEC…. Leave empty if the robot does not use 加签.",
    atMobiles: "Mobile numbers of group members to @ in each message, one per line.",
    atAll: "@ everyone in the group with each message.",
  },
  feishu: {
    webhookUrl: "Group settings → Bots → Add Bot → Custom Bot: copy the webhook address (https://open.feishu.cn/open-apis/bot/v2/hook/…); the token after /hook/ alone works too.",
    secret: "Only if the bot's security settings have 签名校验 (signature verification) on: the secret shown there. The signature needs this server's clock to be right.",
    host: "feishu for Feishu (open.feishu.cn), lark for Lark (open.larksuite.com). A pasted Lark webhook URL picks Lark by itself.",
  },
  wecom_bot: {
    key: "In the WeCom group chat: ⋯ → Group Robots → Add Robot, then copy its webhook URL (…/webhook/send?key=…); the key alone works too.",
    mentionedMobiles: "Mobile numbers of members to @, one per line; @all mentions everyone. With mentions the message is sent as plain text (at most 2048 bytes) instead of Markdown.",
  },
  wecom_app: {
    corpId: "WeCom admin console (work.weixin.qq.com) → My Company → Company Information: the Corp ID at the bottom of the page.",
    corpSecret: "Admin console → App Management → your self-built app: the Secret (click View; WeCom sends it to you in the app).",
    agentId: "Admin console → App Management → your self-built app: the AgentId shown on its page (a number).",
    toUser: "Member accounts (账号, under Contacts) separated by |, e.g. zhangsan|lisi. Leave empty or @all for everyone the app is visible to.",
    apiBase: "Only if you reach WeCom through a reverse proxy, e.g. one on a server whose IP is among the app's trusted IPs (企业可信IP); leave empty for https://qyapi.weixin.qq.com.",
  },
  wxpusher: {
    appToken: "Create an application in the WxPusher admin console (wxpusher.zjiecode.com/admin) and copy its appToken, which starts with AT_.",
    uids: "UIDs (UID_…) of users who follow your application, one per line; the console's user list shows them. Give at least one UID or topic ID.",
    topicIds: "Numeric IDs of your application's topics, one per line, at most 5. Give at least one UID or topic ID.",
  },
  pushplus: {
    token: "Log in at www.pushplus.plus with WeChat and copy your token. A pasted https://www.pushplus.plus/send?token=… URL works too.",
    template: "How PushPlus shows the message: html (the default), txt (plain text) or markdown. Line breaks are kept in each.",
    topic: "The group code (群组编码) of a PushPlus group, to send to all of its members. Leave empty to send to yourself only.",
  },
  ntfy: {
    serverUrl: "Leave as https://ntfy.sh for the public server, or your own server's address if you host ntfy.",
    topic: "The topic you subscribe to in the ntfy app. On ntfy.sh anyone who knows the name can read it, so pick one that is hard to guess. A whole topic URL (https://ntfy.example.com/alerts) works too.",
    token: "Only for a server with access control: an access token (tk_…) made with ntfy token add or in the web app's account settings. Leave empty otherwise.",
    priority: "1 (min) to 5 (max); leave empty for 3, the default.",
    tags: "One per line. Tags that name an emoji (warning, white_check_mark) show as that emoji; the others are listed under the message.",
  },
  gotify: {
    serverUrl: "Your Gotify server, e.g. https://gotify.example.com. An address on a private network works only if the server admin allows it (ALLOW_PRIVATE_NETWORK).",
    appToken: "In the Gotify web UI: Apps → Create Application, then copy the new application's token. A pasted …/message?token=… URL works too.",
    priority: "0 (lowest) to 10 (highest). Leave empty for the application's default priority.",
  },
  discord: {
    webhookUrl: "Edit Channel → Integrations → Webhooks → New Webhook, then Copy Webhook URL (https://discord.com/api/webhooks/…).",
  },
  slack: {
    webhookUrl: "At api.slack.com/apps create an app, turn on Incoming Webhooks, add a webhook to a channel and copy its URL (https://hooks.slack.com/services/…).",
  },
  custom: {
    method: "GET sends no body, so put {t} and {log} in the URL. POST (the default) and PUT send the body below.",
    url: "The address to call. {t} is replaced by the title and {log} by the body, URL-encoded. Kept secret like a password, since it often holds a key.",
    headers: 'A JSON object of strings, e.g. {"Authorization": "Bearer …"}; leave empty for none. Content-Type follows the body type unless you set it here. Kept secret.',
    bodyType: 'json: {t} and {log} are JSON-escaped, so put them inside quotes, e.g. {"text": "{log}"}. form: title={t}&desp={log}, form-encoded. raw: inserted as they are, sent as text/plain.',
    body: "The request body, with {t} for the title and {log} for the body, encoded for the body type. Jinja with the variables title and body works too. Not sent with GET.",
  },
  webhook: {
    url: "Your receiver's address. Each message is POSTed as JSON: type (the event), timestamp and data (the event's details, with its title and body).",
    secret: "Signs every request per Standard Webhooks (webhook-id, webhook-timestamp and webhook-signature headers). Use the Generate button and give the same whsec_… secret to your receiver to verify it.",
  },
};

export type PushHelp = typeof pushHelpEn;
export default pushHelpEn;
