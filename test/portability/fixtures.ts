// One user's data for the export tests, made through the API: two templates (one with a secret
// default), two tasks (schedules, variables, a secret one, a push override), two registrations with
// secrets, and saved push settings that name the registrations.
import assert from 'node:assert/strict';
import { api } from '../helpers/client.js';

export const SECRETS = {
  taskToken: 'task-secret-token-XYZ-0001',
  templatePin: 'pin-default-secret-2468',
  botToken: '123456:telegram-secret-bot-token',
  ntfyToken: 'tk_ntfy-secret-token-9999',
};

export const PASSPHRASE = 'correct horse battery staple';

export type Seeded = { templateIds: number[]; taskIds: number[]; registrationIds: number[] };

export async function seedUser(baseUrl: string, token: string, siteUrl: string): Promise<Seeded> {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await api(baseUrl, method, path, { token, body });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const telegram = await call('POST', '/push/registrations', { channel: 'telegram', name: 'Telegram', config: { botToken: SECRETS.botToken, chatId: '42' } });
  const ntfy = await call('POST', '/push/registrations', { channel: 'ntfy', name: 'ntfy', config: { serverUrl: 'https://ntfy.example.com', topic: 'chores', token: SECRETS.ntfyToken } });
  const checkIn = await call('POST', '/templates', {
    name: 'Check in',
    siteUrl: 'https://shop.example.com',
    variables: [{ name: 'user' }, { name: 'token', secret: true }, { name: 'pin', secret: true, default: SECRETS.templatePin }],
    steps: [{ method: 'GET', url: `${siteUrl}/check?u={{ user }}&pin={{ pin }}`, headers: { Authorization: 'Bearer {{ token }}' }, assert: [{ from: 'status', op: 'equals', value: 200 }] }],
  });
  const other = await call('POST', '/templates', { name: 'Other chore', steps: [{ method: 'POST', url: 'https://other.example.com/do', body: 'x=1' }] });
  const daily = await call('POST', '/tasks', {
    templateId: checkIn.id,
    name: 'Daily check-in',
    group: 'Shops',
    note: 'every morning',
    variables: { user: 'alice', token: SECRETS.taskToken },
    schedule: { type: 'daily', time: '08:30', timezone: 'Asia/Shanghai' },
    randomDelay: { min: 0, max: 60 },
    retry: { count: 3, intervalSeconds: 600 },
    push: { enabled: true, override: { autoSuccess: true, failureThreshold: 2, registrationIds: [ntfy.id] } },
  });
  const manual = await call('POST', '/tasks', { templateId: other.id, name: 'Now and then', enabled: false, schedule: { type: 'cron', expression: '0 12 * * 1' }, push: { enabled: false } });
  await call('PUT', '/push/settings', {
    defaults: { autoFailure: true, failureThreshold: 3, repeat: 'once', registrationIds: [telegram.id], titleTemplate: '{{ task.name }} failed' },
    digest: { enabled: true, firstAt: '09:00', intervalSeconds: 86400, timezone: 'Europe/Berlin', registrationIds: [telegram.id, ntfy.id] },
  });
  return { templateIds: [checkIn.id, other.id], taskIds: [daily.id, manual.id], registrationIds: [telegram.id, ntfy.id] };
}

/** What the account holds, to see that a refused import changed nothing. */
export async function counts(baseUrl: string, token: string) {
  const get = async (path: string) => (await api(baseUrl, 'GET', path, { token })).body;
  return {
    templates: (await get('/templates')).items.filter((t: { owned?: boolean; public?: boolean }) => t.owned !== false).length as number,
    tasks: (await get('/tasks')).items.length as number,
    registrations: (await get('/push/registrations')).items.length as number,
    settings: JSON.stringify(await get('/push/settings')),
  };
}
