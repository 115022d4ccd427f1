// GET/POST /api/v1/export and POST /api/v1/import: one user's data moves to another user with new
// ids and its links intact; secrets travel only sealed with a passphrase; a file that cannot be read
// changes nothing; an object that does not validate is skipped and reported.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp, TEST_SECRET, type TestApp } from '../helpers/app.js';
import { api, assertApiError, userWithToken } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';
import { usersRepo } from '../../src/accounts/users-repo.js';
import { tasksRepo } from '../../src/tasks/repo.js';
import { registrationsRepo } from '../../src/push/registrations-repo.js';
import { createSecretBox } from '../../src/db/secret-box.js';
import { PASSPHRASE, SECRETS, counts, seedUser, type Seeded } from './fixtures.js';

type User = Awaited<ReturnType<typeof userWithToken>>;

for (const dialect of DIALECTS) {
  describe(`export and import API (${dialect})`, () => {
    let app: TestApp;
    let site: TestServer;
    let ada: User;
    let seeded: Seeded;
    let other: User;
    const box = createSecretBox(TEST_SECRET);
    const as = (user: User) => (method: string, path: string, body?: unknown) => api(app.url, method, path, { token: user.token, body });

    before(async () => {
      app = await startTestApp(dialect, { env: { ALLOW_PRIVATE_NETWORK: 'true' } });
      site = await startServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
      // Someone else's public template with a secret default, which Ada copies: neither its id nor its secret may leave in Ada's file.
      other = await userWithToken(app.url, `other-${dialect}@example.com`);
      const shared = await as(other)('POST', '/templates', {
        name: 'Shared by Olga',
        public: true,
        variables: [{ name: 'key', secret: true, default: 'olga-private-default-777' }],
        steps: [{ method: 'GET', url: 'https://olga.example.com/{{ key }}' }],
      });
      await as(other)('POST', '/push/registrations', { channel: 'bark', name: 'Olga phone', config: { deviceKey: 'olga-device-key-555' } });
      ada = await userWithToken(app.url, `ada-${dialect}@example.com`);
      seeded = await seedUser(app.url, ada.token, site.url);
      assert.equal((await as(ada)('POST', `/templates/${shared.body.id}/copy`)).status, 201);
      // A run, so there is history that must stay behind.
      assert.equal((await as(ada)('POST', `/tasks/${seeded.taskIds[0]}/run`)).status, 200);
    });
    after(async () => {
      await site.close();
      await app.close();
    });

    it('exports only her own objects, with ids of the file, and no secrets without a passphrase', async () => {
      const res = await as(ada)('GET', '/export');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="chime-export-\d{4}-\d{2}-\d{2}\.json"$/);
      const file = res.body;
      assert.equal(file.format, 'chime-export');
      assert.equal(file.version, 1);
      assert.ok(!Number.isNaN(Date.parse(file.exportedAt)));
      assert.equal(file.secrets, undefined);
      assert.deepEqual(file.templates.map((t: { id: number; name: string }) => [t.id, t.name]), [[1, 'Check in'], [2, 'Other chore'], [3, 'Shared by Olga']]);
      assert.deepEqual(file.templates[0].secretFields, ['pin']);
      assert.deepEqual(file.templates[0].variables[2], { name: 'pin', secret: true });
      assert.equal(file.templates[2].secretFields, undefined, "Olga's secret default was never Ada's");
      const [daily, manual] = file.tasks;
      assert.deepEqual(
        { id: daily.id, templateId: daily.templateId, variables: daily.variables, secretFields: daily.secretFields, schedule: daily.schedule, retry: daily.retry, randomDelay: daily.randomDelay, push: daily.push, group: daily.group, enabled: daily.enabled },
        {
          id: 1, templateId: 1, variables: { user: 'alice' }, secretFields: ['token'],
          schedule: { type: 'daily', time: '08:30', timezone: 'Asia/Shanghai' }, retry: { count: 3, intervalSeconds: 600 }, randomDelay: { min: 0, max: 60 },
          push: { enabled: true, override: { autoSuccess: true, failureThreshold: 2, registrationIds: [2] } }, group: 'Shops', enabled: true,
        },
      );
      assert.deepEqual({ templateId: manual.templateId, enabled: manual.enabled }, { templateId: 2, enabled: false });
      assert.deepEqual(file.registrations, [
        { id: 1, channel: 'telegram', name: 'Telegram', enabled: true, config: { chatId: '42' }, secretFields: ['botToken'] },
        { id: 2, channel: 'ntfy', name: 'ntfy', enabled: true, config: { serverUrl: 'https://ntfy.example.com', topic: 'chores' }, secretFields: ['token'] },
      ]);
      assert.deepEqual(file.pushSettings.defaults.registrationIds, [1]);
      assert.deepEqual(file.pushSettings.digest, { enabled: true, firstAt: '09:00:00', intervalSeconds: 86400, timezone: 'Europe/Berlin', registrationIds: [1, 2] });
      const text = JSON.stringify(file);
      for (const leak of [...Object.values(SECRETS), 'olga-private-default-777', 'olga-device-key-555', 'Olga phone', other.email, ada.email]) assert.ok(!text.includes(leak), `no ${leak}`);
      assert.ok(!/"v1:/.test(text), 'nothing encrypted with the server key');
      for (const key of ['copiedFrom', 'userId', 'nextRunAt', 'lastRun', 'persisted', 'successCount', 'runs', 'nextAt']) assert.ok(!text.includes(`"${key}"`), `no ${key}`);
    });

    it('refuses a passphrase in the query string, a short one in the body, and callers without a token', async () => {
      const query = await as(ada)('GET', `/export?passphrase=${encodeURIComponent(PASSPHRASE)}`);
      assertApiError(query, 400, { code: 'invalid_input', fields: { passphrase: 'Never put the passphrase in a URL (logs keep it): send it in the body of POST /api/v1/export.' } });
      assert.equal((await api(app.url, 'GET', '/export')).status, 401);
      assert.equal((await api(app.url, 'POST', '/import', { body: { file: {} } })).status, 401);
      assertApiError(await as(ada)('POST', '/export', { passphrase: 'short' }), 400, { code: 'invalid_input', fields: { passphrase: 'Must be at least 8 characters.' } });
    });

    it('moves everything to another user with new ids, secrets restored with the passphrase', async () => {
      const exported = await as(ada)('POST', '/export', { passphrase: PASSPHRASE });
      assert.equal(exported.status, 200);
      const file = exported.body;
      assert.deepEqual(Object.keys(file.secrets).sort(), ['cipher', 'data', 'iv', 'kdf', 'params', 'salt', 'tag']);
      assert.equal(file.secrets.kdf, 'scrypt');
      const text = JSON.stringify(file);
      for (const secret of Object.values(SECRETS)) assert.ok(!text.includes(secret), 'sealed, not in clear');

      const bo = await userWithToken(app.url, `bo-${dialect}@example.com`);
      // Bo already has a template of the same name.
      await as(bo)('POST', '/templates', { name: 'Check in', steps: [{ method: 'GET', url: 'https://bo.example.com' }] });
      const res = await as(bo)('POST', '/import', { file, passphrase: PASSPHRASE });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const report = res.body;
      assert.equal(report.secrets, 'restored');
      assert.deepEqual(report.skipped, []);
      assert.equal(report.created.pushSettings, true);
      assert.deepEqual(report.created.templates.map((t: { name: string; renamedFrom?: string; fileId: number }) => [t.fileId, t.name, t.renamedFrom]), [
        [1, 'Check in (2)', 'Check in'],
        [2, 'Other chore', undefined],
        [3, 'Shared by Olga', undefined],
      ]);
      assert.ok(report.created.tasks.every((t: { missingSecrets?: string[] }) => t.missingSecrets === undefined));

      const templateIds = new Map(report.created.templates.map((t: { fileId: number; id: number }) => [t.fileId, t.id]));
      const registrationIds = new Map(report.created.registrations.map((r: { fileId: number; id: number }) => [r.fileId, r.id]));
      for (const id of [...templateIds.values(), ...registrationIds.values()]) assert.ok(!seeded.templateIds.includes(id as number) || !seeded.registrationIds.includes(id as number));

      const tasks = (await as(bo)('GET', '/tasks')).body.items.sort((a: { id: number }, b: { id: number }) => a.id - b.id);
      const adaTasks = (await as(ada)('GET', '/tasks')).body.items.sort((a: { id: number }, b: { id: number }) => a.id - b.id);
      assert.equal(tasks.length, 2);
      const same = (t: Record<string, unknown>) => ({ name: t.name, group: t.group, note: t.note, enabled: t.enabled, schedule: t.schedule, randomDelay: t.randomDelay, retry: t.retry, variables: t.variables });
      assert.deepEqual(tasks.map(same), adaTasks.map(same), 'Bo sees the same tasks (secrets masked alike)');
      const [daily, manual] = tasks;
      assert.ok(!seeded.taskIds.includes(daily.id));
      assert.equal(daily.templateId, templateIds.get(1));
      assert.equal(manual.templateId, templateIds.get(2));
      assert.deepEqual(daily.push, { enabled: true, override: { autoSuccess: true, failureThreshold: 2, registrationIds: [registrationIds.get(2)] } });
      assert.ok(daily.nextRunAt, 'an enabled task gets its next run as on creation');
      assert.equal(manual.nextRunAt, null);

      const settings = (await as(bo)('GET', '/push/settings')).body;
      assert.deepEqual(settings.defaults.registrationIds, [registrationIds.get(1)]);
      assert.equal(settings.defaults.titleTemplate, '{{ task.name }} failed');
      assert.deepEqual(settings.digest.registrationIds, [registrationIds.get(1), registrationIds.get(2)]);
      assert.equal(settings.digest.timezone, 'Europe/Berlin');

      // The secrets arrived: the registrations' (read through the repo) and the task's and template's (a run sends them).
      const regs = registrationsRepo(app.database.db.knex, box);
      assert.equal((await regs.find(bo.id, registrationIds.get(1) as number))!.config.botToken, SECRETS.botToken);
      assert.equal((await regs.find(bo.id, registrationIds.get(2) as number))!.config.token, SECRETS.ntfyToken);
      const before = site.seen.length;
      const run = await as(bo)('POST', `/tasks/${daily.id}/run`);
      assert.equal(run.body.status, 'success', JSON.stringify(run.body));
      const request = site.seen[before]!;
      assert.equal(request.headers.authorization, `Bearer ${SECRETS.taskToken}`);
      assert.equal(request.url, `/check?u=alice&pin=${SECRETS.templatePin}`);
      const adaNames = (await as(ada)('GET', '/templates')).body.items.map((t: { name: string }) => t.name);
      assert.ok(!adaNames.includes('Check in (2)'), "Ada's account is untouched");
    });

    it('imports a file without secrets, says which are missing per object and switches those off', async () => {
      const file = (await as(ada)('GET', '/export')).body;
      const cy = await userWithToken(app.url, `cy-${dialect}@example.com`);
      const res = await as(cy)('POST', '/import', { file });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { created, skipped, secrets } = res.body;
      assert.equal(secrets, 'left_out');
      assert.deepEqual(skipped, []);
      assert.deepEqual(created.templates[0].missingSecrets, ['pin']);
      assert.deepEqual(created.tasks[0].missingSecrets, ['token']);
      assert.deepEqual(created.tasks[0].notes, ['Switched off: its secrets were not imported.']);
      assert.deepEqual(created.registrations.map((r: { missingSecrets: string[] }) => r.missingSecrets), [['botToken'], ['token']]);
      const regs = (await as(cy)('GET', '/push/registrations')).body.items;
      assert.deepEqual(regs.map((r: { enabled: boolean; config: Record<string, unknown> }) => [r.enabled, r.config.botToken ?? r.config.token]), [[false, undefined], [false, undefined]]);
      const task = (await tasksRepo(app.database.db.knex, box).findById(created.tasks[0].id))!;
      assert.deepEqual(task.variables, { user: 'alice' });
      assert.equal(task.enabled, false);
      assert.equal(task.nextRunAt, null);
      // Entering the secret afterwards is an ordinary edit.
      const fixed = await as(cy)('PATCH', `/push/registrations/${created.registrations[0].id}`, { config: { botToken: 'new-token-123456' }, enabled: true });
      assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    });

    it('imports a sealed file without its secrets when no passphrase is given', async () => {
      const file = (await as(ada)('POST', '/export', { passphrase: PASSPHRASE })).body;
      const dee = await userWithToken(app.url, `dee-${dialect}@example.com`);
      const res = await as(dee)('POST', '/import', { file });
      assert.equal(res.status, 200);
      assert.equal(res.body.secrets, 'no_passphrase');
      assert.deepEqual(res.body.created.tasks[0].missingSecrets, ['token']);
    });

    it('refuses a wrong passphrase with a 400 naming it, and imports nothing', async () => {
      const file = (await as(ada)('POST', '/export', { passphrase: PASSPHRASE })).body;
      const eve = await userWithToken(app.url, `eve-${dialect}@example.com`);
      const before = await counts(app.url, eve.token);
      const res = await as(eve)('POST', '/import', { file, passphrase: 'not the passphrase' });
      assertApiError(res, 400, { code: 'invalid_input', fields: { passphrase: 'The passphrase does not open the secrets of this file; nothing was imported.' } });
      // A changed ciphertext is refused the same way.
      const damaged = { ...file, secrets: { ...file.secrets, tag: Buffer.alloc(16).toString('base64url') } };
      assert.equal((await as(eve)('POST', '/import', { file: damaged, passphrase: PASSPHRASE })).status, 400);
      assert.deepEqual(await counts(app.url, eve.token), before);
    });

    it('refuses a file that cannot be read, naming what is wrong, and changes nothing', async () => {
      const file = (await as(ada)('GET', '/export')).body;
      const fay = await userWithToken(app.url, `fay-${dialect}@example.com`);
      const before = await counts(app.url, fay.token);
      const cases: [unknown, Record<string, string>][] = [
        ['{"format": "chime-export", ', { file: 'Is not a JSON file.' }],
        [{ hello: 'world' }, { 'file.format': 'Is not a Chime export file (format “chime-export”).' }],
        [{ ...file, version: 2 }, { 'file.version': 'Version 2 cannot be read here; this server reads version 1.' }],
        [{ ...file, tasks: 'all of them' }, { 'file.tasks': '' }],
        [{ ...file, templates: [...file.templates, { ...file.templates[0] }] }, { 'file.templates.3.id': 'Is not valid.' }],
        [{ ...file, registrations: [{ channel: 'bark' }] }, { 'file.registrations.0.id': 'Required.', 'file.registrations.0.name': 'Required.' }],
        [{ ...file, extra: true }, { 'file.extra': 'Unknown field.' }],
      ];
      for (const [bad, fields] of cases) {
        const res = await as(fay)('POST', '/import', { file: bad });
        assert.equal(res.status, 400, JSON.stringify(bad).slice(0, 80));
        assert.equal(res.body.error.message, 'The file cannot be imported; nothing was changed.');
        assert.deepEqual(Object.keys(res.body.error.fields), Object.keys(fields));
        for (const [path, message] of Object.entries(fields)) if (message) assert.equal(res.body.error.fields[path], message);
      }
      const raw = await api(app.url, 'POST', '/import', { token: fay.token, rawBody: 'not json' });
      assertApiError(raw, 400, { code: 'invalid_json' });
      assertApiError(await as(fay)('POST', '/import', {}), 400, { code: 'invalid_input', fields: { file: 'Required.' } });
      assert.deepEqual(await counts(app.url, fay.token), before);
    });

    it('skips and reports objects that do not validate, and imports the rest', async () => {
      const file = (await as(ada)('GET', '/export')).body;
      file.templates[1].steps = []; // "Other chore": its task goes too
      file.tasks.push({ ...file.tasks[0], id: 9, name: 'Orphan', templateId: 77 });
      file.registrations.push({ id: 3, channel: 'pigeon', name: 'Carrier pigeon', enabled: true, config: {} });
      file.tasks[0].push.override.registrationIds = [2, 3];
      const gil = await userWithToken(app.url, `gil-${dialect}@example.com`);
      const res = await as(gil)('POST', '/import', { file });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { created, skipped } = res.body;
      assert.deepEqual(skipped, [
        { kind: 'registration', name: 'Carrier pigeon', fileId: 3, reason: 'The channel “pigeon” does not exist on this server.' },
        { kind: 'template', name: 'Other chore', fileId: 2, reason: 'steps: A template needs at least one step.' },
        { kind: 'task', name: 'Now and then', fileId: 2, reason: 'Its template (2 in the file) was skipped.' },
        { kind: 'task', name: 'Orphan', fileId: 9, reason: 'Its template (77 in the file) is not in the file.' },
      ]);
      assert.deepEqual(created.templates.map((t: { name: string }) => t.name), ['Check in', 'Shared by Olga']);
      assert.deepEqual(created.tasks.map((t: { name: string }) => t.name), ['Daily check-in']);
      assert.deepEqual(created.tasks[0].notes, ['1 push registration it chose was not imported and was left out of its settings.', 'Switched off: its secrets were not imported.']);
      const task = (await as(gil)('GET', `/tasks/${created.tasks[0].id}`)).body;
      assert.deepEqual(task.push.override.registrationIds, [created.registrations[1].id]);
    });

    it('keeps push settings the account already has unless asked to replace them', async () => {
      const file = (await as(ada)('GET', '/export')).body;
      const hal = await userWithToken(app.url, `hal-${dialect}@example.com`);
      await as(hal)('PUT', '/push/settings', { defaults: { autoSuccess: true }, digest: { enabled: false } });
      const kept = await as(hal)('POST', '/import', { file: { ...file, templates: [], tasks: [], registrations: [] } });
      assert.equal(kept.body.created.pushSettings, false);
      assert.deepEqual(kept.body.skipped.map((s: { kind: string }) => s.kind), ['pushSettings']);
      assert.equal((await as(hal)('GET', '/push/settings')).body.defaults.autoSuccess, true);
      const replaced = await as(hal)('POST', '/import', { file: { ...file, templates: [], tasks: [], registrations: [] }, replacePushSettings: true });
      assert.equal(replaced.body.created.pushSettings, true);
      const settings = (await as(hal)('GET', '/push/settings')).body;
      assert.equal(settings.defaults.failureThreshold, 3);
      assert.deepEqual(settings.defaults.registrationIds, [], 'registrations not in the import are dropped');
    });

    it('leaves nothing behind when the import fails midway', async () => {
      const file = (await as(ada)('GET', '/export')).body;
      const ivy = await userWithToken(app.url, `ivy-${dialect}@example.com`);
      const before = await counts(app.url, ivy.token);
      const user = (await usersRepo(app.database.db.knex).findById(ivy.id))!;
      // The second task's random delay throws: by then registrations, templates and the first task (off:
      // its secret is not in the file, so it has no next run to draw) were written.
      file.tasks[1].randomDelay = { min: 0, max: 10 };
      let calls = 0;
      const { importFile } = await import('../../src/portability/import.js');
      const deps = {
        knex: app.database.db.knex,
        box,
        clock: { now: () => Date.now() },
        defaultTimezone: 'UTC',
        http: app.services.http,
        random: () => {
          if (++calls === 1) throw new Error('the database went away');
          return 0.5;
        },
      };
      file.tasks[1].enabled = true;
      await assert.rejects(importFile(deps, user, file), /went away/);
      assert.equal(calls, 1);
      assert.deepEqual(await counts(app.url, ivy.token), before);
    });
  });
}
