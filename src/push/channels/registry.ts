// Every push channel, by type. Adding a channel: its file, a line here, its test. The compiler
// checks each record against the Channel contract, and the test of this file checks the catalog.
import type { Channel } from '../channel.js';
import { barkChannel } from './bark.js';
import { customChannel } from './custom.js';
import { dingtalkChannel } from './dingtalk.js';
import { discordChannel } from './discord.js';
import { emailChannel } from './email.js';
import { feishuChannel } from './feishu.js';
import { gotifyChannel } from './gotify.js';
import { ntfyChannel } from './ntfy.js';
import { pushplusChannel } from './pushplus.js';
import { serverchanChannel } from './serverchan.js';
import { slackChannel } from './slack.js';
import { telegramChannel } from './telegram.js';
import { webhookChannel } from './webhook.js';
import { wecomAppChannel } from './wecom_app.js';
import { wecomBotChannel } from './wecom_bot.js';
import { wxpusherChannel } from './wxpusher.js';

export const CHANNELS = {
  email: emailChannel,
  bark: barkChannel,
  serverchan: serverchanChannel,
  telegram: telegramChannel,
  dingtalk: dingtalkChannel,
  feishu: feishuChannel,
  wecom_bot: wecomBotChannel,
  wecom_app: wecomAppChannel,
  wxpusher: wxpusherChannel,
  pushplus: pushplusChannel,
  ntfy: ntfyChannel,
  gotify: gotifyChannel,
  discord: discordChannel,
  slack: slackChannel,
  custom: customChannel,
  webhook: webhookChannel,
} satisfies Record<string, Channel>;

export type ChannelType = keyof typeof CHANNELS;

export const CHANNEL_TYPES = Object.keys(CHANNELS) as ChannelType[];

export function isChannelType(value: unknown): value is ChannelType {
  return typeof value === 'string' && Object.hasOwn(CHANNELS, value);
}
