// The channel catalog: all sixteen channels, each field labelled in both languages, secrets real
// fields, apiBase on every fixed-host channel and a proxy on every HTTP channel (CHANNELS.md).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { CHANNELS, CHANNEL_TYPES } from '../../src/push/channels/registry.js';
import { translator } from '../../src/lib/i18n.js';

const en = translator('en');
const zh = translator('zh-CN');
const fieldsOf = (schema: z.ZodType) => (schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;

describe('the channel registry', () => {
  it('has the sixteen channels of CHANNELS.md under their own type', () => {
    assert.deepEqual([...CHANNEL_TYPES].sort(), ['bark', 'custom', 'dingtalk', 'discord', 'email', 'feishu', 'gotify', 'ntfy', 'pushplus', 'serverchan', 'slack', 'telegram', 'webhook', 'wecom_app', 'wecom_bot', 'wxpusher']);
    for (const [type, channel] of Object.entries(CHANNELS)) assert.equal(channel.type, type);
  });

  it('labels every channel and field in English and Chinese', () => {
    for (const channel of Object.values(CHANNELS)) {
      for (const t of [en, zh]) assert.notEqual(t(channel.label), channel.label, `${channel.type}: ${channel.label}`);
      for (const [name, field] of Object.entries(fieldsOf(channel.config))) {
        const key = field.description;
        assert.ok(key, `${channel.type}.${name} has a label key`);
        for (const t of [en, zh]) assert.notEqual(t(key), key, `${channel.type}.${name}: ${key} is translated`);
      }
    }
  });

  it('names only real fields as secrets', () => {
    for (const channel of Object.values(CHANNELS)) {
      const names = Object.keys(fieldsOf(channel.config));
      for (const secret of channel.secrets) assert.ok(names.includes(secret), `${channel.type}: ${secret}`);
    }
  });

  it('offers apiBase on every fixed-host channel and a proxy on every HTTP channel', () => {
    for (const type of ['serverchan', 'telegram', 'dingtalk', 'feishu', 'wecom_bot', 'wecom_app', 'wxpusher', 'pushplus'] as const) {
      assert.ok('apiBase' in fieldsOf(CHANNELS[type].config), `${type} has apiBase`);
    }
    for (const channel of Object.values(CHANNELS)) {
      if (channel.type === 'email') continue;
      assert.ok('proxy' in fieldsOf(channel.config), `${channel.type} has proxy`);
    }
  });
});
