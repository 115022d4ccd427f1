// Access control: a user never sees or changes another user's objects. Another user's id reads the
// same as an id that does not exist, and anything that is not an id is the same 404 (never a 400 or
// 500), so ids cannot be probed.
//
// This is the start of a suite that every later feature extends: each kind of object a user owns
// gets a row in OWNED (how to make one, how to check it is untouched, and every URL that takes its
// id, in the API and in the pages). The tests below are generated from the rows.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from './helpers/db.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { WebClient, api, assertApiError, userWithToken } from './helpers/client.js';

const PASSWORD = 'correct horse battery';

/** A user with an API token and a logged-in browser that holds a CSRF token. */
type Actor = { id: number; email: string; token: string; browser: WebClient };

/** One URL that takes an object's id, and what it answers the owner. */
type Endpoint = {
  via: 'api' | 'page';
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: (id: string) => string;
  /** JSON for the API, form fields (strings) for pages. */
  body?: Record<string, unknown>;
  ownerStatus: number;
};

type OwnedKind = {
  name: string;
  /** Makes one object owned by `owner`; `assertIntact` fails if it has been seen changed or removed. */
  create(app: TestApp, owner: Actor): Promise<{ id: number; assertIntact(): Promise<void> }>;
  /** Where one's own objects are listed (in the API and in the pages), and how to read their ids. */
  lists: { via: 'api' | 'page'; path: string; ids(body: any): number[] }[];
  endpoints: Endpoint[];
};

