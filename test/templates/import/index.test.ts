// detectFormat: what an upload is when the caller did not say (API.md "Templates": import).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { detectFormat, finishTemplate, ImportError } from '../../../src/templates/import/index.js';
import { assertImportError, FIXTURES } from './helpers.js';
import { QD_FIXTURES_DIR } from '../../helpers/qd-fixtures.js';

const QD_FIXTURE = path.join(QD_FIXTURES_DIR ?? '/nonexistent', '2DFan.har');

describe('detectFormat', () => {
  it('calls a HAR a HAR, parsed or as the text of the file', () => {
    const text = fs.readFileSync(path.join(FIXTURES, 'chrome-page-load.har'), 'utf8');
    assert.equal(detectFormat(text), 'har');
    assert.equal(detectFormat(`\uFEFF${text}`), 'har');
    assert.equal(detectFormat(JSON.parse(text)), 'har');
    assert.equal(detectFormat({ log: { entries: [] } }), 'har');
  });

  it("calls QD's own template file QD", { skip: !fs.existsSync(QD_FIXTURE) && `${QD_FIXTURE} is not here` }, () => {
    const text = fs.readFileSync(QD_FIXTURE, 'utf8');
    assert.equal(detectFormat(text), 'qd');
    assert.equal(detectFormat(JSON.parse(text)), 'qd');
  });

  it('calls a list of {request, rule} entries QD, and other lists nothing', () => {
    const entry = { request: { method: 'GET', url: 'https://example.com/', headers: [] }, rule: { success_asserts: [] } };
    assert.equal(detectFormat([entry, entry]), 'qd');
    assert.equal(detectFormat(JSON.stringify([entry])), 'qd');
    assert.equal(detectFormat([]), undefined);
    assert.equal(detectFormat([entry, { request: entry.request }]), undefined);
    assert.equal(detectFormat([1, 2]), undefined);
  });

  it('calls a command line starting with curl curl', () => {
    assert.equal(detectFormat("curl 'https://example.com/'"), 'curl');
    assert.equal(detectFormat('  \n curl -X POST https://example.com/'), 'curl');
    assert.equal(detectFormat('curl.exe ^"https://example.com/^"'), 'curl');
    assert.equal(detectFormat('CURL https://example.com/'), 'curl');
    assert.equal(detectFormat('curly https://example.com/'), undefined);
    assert.equal(detectFormat('wget https://example.com/'), undefined);
  });

  it('knows nothing else', () => {
    for (const content of [undefined, null, 42, '', 'hello', '"curl x"', '{"log":{}}', { log: { entries: {} } }, { entries: [] }]) {
      assert.equal(detectFormat(content), undefined, JSON.stringify(content));
    }
  });
});

describe('ImportError', () => {
  it('carries an i18n key, its params and an untranslated detail', () => {
    const err = new ImportError('import.not_json', { detail: 'Unexpected end' }, 'Unexpected end');
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'ImportError');
    assert.equal(err.message, 'import.not_json');
    assert.deepEqual(err.params, { detail: 'Unexpected end' });
    assert.equal(err.detail, 'Unexpected end');
    assert.deepEqual(new ImportError('import.curl_no_url').params, {});
  });
});

describe('finishTemplate', () => {
  it('returns the template as saving would store it', () => {
    const draft = { name: ' Site ', steps: [{ method: 'GET' as const, url: 'https://example.com/' }] };
    assert.deepEqual(finishTemplate(draft), { name: 'Site', public: false, variables: [], steps: [{ method: 'GET', url: 'https://example.com/' }] });
  });

  it('turns a template that would not save into import.result_invalid naming the field', () => {
    assertImportError(() => finishTemplate({ name: 'x', steps: [] }), 'import.result_invalid', { field: 'steps', problem: 'errors.steps_required' });
  });
});
