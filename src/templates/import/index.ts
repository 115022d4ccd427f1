// What every importer (HAR, curl, QD) returns and throws, and how an upload's format is recognised
// when the caller did not say (API.md "Templates": POST /api/v1/templates/import).
import type { z } from 'zod';
import type { Message } from '../../lib/errors.js';
import { fieldErrorsFrom } from '../../lib/validation.js';
import { templateSchema, type stepSchema, type TemplateInput } from '../schema.js';

/** Something the importer left out or changed; the key and params are translated where shown. */
export type ImportWarning = Message;

export type ImportResult = { template: TemplateInput; warnings: ImportWarning[] };

export type ImportFormat = 'har' | 'qd' | 'curl';

/**
 * The upload cannot become a template. `messageKey` is an i18n key under `import.`; `detail` is
 * untranslated text for logs (a parser's own message), never needed to understand the error.
 */
export class ImportError extends Error {
  constructor(
    readonly messageKey: string,
    readonly params: Record<string, string | number> = {},
    readonly detail?: string,
  ) {
    super(messageKey);
    this.name = 'ImportError';
  }
}

/** A step as the schema reads it: optional fields may simply be absent. */
export type StepDraft = z.input<typeof stepSchema>;

/**
 * The finished template, checked by the same schema that guards saving, so an importer never hands
 * on one that will not save. It should always pass; when it does not, the user is told which field
 * (the catalog's `import.result_invalid`) rather than shown a crash.
 */
export function finishTemplate(draft: z.input<typeof templateSchema>): TemplateInput {
  const checked = templateSchema.safeParse(draft);
  if (checked.success) return checked.data;
  const [field, problem] = Object.entries(fieldErrorsFrom(checked.error))[0] ?? ['_', { key: 'errors.invalid_value' }];
  throw new ImportError('import.result_invalid', { field, problem: problem.key }, checked.error.message);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A command line as pasted: optional leading spaces, then `curl` (or Windows' `curl.exe`) and a space. */
export const CURL_START = /^\s*curl(?:\.exe)?(?:\s|$)/i;

/** Text of an uploaded file: a UTF-8 byte order mark (Windows editors add one) is not content. */
export const withoutBom = (text: string) => text.replace(/^\uFEFF/, '');

/**
 * A JSON array of `{request, rule}` entries is QD's template, an object with `log.entries` is a HAR,
 * a string starting with `curl` is a command line; a string that parses as JSON is judged by what it
 * parses to. Anything else is undefined: the caller asks the user to say which format it is.
 */
export function detectFormat(content: unknown): ImportFormat | undefined {
  if (typeof content === 'string') {
    const text = withoutBom(content);
    if (CURL_START.test(text)) return 'curl';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    return typeof parsed === 'string' ? undefined : detectFormat(parsed);
  }
  if (Array.isArray(content)) {
    // QD's own files always have both; a list of anything else is not a template we know.
    const qdEntry = (e: unknown) => isObject(e) && isObject(e.request) && isObject(e.rule);
    return content.length > 0 && content.every(qdEntry) ? 'qd' : undefined;
  }
  if (isObject(content) && isObject(content.log) && Array.isArray(content.log.entries)) return 'har';
  return undefined;
}
