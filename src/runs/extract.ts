// Extraction rules: body regex, JSON path, header, status (SEMANTICS.md §1).
import type { ExtractRule } from '../templates/schema.js';
import { parseRegex } from './regex.js';
import { bodyText, jsonValue, headerText, RuleError, type ResponseView } from './response-view.js';

/** The first capture group, else the whole match. */
const valueOfMatch = (m: RegExpMatchArray) => (m.length > 1 ? (m[1] ?? '') : m[0]);

/** The extracted value (a string, a list for `all`/`/re/g`, any JSON value for `json`), or undefined for no match. */
export function extractValue(view: ResponseView, rule: Pick<ExtractRule, 'from' | 'pattern' | 'path' | 'header' | 'all'>): unknown {
  switch (rule.from) {
    case 'status':
      // QD applies the rule's regex to the status and to headers too, when there is one.
      return rule.pattern ? matchText(String(view.status), rule) : String(view.status);
    case 'header': {
      const text = headerText(view, rule.header);
      return rule.pattern && text !== undefined ? matchText(text, rule) : text;
    }
    case 'json':
      return jsonValue(view, rule.path ?? '$');
    case 'body':
      return matchText(bodyText(view), rule);
  }
}

/** The rule's regex on `text`: the first capture group (or the match), every match with `all`/`/re/g`. */
function matchText(text: string, rule: Pick<ExtractRule, 'pattern' | 'all'>): unknown {
  let parsed;
  try {
    parsed = parseRegex(rule.pattern ?? '');
  } catch (err) {
    throw new RuleError(`invalid regular expression ${rule.pattern}: ${(err as Error).message}`);
  }
  if (rule.all || parsed.global) {
    const all = [...text.matchAll(parsed.regex)].map(valueOfMatch);
    return all.length ? all : undefined;
  }
  const m = parsed.regex.exec(text);
  return m ? valueOfMatch(m) : undefined;
}
