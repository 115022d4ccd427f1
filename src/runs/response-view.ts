// A response as rules and extraction rules read it: body text, a JSON value, headers, the status.
import { JSONPath } from 'jsonpath-plus';

export type ResponseView = {
  status: number;
  headers: [string, string][];
  contentType: string;
  body: Buffer;
};

export class RuleError extends Error {}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|[\w.+-]*\+(json|xml)))/i;

export function isTextual(contentType: string): boolean {
  return contentType === '' || TEXT_TYPES.test(contentType);
}

/** Decodes the body in the charset the server declared (GBK and friends are common on QD's sites). */
export function bodyText(view: ResponseView): string {
  if (/^image\//i.test(view.contentType)) return view.body.toString('base64'); // as QD: rules see base64
  const charset = /charset=["']?([\w-]+)/i.exec(view.contentType)?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(view.body);
  } catch {
    return new TextDecoder('utf-8').decode(view.body);
  }
}

/** One header (all its values joined by ", "), or every header as "Name: value" lines (QD's `header`). */
export function headerText(view: ResponseView, name?: string): string | undefined {
  if (!name) return view.headers.map(([k, v]) => `${k}: ${v}`).join('\n');
  const wanted = name.toLowerCase();
  const values = view.headers.filter(([k]) => k.toLowerCase() === wanted).map(([, v]) => v);
  return values.length ? values.join(', ') : undefined;
}

const parsedJson = new WeakMap<Buffer, unknown>();

/** The value at a JSON path such as `$.data.msg` or `$.items[0].id`; undefined when absent. */
export function jsonValue(view: ResponseView, path: string): unknown {
  let doc = parsedJson.get(view.body);
  if (doc === undefined) {
    try {
      doc = JSON.parse(bodyText(view));
    } catch {
      throw new RuleError('the response is not JSON');
    }
    parsedJson.set(view.body, doc);
  }
  const normalized = path.startsWith('$') ? path : `$.${path}`;
  let found: unknown[];
  try {
    // eval: false — paths come from users; script filters are not evaluated at all.
    found = JSONPath({ path: normalized, json: doc as object, wrap: true, eval: false }) as unknown[];
  } catch (err) {
    throw new RuleError(`invalid JSON path ${path}: ${(err as Error).message}`);
  }
  if (found.length === 0) return undefined;
  return found.length === 1 ? found[0] : found;
}

/** A value as text for comparisons and variables: objects as JSON, nothing as "". */
export function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
