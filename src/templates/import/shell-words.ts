// Splits a pasted command line into words the way the shell it was copied for would: bash (what
// "Copy as cURL (bash)" and Firefox's "Copy as cURL (POSIX)" write) or Windows cmd.exe (the "(cmd)"
// variants, ^-escaped). Nothing is expanded or run: $VAR and `…` stay as written.
//
// Written here rather than taken from npm: `shlex` (the only maintained splitter that knows $'…')
// follows Python, not bash, inside double quotes ("\$" keeps its backslash) and loses \U escapes;
// `shell-quote` expands $VAR to nothing. Neither reads cmd.exe's carets.
import { ImportError } from './index.js';

/** `quoted`: some part of the word was quoted or escaped, so `|` or `>` in it is not an operator. */
export type Word = { text: string; quoted: boolean };

const unterminated = () => new ImportError('import.curl_unterminated_quote');

/**
 * Chrome's and Firefox's cmd copies quote every argument as ^"…^" and end lines with " ^"; `curl.exe`
 * is only ever typed on Windows. Anything else is read as bash, also "…" quoting written for cmd.
 */
export const looksLikeCmd = (line: string) => /\^\r?\n/.test(line) || /^\s*curl(?:\.exe)?\s+\^"/i.test(line) || /^\s*curl\.exe\s/i.test(line);

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?',
};

/**
 * The body of a $'…' string from `start` (just past the opening quote) up to its closing quote.
 * \x and octal escapes are bytes: a run of them is read as UTF-8 when it is valid UTF-8 (what bash
 * would send), else one character per byte (Firefox writes é as \xe9).
 */
function ansiC(src: string, start: number): { text: string; end: number } {
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (!bytes.length) return;
    const buf = Buffer.from(bytes);
    try {
      out += new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      out += buf.toString('latin1');
    }
    bytes = [];
  };
  let i = start;
  for (;;) {
    const c = src[i];
    if (c === undefined) throw unterminated();
    if (c === "'") break;
    if (c !== '\\') {
      flush();
      out += c;
      i++;
      continue;
    }
    const e = src[i + 1];
    if (e === undefined) throw unterminated();
    let m: RegExpExecArray | null;
    const rest = src.slice(i + 1, i + 11);
    if ((m = /^x([0-9a-fA-F]{1,2})/.exec(rest)) || (m = /^([0-7]{1,3})/.exec(rest))) {
      bytes.push(parseInt(m[1]!, m[0].startsWith('x') ? 16 : 8) & 0xff);
      i += 1 + m[0].length;
      continue;
    }
    flush();
    if ((m = /^u([0-9a-fA-F]{1,4})/.exec(rest)) || (m = /^U([0-9a-fA-F]{1,8})/.exec(rest))) {
      const code = parseInt(m[1]!, 16);
      if (code <= 0x10ffff) out += String.fromCodePoint(code);
      i += 1 + m[0].length;
    } else if (e === 'c' && src[i + 2] !== undefined && src[i + 2] !== "'") {
      out += String.fromCharCode(src.charCodeAt(i + 2) & 0x1f);
      i += 3;
    } else {
      // Bash keeps an unknown escape as written, backslash and all.
      out += SIMPLE_ESCAPES[e] ?? `\\${e}`;
      i += 2;
    }
  }
  flush();
  return { text: out, end: i + 1 };
}

