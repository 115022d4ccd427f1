// Regular expressions as template authors write them: QD's `/pattern/flags` form and Python syntax.

export type ParsedRegex = { regex: RegExp; global: boolean };

/** Python's named groups in JavaScript spelling: (?P<n>…) → (?<n>…), (?P=n) → \k<n>. */
export function fromPythonSyntax(pattern: string): string {
  return pattern.replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>');
}

/**
 * "/re/gi" → flags given; anything else is the pattern itself. `g` means "all matches" (QD stores the
 * list); the RegExp itself never keeps state between uses.
 */
export function parseRegex(text: string, extraFlags = ''): ParsedRegex {
  const slashed = /^\/([\s\S]*)\/([gimsu]*)$/.exec(text);
  const source = fromPythonSyntax(slashed ? slashed[1]! : text);
  const flags = slashed ? slashed[2]! : '';
  const unique = [...new Set((flags + extraFlags).replace('g', ''))].join('');
  return { regex: new RegExp(source, unique), global: flags.includes('g') };
}
