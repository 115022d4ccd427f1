// The catalog derived from the channel schemas, form text ↔ config values, and the rules of an edit:
// a given field replaces, null clears, an omitted field or a secret sent back empty or masked keeps.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { channelFields, configFromForm, formFromConfig } from '../../src/push/catalog.js';
import { CHANNELS } from '../../src/push/channels/registry.js';
import { maskedConfig, mergeConfig, validateConfig } from '../../src/push/service.js';
import { AppError } from '../../src/lib/errors.js';

describe('the push catalog', () => {
  it('derives each field’s input from its schema', () => {
    const kinds = Object.fromEntries(channelFields('telegram').map((f) => [f.name, [f.kind, f.required, f.secret]]));
    assert.deepEqual(kinds, {
      botToken: ['password', true, true],
      chatId: ['text', true, false],
      messageThreadId: ['number', false, false],
      silent: ['checkbox', false, false],
      apiBase: ['url', false, false],
      proxy: ['url', false, false],
    });
    const custom = Object.fromEntries(channelFields('custom').map((f) => [f.name, f]));
    assert.deepEqual([custom.method!.kind, custom.method!.default, custom.method!.options], ['select', 'POST', ['GET', 'POST', 'PUT']]);
    assert.equal(custom.body!.kind, 'textarea');
    assert.equal(channelFields('ntfy').find((f) => f.name === 'tags')!.kind, 'list');
  });

  it('turns form text into config values and back', () => {
    const config = configFromForm('ntfy', { serverUrl: ' https://ntfy.example.com ', topic: 'alerts', token: '', tags: 'warning\n\n white_check_mark ', priority: '4' });
    assert.deepEqual(config, { serverUrl: 'https://ntfy.example.com', topic: 'alerts', tags: ['warning', 'white_check_mark'], priority: '4' });
    assert.deepEqual(validateConfig('ntfy', config), { serverUrl: 'https://ntfy.example.com', topic: 'alerts', tags: ['warning', 'white_check_mark'], priority: 4 });
    assert.deepEqual(configFromForm('telegram', { botToken: 't', chatId: '1', silent: 'on' }), { botToken: 't', chatId: '1', silent: true });
    assert.deepEqual(formFromConfig('telegram', { botToken: 'secret', chatId: '1', silent: true }), { chatId: '1', silent: 'on' });
    assert.deepEqual(formFromConfig('ntfy', { topic: 'a', tags: ['x', 'y'] }), { topic: 'a', tags: 'x\ny' });
  });

  it('applies an edit: replace, clear with null, keep omitted and echoed secrets', () => {
    const stored = { botToken: '123456:SECRET-TOKEN', chatId: '1', silent: true };
    const masked = maskedConfig('telegram', stored);
    assert.equal(masked.botToken, '••••OKEN');
    assert.deepEqual(mergeConfig(CHANNELS.telegram, stored, masked), stored);
    assert.deepEqual(mergeConfig(CHANNELS.telegram, stored, { botToken: '', chatId: '2', silent: null }), { botToken: '123456:SECRET-TOKEN', chatId: '2' });
    assert.deepEqual(mergeConfig(CHANNELS.telegram, stored, { botToken: 'new:one' }), { ...stored, botToken: 'new:one' });
  });

  it('names the config field that is wrong', () => {
    const problem = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        assert.ok(err instanceof AppError);
        return Object.keys(err.fields ?? {});
      }
      assert.fail('no error');
    };
    assert.deepEqual(problem(() => validateConfig('telegram', { chatId: '1' })), ['config.botToken']);
    assert.deepEqual(problem(() => validateConfig('telegram', { botToken: 'x', chatId: '1', chat: '2' })), ['config.chat']);
    assert.deepEqual(problem(() => validateConfig('wecom_app', { corpId: 'c', corpSecret: 's', agentId: 'seven' })), ['config.agentId']);
  });
});