const OWNED: OwnedKind[] = [
  {
    name: 'API token',
    async create(app, owner) {
      const res = await api(app.url, 'POST', '/tokens', { body: { email: owner.email, password: PASSWORD, name: 'owned' } });
      assert.equal(res.status, 201);
      const { id, token } = res.body as { id: number; token: string };
      return {
        id,
        async assertIntact() {
          assert.equal((await api(app.url, 'GET', '/me', { token })).body.id, owner.id, 'the token still works');
        },
      };
    },
    lists: [
      { via: 'api', path: '/tokens', ids: (body) => body.items.map((t: { id: number }) => t.id) },
      { via: 'page', path: '/account', ids: (html: string) => [...html.matchAll(/action="\/account\/tokens\/(\d+)\/revoke"/g)].map((m) => Number(m[1])) },
    ],
    endpoints: [
      { via: 'api', method: 'DELETE', path: (id) => `/tokens/${id}`, ownerStatus: 204 },
      { via: 'page', method: 'POST', path: (id) => `/account/tokens/${id}/revoke`, ownerStatus: 303 },
    ],
  },
  {
    name: 'template',
    async create(app, owner) {
      const { id } = await makeTemplate(app, owner);
      return {
        id,
        async assertIntact() {
          const res = await api(app.url, 'GET', `/templates/${id}`, { token: owner.token });
          assert.equal(res.status, 200);
          assert.equal(res.body.name, 'private recipe');
          assert.equal(res.body.note, null);
        },
      };
    },
    lists: [
      { via: 'api', path: '/templates', ids: (body) => body.items.map((t: { id: number }) => t.id) },
      { via: 'page', path: '/templates', ids: (html: string) => [...html.matchAll(/href="\/templates\/(\d+)(?:\/edit)?"/g)].map((m) => Number(m[1])) },
    ],
    endpoints: [
      { via: 'api', method: 'GET', path: (id) => `/templates/${id}`, ownerStatus: 200 },
      { via: 'api', method: 'PATCH', path: (id) => `/templates/${id}`, body: { note: 'changed' }, ownerStatus: 200 },
      { via: 'api', method: 'POST', path: (id) => `/templates/${id}/test`, ownerStatus: 200 },
      { via: 'api', method: 'POST', path: (id) => `/templates/${id}/copy`, ownerStatus: 201 },
      { via: 'api', method: 'DELETE', path: (id) => `/templates/${id}`, ownerStatus: 204 },
      { via: 'page', method: 'GET', path: (id) => `/templates/${id}`, ownerStatus: 303 },
      { via: 'page', method: 'GET', path: (id) => `/templates/${id}/edit`, ownerStatus: 200 },
      { via: 'page', method: 'POST', path: (id) => `/templates/${id}/edit`, body: { op: 'add-step', name: 'x' }, ownerStatus: 200 },
      { via: 'page', method: 'POST', path: (id) => `/templates/${id}/copy`, ownerStatus: 303 },
      { via: 'page', method: 'GET', path: (id) => `/templates/${id}/delete`, ownerStatus: 200 },
      { via: 'page', method: 'POST', path: (id) => `/templates/${id}/delete`, ownerStatus: 303 },
    ],
  },
  {
    name: 'task',
    async create(app, owner) {
      const { id } = await makeTask(app, owner);
      return {
        id,
        async assertIntact() {
          const res = await api(app.url, 'GET', `/tasks/${id}`, { token: owner.token });
          assert.equal(res.status, 200);
          assert.equal(res.body.name, 'private task');
          assert.equal(res.body.successCount + res.body.failureCount, 0, 'nobody ran it');
          assert.equal(res.body.enabled, true, 'nobody toggled it');
        },
      };
    },
    lists: [
      { via: 'api', path: '/tasks', ids: (body) => body.items.map((t: { id: number }) => t.id) },
      { via: 'page', path: '/tasks', ids: (html: string) => [...html.matchAll(/href="\/tasks\/(\d+)"/g)].map((m) => Number(m[1])) },
    ],
    endpoints: [
      { via: 'api', method: 'GET', path: (id) => `/tasks/${id}`, ownerStatus: 200 },
      { via: 'api', method: 'GET', path: (id) => `/tasks/${id}/runs`, ownerStatus: 200 },
      { via: 'api', method: 'PATCH', path: (id) => `/tasks/${id}`, body: { note: 'changed' }, ownerStatus: 200 },
      { via: 'api', method: 'POST', path: (id) => `/tasks/${id}/run`, ownerStatus: 200 },
      { via: 'api', method: 'DELETE', path: (id) => `/tasks/${id}`, ownerStatus: 204 },
      { via: 'page', method: 'GET', path: (id) => `/tasks/${id}`, ownerStatus: 200 },
      { via: 'page', method: 'GET', path: (id) => `/tasks/${id}/edit`, ownerStatus: 200 },
      { via: 'page', method: 'POST', path: (id) => `/tasks/${id}/edit`, body: { name: 'renamed' }, ownerStatus: 303 },
      { via: 'page', method: 'POST', path: (id) => `/tasks/${id}/run`, ownerStatus: 303 },
      { via: 'page', method: 'POST', path: (id) => `/tasks/${id}/toggle`, ownerStatus: 303 },
      { via: 'page', method: 'POST', path: (id) => `/tasks/${id}/push`, body: { pushEnabled: 'on', pushMode: 'override', failureThreshold: '3' }, ownerStatus: 303 },
      { via: 'page', method: 'GET', path: (id) => `/tasks/${id}/delete`, ownerStatus: 200 },
      { via: 'page', method: 'POST', path: (id) => `/tasks/${id}/delete`, ownerStatus: 303 },
    ],
  },
  {
    name: 'run',
    async create(app, owner) {
      const task = await makeTask(app, owner);
      const run = await api(app.url, 'POST', `/tasks/${task.id}/run`, { token: owner.token });
      assert.equal(run.status, 200);
      const id = run.body.id as number;
      return {
        id,
        async assertIntact() {
          assert.equal((await api(app.url, 'GET', `/runs/${id}`, { token: owner.token })).status, 200);
        },
      };
    },
    lists: [],
    endpoints: [
      { via: 'api', method: 'GET', path: (id) => `/runs/${id}`, ownerStatus: 200 },
      { via: 'page', method: 'GET', path: (id) => `/runs/${id}`, ownerStatus: 200 },
    ],
  },
  {
    name: 'push registration',
    async create(app, owner) {
      const res = await api(app.url, 'POST', '/push/registrations', {
        token: owner.token,
        body: { channel: 'bark', name: 'private phone', config: { serverUrl: 'http://127.0.0.1:1', deviceKey: 'private-device-key' } },
      });
      assert.equal(res.status, 201);
      const id = res.body.id as number;
      return {
        id,
        async assertIntact() {
          const read = await api(app.url, 'GET', `/push/registrations/${id}`, { token: owner.token });
          assert.equal(read.status, 200);
          assert.equal(read.body.name, 'private phone');
          assert.equal(read.body.enabled, true, 'nobody toggled it');
          assert.equal(read.body.config.deviceKey, '••••-key', 'nobody changed its secret');
        },
      };
    },
    lists: [{ via: 'api', path: '/push/registrations', ids: (body) => body.items.map((r: { id: number }) => r.id) }],
    endpoints: [
      { via: 'api', method: 'GET', path: (id) => `/push/registrations/${id}`, ownerStatus: 200 },
      { via: 'api', method: 'PATCH', path: (id) => `/push/registrations/${id}`, body: { enabled: false }, ownerStatus: 200 },
      { via: 'api', method: 'POST', path: (id) => `/push/registrations/${id}/test`, ownerStatus: 200 },
      { via: 'api', method: 'DELETE', path: (id) => `/push/registrations/${id}`, ownerStatus: 204 },
    ],
  },
];

