// Regular expressions as template authors write them: QD's `/pattern/flags` form, in Python syntax
// (translated by the same code as the Jinja regex filters, so a pattern means the same everywhere).
import { compilePythonRegex } from '../lib/jinja.js';

export type ParsedRegex = { regex: RegExp; global: boolean };

/**
 * "/re/gi" → flags given; anything else is the pattern itself. `g` means "all matches" (QD stores the
 * list). The RegExp returned has the `g` flag: callers start from lastIndex 0 (compilePythonRegex
 * resets it) and use it once.
 */
export function parseRegex(text: string): ParsedRegex {
  const slashed = /^\/([\s\S]*)\/([gimsu]*)$/.exec(text);
  const source = slashed ? slashed[1]! : text;
  const flags = slashed ? slashed[2]! : '';
  let regex: RegExp;
  try {
    regex = compilePythonRegex(source, { ignorecase: flags.includes('i'), multiline: flags.includes('m'), dotall: flags.includes('s') });
  } catch (err) {
    // The translator's message already says which pattern and what is wrong with it.
    throw new Error((err as Error).message.replace(/^invalid regular expression '.*?': /, ''));
  }
  return { regex, global: flags.includes('g') };
}
