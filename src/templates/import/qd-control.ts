// QD's control entries (an entry whose url is one Jinja block tag: `{% for x in seq %}` … `{% endfor %}`)
// and its `api://` entries: both stay steps as they are (QD-COMPAT.md "Control entries", "api:// entries").
import type { Message } from '../../lib/errors.js';

export type Control = { tag: string; expression?: string; targets: string[] };

// The whole url is one tag: `{% if x %}https://a{% endif %}` is a request whose URL has a condition.
const TAG = /^\s*\{%-?\s*([A-Za-z_]+)\b((?:(?!%\})[\s\S])*?)-?%\}\s*$/;
const OPENERS: Record<string, string> = { if: 'endif', for: 'endfor', while: 'endwhile' };
const CLOSERS = new Set(Object.values(OPENERS));

/** The tag of a control entry, or undefined for a request. */
export function controlOf(url: string): Control | undefined {
  const m = TAG.exec(url);
  if (!m) return undefined;
  const tag = m[1]!;
  const rest = m[2]!.trim();
  if (tag === 'for') {
    const loop = /^([\s\S]+?)\s+in\s+([\s\S]+)$/.exec(rest);
    if (!loop) return { tag, expression: rest, targets: [] };
    return { tag, expression: loop[2]!, targets: loop[1]!.split(',').map((t) => t.trim().replace(/^\(|\)$/g, '')).filter(Boolean) };
  }
  return { tag, expression: ['if', 'elif', 'while'].includes(tag) && rest ? rest : undefined, targets: [] };
}

/**
 * The stack QD nests control entries with. A mismatch is only warned about here: the run names the
 * entry when it reaches it, as QD does ("Failed at 7/20 end tag …").
 */
export class ControlNesting {
  private readonly open: { tag: string; index: number }[] = [];

  enter(control: Control, index: number, warnings: Message[]): void {
    const { tag } = control;
    const top = this.open.at(-1);
    if (OPENERS[tag]) this.open.push({ tag, index });
    else if (tag === 'elif' || tag === 'else') {
      if (top?.tag !== 'if') warnings.push({ key: 'import.qd_control_unbalanced', params: { index, tag } });
    } else if (CLOSERS.has(tag)) {
      if (top && OPENERS[top.tag] === tag) this.open.pop();
      else warnings.push({ key: 'import.qd_control_unbalanced', params: { index, tag } });
    } else {
      warnings.push({ key: 'import.qd_control_unknown', params: { index, tag } });
    }
  }

  finish(warnings: Message[]): void {
    for (const { tag, index } of this.open) warnings.push({ key: 'import.qd_control_unclosed', params: { index, tag } });
  }
}

export const isApiUrl = (url: string) => /^\s*api:\/\//i.test(url);

// The utilities of QD-COMPAT.md's table; the path may go on (`delay/3`) or take a query string.
const KNOWN_API = /^\s*api:\/\/util\/(?:delay|unicode|urldecode|gb2312|regex|string\/replace|timestamp)(?:[/?#]|\s*$)/i;
const OCR_API = /^\s*api:\/\/util\/dddd(?:[/?#]|\s*$)/i;

/** OCR needs a model file Chime does not ship; other utilities Chime does not answer are named too. */
export function warnApiUrl(url: string, index: number, warnings: Message[]): void {
  if (OCR_API.test(url)) warnings.push({ key: 'import.qd_ocr', params: { index } });
  else if (!KNOWN_API.test(url)) warnings.push({ key: 'import.qd_api_unknown', params: { index, url: url.trim().slice(0, 200) } });
}