/** Bash words: '…', "…", $'…', backslash escapes, and backslash-newline continuations. */
export function splitBash(src: string): Word[] {
  const words: Word[] = [];
  let word: Word | undefined;
  const add = (text: string, quoted: boolean) => {
    word ??= { text: '', quoted: false };
    word.text += text;
    word.quoted ||= quoted;
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const continuation = /^\\\r?\n/.exec(src.slice(i, i + 3));
      if (continuation) i += continuation[0].length;
      else {
        add(src[i + 1] ?? '', true);
        i += 2;
      }
    } else if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw unterminated();
      add(src.slice(i + 1, end), true);
      i = end + 1;
    } else if (c === '$' && src[i + 1] === "'") {
      const { text, end } = ansiC(src, i + 2);
      add(text, true);
      i = end;
    } else if (c === '"' || (c === '$' && src[i + 1] === '"')) {
      // $"…" is a string to translate by locale: without a catalog it is an ordinary "…".
      i += c === '$' ? 2 : 1;
      let text = '';
      for (;;) {
        const d = src[i];
        if (d === undefined) throw unterminated();
        if (d === '"') break;
        const next = src[i + 1];
        // Inside double quotes a backslash only escapes $ ` " \ and the newline (which it removes).
        if (d === '\\' && next !== undefined && '$`"\\\n'.includes(next)) {
          if (next !== '\n') text += next;
          i += 2;
        } else if (d === '\\' && next === '\r' && src[i + 2] === '\n') {
          i += 3;
        } else {
          text += d;
          i++;
        }
      }
      add(text, true);
      i++;
    } else if (/\s/.test(c)) {
      if (word) words.push(word);
      word = undefined;
      i++;
    } else if (c === '#' && !word) {
      // A comment runs to the end of the line.
      const eol = src.indexOf('\n', i);
      i = eol < 0 ? src.length : eol;
    } else {
      add(c, false);
      i++;
    }
  }
  if (word) words.push(word);
  return words;
}

/**
 * cmd.exe's part: outside its own "…" regions a caret makes the next character literal, and a caret
 * at the end of a line joins the next line; Chrome writes a newline inside a value as ^ plus two
 * newlines. Unescaped line breaks end the command in cmd.exe; pasted text means one command, so
 * they count as spaces.
 */
function undoCarets(src: string): string {
  let out = '';
  let inQuotes = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '"') inQuotes = !inQuotes;
    if (inQuotes || c !== '^') {
      out += !inQuotes && (c === '\n' || c === '\r') ? ' ' : c;
      continue;
    }
    const rest = src.slice(i + 1);
    const lineEnd = /^\r?\n/.exec(rest);
    if (!lineEnd) {
      out += rest[0] ?? '';
      i++;
      continue;
    }
    i += lineEnd[0].length;
    const blank = /^\r?\n/.exec(src.slice(i + 1));
    if (blank) {
      out += '\n';
      i += blank[0].length;
    } else if (src[i + 1] !== undefined) {
      // The first character of the joined line is taken literally.
      out += src[i + 1];
      i++;
    }
  }
  return out;
}

/**
 * Windows words, after cmd.exe: the C runtime's rules (CommandLineToArgvW). Spaces and tabs split
 * outside "…"; backslashes are literal except before a quote, where each pair is one backslash and
 * an odd one escapes the quote; "" inside quotes is a literal quote (older Chrome wrote those).
 */
export function splitCmd(src: string): Word[] {
  const line = undoCarets(src);
  const words: Word[] = [];
  let word: Word | undefined;
  let inQuotes = false;
  const add = (text: string, quoted: boolean) => {
    word ??= { text: '', quoted: false };
    word.text += text;
    word.quoted ||= quoted;
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '\\') {
      const run = /^\\+/.exec(line.slice(i))![0].length;
      if (line[i + run] === '"') {
        add('\\'.repeat(Math.floor(run / 2)) + (run % 2 ? '"' : ''), true);
        i += run + (run % 2);
      } else {
        add('\\'.repeat(run), false);
        i += run;
      }
    } else if (c === '"') {
      if (inQuotes && line[i + 1] === '"') {
        add('"', true);
        i += 2;
        continue;
      }
      inQuotes = !inQuotes;
      add('', true);
      i++;
    } else if (!inQuotes && (c === ' ' || c === '\t')) {
      if (word) words.push(word);
      word = undefined;
      i++;
    } else {
      add(c, false);
      i++;
    }
  }
  if (inQuotes) throw unterminated();
  if (word) words.push(word);
  return words;
}
