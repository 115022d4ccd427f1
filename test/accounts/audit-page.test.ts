// The "By" column of the audit page: a user by id, the admin CLI, an anonymous visitor (a reset link
// or a "forgot password" request carries an address but no login), or the system itself.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import ejs from 'ejs';
import { VIEWS_DIR } from '../../src/lib/paths.js';
import { translator } from '../../src/lib/i18n.js';
import { AUDIT_ACTIONS, type AuditEntry } from '../../src/accounts/audit.js';

const entry = (id: number, over: Partial<AuditEntry>): AuditEntry => ({ id, at: 0, actorUserId: null, action: 'user.disabled', targetType: 'user', targetId: 7, ip: null, detail: null, ...over });

async function render(entries: AuditEntry[], language: 'en' | 'zh-CN' = 'en'): Promise<string[]> {
  const html = await ejs.renderFile(path.join(VIEWS_DIR, 'admin/audit.ejs'), {
    t: translator(language),
    formatTime: () => 'then',
    currentPath: '/admin/audit',
    entries,
    action: '',
    actions: AUDIT_ACTIONS,
    nextBefore: null,
    first: true,
  });
  // The second cell of each body row.
  return [...html.matchAll(/<tr>\s*<td[^>]*>[^<]*<\/td>\s*<td>([^<]*)<\/td>/g)].map((m) => m[1]!);
}

describe('the audit page', () => {
  it('names who acted: a user, the admin CLI, a visitor, the system', async () => {
    const entries = [
      entry(4, { actorUserId: 3, ip: '127.0.0.1' }),
      entry(3, { detail: { via: 'cli' } }),
      entry(2, { action: 'password.reset', ip: '203.0.113.9', detail: { via: 'mail' } }),
      entry(1, { action: 'settings.changed' }),
    ];
    assert.deepEqual(await render(entries), ['#3', 'admin CLI', 'visitor (not logged in)', 'system']);
    assert.deepEqual(await render(entries, 'zh-CN'), ['#3', '管理命令行', '访客（未登录）', '系统']);
  });
});
