// The channel catalog: all sixteen channels, each field labelled in both languages, secrets real
// fields, apiBase on every fixed-host channel and a proxy on every HTTP channel (CHANNELS.md).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { CHANNELS, CHANNEL_TYPES, isChannelType } from '../../src/push/channels/registry.js';
import { translator } from '../../src/lib/i18n.js';
import pushHelpEn from '../../src/locales/push-help.en.js';
import pushHelpZh from '../../src/locales/push-help.zh-CN.js';

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

  it('explains every field in English and Chinese, in plain text', () => {
    for (const channel of Object.values(CHANNELS)) {
      for (const name of Object.keys(fieldsOf(channel.config))) {
        // What the form asks (catalog.ts): the channel's own help, else the shared one. When neither
        // exists i18next answers with the last key, and a missing Chinese text falls back to English.
        const keys = [`push.help.${channel.type}.${name}`, `push.help.common.${name}`];
        const english = en(keys);
        const chinese = zh(keys);
        for (const text of [english, chinese]) {
          assert.ok(!keys.includes(text) && text.trim(), `${channel.type}.${name} has help`);
          assert.doesNotMatch(text, /\{\{|\$t\(|<\/?[a-z][^>]*>|\*\*|`/i, `${channel.type}.${name}: plain text, nothing i18next or a browser would read`);
        }
        assert.notEqual(chinese, english, `${channel.type}.${name} has Chinese help`);
        assert.match(chinese, /\p{Script=Han}/u, `${channel.type}.${name} reads as Chinese`);
      }
    }
  });

  it('has help only for fields that exist', () => {
    const allFields = new Set(Object.values(CHANNELS).flatMap((channel) => Object.keys(fieldsOf(channel.config))));
    for (const help of [pushHelpEn, pushHelpZh]) {
      for (const [type, fields] of Object.entries(help)) {
        const names = type === 'common' ? allFields : isChannelType(type) ? new Set(Object.keys(fieldsOf(CHANNELS[type].config))) : undefined;
        assert.ok(names, `help for the unknown channel ${type}`);
        for (const name of Object.keys(fields)) assert.ok(names.has(name), `help for ${type}.${name}, which is not a field`);
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
