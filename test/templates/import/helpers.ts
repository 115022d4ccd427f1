// Shared checks for the importer tests: every template must survive the schema unchanged, and an
// ImportError must carry exactly the key and params the app will translate.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { templateSchema } from '../../../src/templates/schema.js';
import { ImportError, type ImportResult } from '../../../src/templates/import/index.js';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The result, after checking that saving it would store exactly what the importer returned. */
export function savable(result: ImportResult): ImportResult {
  assert.deepEqual(templateSchema.parse(result.template), result.template);
  return result;
}

/** The only step of a one-step import, after checking the template around it. */
export function stepOf(result: ImportResult, siteUrl: string) {
  savable(result);
  assert.equal(result.template.siteUrl, siteUrl);
  assert.equal(result.template.steps.length, 1);
  return result.template.steps[0]!;
}

export function assertImportError(run: () => unknown, messageKey: string, params: Record<string, string | number> = {}): ImportError {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ImportError, `expected an ImportError ${messageKey}, got ${String(caught)}`);
  assert.equal(caught.messageKey, messageKey);
  assert.deepEqual(caught.params, params);
  return caught;
}
