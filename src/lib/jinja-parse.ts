// Parsing: our lexer, a check that every block is closed (so the message names the block), then
// @huggingface/jinja's parser. The parser's nodes carry no positions, so afterwards we walk the tree
// alongside the lexer's tags and remember, for each node that starts a tag, where that tag is.
import { parse } from '@huggingface/jinja';
import { LexError, tokenizeTemplate, type Tag, type Token } from './jinja-lexer.js';

/** The parser's nodes, as far as we read them; `type` names the node class. */
export type Node = { type: string; [field: string]: unknown };
export type Program = { type: 'Program'; body: Node[] };
export type Span = { start: number; end: number };

export class ParseError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

/** Where each tag-starting node of a parsed template is in its source. */
const spans = new WeakMap<object, Span>();
export function spanOf(node: object): Span | undefined {
  return spans.get(node);
}

const BLOCKS: Record<string, string> = { if: 'endif', for: 'endfor', macro: 'endmacro', call: 'endcall', filter: 'endfilter', set: 'endset' };
const SUPPORTED = new Set(['if', 'elif', 'else', 'endif', 'for', 'endfor', 'macro', 'endmacro', 'call', 'endcall', 'filter', 'endfilter', 'set', 'endset', 'break', 'continue']);
const SYMBOLS: Record<string, string> = {
  CloseExpression: "'}}'", CloseStatement: "'%}'", OpenExpression: "'{{'", OpenStatement: "'{%'", CloseParen: "')'",
  OpenParen: "'('", CloseSquareBracket: "']'", OpenSquareBracket: "'['", CloseCurlyBracket: "'}'", OpenCurlyBracket: "'{'",
  Comma: "','", Colon: "':'", Pipe: "'|'", Equals: "'='", Dot: "'.'", Text: 'text', Comment: 'a comment',
};

export function compileTemplate(source: string): Program {
  let lexed: { tokens: Token[]; tags: Tag[] };
  try {
    lexed = tokenizeTemplate(source);
  } catch (err) {
    if (err instanceof LexError) throw new ParseError(err.message, err.offset);
    throw err;
  }
  const { tokens, tags } = lexed;
  checkBlocks(tags, tokens);

  // The parser reads tokens by index; the furthest index it read is where it gave up.
  let furthest = 0;
  const watched = new Proxy(tokens, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) furthest = Math.max(furthest, Number(key));
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  let program: Program;
  try {
    program = parse(watched as never) as unknown as Program;
  } catch (err) {
    const token = tokens[Math.min(furthest, tokens.length)];
    throw new ParseError(parserMessage(err, token), token?.start ?? source.length);
  }
  try {
    new SpanWalker(tags).block(program.body);
  } catch {
    // The tree did not line up with the tags: errors in this template point at less precise places.
  }
  return program;
}

function parserMessage(err: unknown, token: Token | undefined): string {
  const found = token ? (token.type === 'Identifier' || token.type.endsWith('Literal') || token.type.endsWith('Operator') ? `'${token.value}'` : SYMBOLS[token.type] ?? token.type) : 'the end of the template';
  const raw = err instanceof Error ? err.message : String(err);
  if (!token || err instanceof TypeError) return `unexpected end of the template${token ? ` near ${found}` : ''}`;
  const expected = /^Parser Error: (.*?)\. \w+ !== \w+\.$/.exec(raw);
  if (expected) {
    const what = expected[1]!.replace(/, got .*$/, '');
    const symbol = Object.entries(EXPECTED).find(([phrase]) => what.toLowerCase().includes(phrase))?.[1];
    return `${symbol ? `expected ${symbol}` : lowerFirst(what)}, found ${found}`;
  }
  if (/^Unexpected token/.test(raw)) return `unexpected ${found}`;
  return `${lowerFirst(raw.replace(/\b[A-Z]\w+(?:Expression|Statement|Literal)\b/g, (t) => SYMBOLS[t] ?? t))} (at ${found})`;
}

/** The parser's "Expected closing statement token" and the like, as the text the author must write. */
const EXPECTED: Record<string, string> = {
  'closing expression': "'}}'", 'closing statement': "'%}'", '%}': "'%}'", 'closing parenthesis': "')'",
  'closing square bracket': "']'", 'opening parenthesis': "'('", colon: "':'",
};

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const tagText = (name: string) => `'{% ${name} %}'`;

