// Failures that are not the user's fault: a 500 page or JSON error, never a stack trace.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/db.js';
import { startTestApp } from '../helpers/app.js';
import { WebClient, api } from '../helpers/client.js';

for (const dialect of DIALECTS) {
  describe(`unexpected errors (${dialect})`, () => {
    it('shows the 500 page and a JSON 500 when the database is gone, without internals', async () => {
      const app = await startTestApp(dialect);
      try {
        const browser = new WebClient(app.url);
        await browser.register(`gone-${dialect}@example.com`);
        await app.database.db.knex.destroy();

        const page = await browser.get('/account');
        assert.equal(page.status, 500);
        assert.match(page.html, /Something went wrong on our side/);
        assert.match(page.html, /It has been logged/);
        assert.doesNotMatch(page.html, /\bat .+\.(ts|js):\d+/, 'no stack trace');
        assert.doesNotMatch(page.html, /knex|pool|destroyed/i, 'no driver internals');

        const res = await api(app.url, 'GET', '/me', { token: 'chm_whatever' });
        assert.equal(res.status, 500);
        assert.equal(res.body.error.code, 'internal');
        assert.doesNotMatch(JSON.stringify(res.body), /\bat .+\.(ts|js):\d+|knex|pool/i);

        const health = await fetch(app.url + '/healthz');
        assert.equal(health.status, 503);
        assert.deepEqual(await health.json(), { ok: false, db: dialect, error: 'database unreachable' });
      } finally {
        await app.close();
      }
    });

    it('answers a too-large or malformed body with 413/400, not 500', async () => {
      const app = await startTestApp(dialect);
      try {
        const big = await api(app.url, 'POST', '/register', { rawBody: JSON.stringify({ email: 'x'.repeat(6 * 1024 * 1024) }) });
        assert.equal(big.status, 413);
        assert.equal(big.body.error.code, 'too_large');
        const broken = await api(app.url, 'POST', '/register', { rawBody: '{"email": ' });
        assert.equal(broken.status, 400);
        assert.equal(broken.body.error.code, 'invalid_json');
        const wrongType = await api(app.url, 'POST', '/register', { body: ['not', 'an', 'object'] });
        assert.equal(wrongType.status, 400);
      } finally {
        await app.close();
      }
    });
  });
}