// The recipes point at a closed loopback port: runs fail at once, and nothing leaves the machine.
async function makeTemplate(app: TestApp, owner: Actor): Promise<{ id: number }> {
  const res = await api(app.url, 'POST', '/templates', {
    token: owner.token,
    body: { name: 'private recipe', steps: [{ method: 'GET', url: 'http://127.0.0.1:1/' }] },
  });
  assert.equal(res.status, 201);
  return { id: res.body.id };
}

async function makeTask(app: TestApp, owner: Actor): Promise<{ id: number }> {
  const template = await makeTemplate(app, owner);
  const res = await api(app.url, 'POST', '/tasks', { token: owner.token, body: { templateId: template.id, name: 'private task' } });
  assert.equal(res.status, 201);
  return { id: res.body.id };
}

// Not ids, or ids of nothing: all must read as "not found".
const BAD_IDS = ['0', '-1', 'abc', '1e3', '1.5', '0x10', '99999999999', '9999999999', '2147483648', '999999'];

let seq = 0;

for (const dialect of DIALECTS) {
  describe(`access control (${dialect})`, () => {
    let app: TestApp;

    before(async () => {
      app = await startTestApp(dialect);
      await userWithToken(app.url, `admin-${++seq}@example.com`, PASSWORD); // the first user is the admin; owners and intruders are regular users
    });
    after(() => app.close());

    async function newActor(label: string): Promise<Actor> {
      const user = await userWithToken(app.url, `${label}-${++seq}@example.com`, PASSWORD);
      const browser = new WebClient(app.url);
      assert.equal((await browser.login(user.email)).status, 303);
      await browser.get('/account');
      return { id: user.id, email: user.email, token: user.token, browser };
    }

    async function perform(actor: Actor, endpoint: Endpoint, id: string) {
      const path = endpoint.path(id);
      if (endpoint.via === 'api') return api(app.url, endpoint.method, path, { token: actor.token, body: endpoint.body });
      const page = endpoint.method === 'POST' ? await actor.browser.post(path, endpoint.body as Record<string, string> | undefined) : await actor.browser.request(endpoint.method, path);
      return { status: page.status, body: page.html };
    }

    function assertNotFound(res: { status: number; body: any }, endpoint: Endpoint, id: string) {
      const what = `${endpoint.method} ${endpoint.path(id)}`;
      if (endpoint.via === 'api') {
        assertApiError(res, 404, { code: 'not_found', message: 'There is nothing here. It may have been deleted, or the link is wrong.' });
      } else {
        assert.equal(res.status, 404, what);
        assert.match(res.body, /Page not found/, what);
      }
    }

    for (const kind of OWNED) {
      for (const endpoint of kind.endpoints) {
        const route = `${endpoint.via === 'api' ? '/api/v1' : ''}${endpoint.path(':id')}`;

        it(`another user's ${endpoint.method} ${route} on an ${kind.name} answers 404 and changes nothing`, async () => {
          const owner = await newActor('owner');
          const intruder = await newActor('intruder');
          const owned = await kind.create(app, owner);
          await kind.create(app, intruder); // the intruder has objects of their own

          assertNotFound(await perform(intruder, endpoint, String(owned.id)), endpoint, String(owned.id));
          await owned.assertIntact();
          // The same request from the owner works, so the 404 was about whose object it is.
          assert.equal((await perform(owner, endpoint, String(owned.id))).status, endpoint.ownerStatus);
        });

        it(`${endpoint.method} ${route} answers 404 for ids that are not ids or name nothing`, async () => {
          const user = await newActor('prober');
          await kind.create(app, user);
          for (const id of BAD_IDS) assertNotFound(await perform(user, endpoint, id), endpoint, id);
        });
      }

      for (const list of kind.lists) {
        const route = `${list.via === 'api' ? '/api/v1' : ''}${list.path}`;
        it(`GET ${route} shows one's own ${kind.name}s and no one else's`, async () => {
          const owner = await newActor('owner');
          const intruder = await newActor('intruder');
          const owned = await kind.create(app, owner);
          const theirs = await kind.create(app, intruder);
          const idsSeenBy = async (actor: Actor) => {
            const res = list.via === 'api' ? await api(app.url, 'GET', list.path, { token: actor.token }) : await actor.browser.get(list.path);
            assert.equal(res.status, 200);
            return list.ids('html' in res ? res.html : res.body);
          };
          const ownerSees = await idsSeenBy(owner);
          const intruderSees = await idsSeenBy(intruder);
          assert.ok(ownerSees.includes(owned.id) && !ownerSees.includes(theirs.id), `the owner sees ${ownerSees}`);
          assert.ok(intruderSees.includes(theirs.id) && !intruderSees.includes(owned.id), `the intruder sees ${intruderSees}`);
        });
      }
    }
  });
}