/** Every block tag must be closed by its own end tag; the parser alone would only say "unexpected end". */
function checkBlocks(tags: Tag[], tokens: Token[]): void {
  const open: Tag[] = [];
  const sawElse = new Set<Tag>();
  for (const tag of tags) {
    if (tag.kind !== 'stmt') continue;
    const name = tag.name;
    if (!name) throw new ParseError("a '{%' tag needs a name, such as 'if' or 'for'", tag.start);
    if (!SUPPORTED.has(name)) throw new ParseError(`unsupported tag ${tagText(name)}`, tag.start);
    const top = open.at(-1);
    if (name === 'set' && isInlineSet(tag, tokens)) continue;
    if ((name === 'break' || name === 'continue') && !open.some((t) => t.name === 'for')) throw new ParseError(`${tagText(name)} is outside of a for loop`, tag.start);
    if (BLOCKS[name]) open.push(tag);
    else if (name === 'elif' || name === 'else') {
      if (!top || !(top.name === 'if' || (name === 'else' && top.name === 'for'))) throw new ParseError(`${tagText(name)} is outside of an if${name === 'else' ? ' or for' : ''} block`, tag.start);
      if (sawElse.has(top)) throw new ParseError(`${tagText(name)} cannot follow '{% else %}' in the same block`, tag.start);
      if (name === 'else') sawElse.add(top);
    } else if (name.startsWith('end')) {
      if (!top) throw new ParseError(`${tagText(name)} has no opening ${tagText(name.slice(3))}`, tag.start);
      if (BLOCKS[top.name] !== name) throw new ParseError(`${tagText(name)} found where ${tagText(BLOCKS[top.name]!)} was expected (to close ${tagText(top.name)})`, tag.start);
      open.pop();
    }
  }
  const unclosed = open.at(-1);
  if (unclosed) throw new ParseError(`${tagText(unclosed.name)} is never closed (missing ${tagText(BLOCKS[unclosed.name]!)})`, unclosed.start);
}

// `{% set x = 1 %}` is a statement; `{% set x %}…{% endset %}` a block. Tell them apart by the '='.
function isInlineSet(tag: Tag, tokens: Token[]): boolean {
  for (let i = tag.firstToken + 1; i < tokens.length && tokens[i]!.type !== 'CloseStatement'; i++) {
    if (tokens[i]!.type === 'Equals') return true;
  }
  return false;
}

/** Visits the tree in source order, consuming one tag per node that starts a tag. */
class SpanWalker {
  private next = 0;
  constructor(private readonly tags: Tag[]) {}

  block(nodes: unknown): void {
    for (const node of nodes as Node[]) this.node(node);
  }

  private take(kind: Tag['kind'], name?: string): Tag {
    const tag = this.tags[this.next++];
    if (!tag || tag.kind !== kind || (name !== undefined && tag.name !== name)) throw new Error('tags and tree differ');
    return tag;
  }

  private peek(): Tag | undefined {
    return this.tags[this.next];
  }

  private node(node: Node): void {
    const kind = node.type === 'StringLiteral' && this.peek()?.kind === 'text' ? 'text' : node.type === 'Comment' ? 'comment' : STATEMENTS.has(node.type) ? 'stmt' : 'expr';
    const tag = this.take(kind);
    spans.set(node, { start: tag.start, end: tag.end });
    switch (node.type) {
      case 'If':
        return this.ifBlock(node, true);
      case 'For':
        this.block(node.body);
        if (this.peek()?.name === 'else') {
          this.next++;
          this.block(node.defaultBlock);
        }
        this.take('stmt', 'endfor');
        return;
      case 'Set':
        if (node.value === null) {
          this.block(node.body);
          this.take('stmt', 'endset');
        }
        return;
      case 'Macro':
      case 'CallStatement':
      case 'FilterStatement':
        this.block(node.body);
        this.next++;
        return;
    }
  }

  private ifBlock(node: Node, outermost: boolean): void {
    this.block(node.body);
    const next = this.peek();
    if (next?.name === 'elif') {
      const [inner] = node.alternate as Node[];
      spans.set(inner!, { start: next.start, end: next.end });
      this.next++;
      this.ifBlock(inner!, false);
    } else if (next?.name === 'else') {
      this.next++;
      this.block(node.alternate);
    }
    if (outermost) this.take('stmt', 'endif');
  }
}

const STATEMENTS = new Set(['If', 'For', 'Set', 'Macro', 'CallStatement', 'FilterStatement', 'Break', 'Continue']);
