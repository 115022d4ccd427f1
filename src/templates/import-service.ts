// Turns an uploaded or pasted HAR file or curl command into a template input, or says what is wrong.
import { z } from 'zod';
import { AppError } from '../lib/errors.js';
import { fieldErrorsFrom } from '../lib/validation.js';
import { detectFormat, ImportError, type ImportResult } from './import/index.js';
import { importHar } from './import/har.js';
import { importCurl } from './import/curl.js';
import { importQd } from './import/qd.js';
import { templateSchema, type TemplateInput } from './schema.js';

export const importRequestSchema = z
  .object({
    format: z.enum(['har', 'curl', 'qd']).optional(),
    content: z.union([z.string().min(1, { error: 'errors.required' }).max(50 * 1024 * 1024), z.record(z.string(), z.unknown()), z.array(z.unknown())]),
    name: z.string().trim().max(100).optional(),
    dropStaticAssets: z.boolean().optional(),
  })
  .strict();

export type ImportRequest = z.infer<typeof importRequestSchema>;
export type Warning = { key: string; params?: Record<string, string | number> };

const invalidImport = (key: string, params?: Record<string, string | number>) =>
  new AppError(400, 'invalid_import', key, { content: { key, params } }, params);

export function importTemplate(request: ImportRequest): { template: TemplateInput; warnings: Warning[] } {
  // QD's template files end in .har too: a QD file sent as "har" is read as what it is.
  const detected = detectFormat(request.content);
  const format = request.format === 'har' && detected === 'qd' ? 'qd' : (request.format ?? detected);
  let result: ImportResult;
  try {
    if (format === 'har') result = importHar(request.content, { dropStaticAssets: request.dropStaticAssets ?? true, name: request.name || undefined });
    else if (format === 'curl') result = importCurl(String(request.content), { name: request.name || undefined });
    else if (format === 'qd') result = importQd(request.content, { name: request.name || undefined });
    else throw invalidImport('import.unknown_format');
  } catch (err) {
    if (err instanceof ImportError) throw invalidImport(err.messageKey, err.params);
    throw err;
  }
  // The importers aim to produce valid templates; this is the guarantee.
  const checked = templateSchema.safeParse(result.template);
  if (!checked.success) {
    const [path, message] = Object.entries(fieldErrorsFrom(checked.error))[0]!;
    throw invalidImport('import.result_invalid', { field: path, problem: message.key });
  }
  return { template: checked.data, warnings: result.warnings };
}
