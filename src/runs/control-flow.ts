// QD's control steps (QD-COMPAT.md "Control entries"): a step whose URL is one Jinja block tag —
// {% if c %} {% else %} {% endif %}, {% for x in seq %} {% endfor %}, {% while c %} {% endwhile %} —
// is structure, not a request; its method, headers, body and rules are ignored. The steps are nested
// with a stack before anything is sent, so a broken structure fails the run without a request.
// Variables stay one flat space as in QD: what a step extracts inside a block is seen after it.
import { evaluateExpression, TemplateError } from '../lib/jinja.js';
import type { Clock } from '../lib/clock.js';
import type { Step } from '../templates/schema.js';
import type { ControlOutcome, StepRecord } from './types.js';

/** QD's task_while_loop_timeout: a while loop that still runs after this fails the run. */
export const WHILE_TIMEOUT_MS = 900_000;

type Keyword = 'if' | 'elif' | 'else' | 'endif' | 'for' | 'endfor' | 'while' | 'endwhile';
// The whole URL is one tag (so `{% if a %}https://x{% endif %}` stays a request URL). `{%- -%}` only
// trims whitespace in Jinja and means nothing more here.
const TAG = /^\{%-?\s*(if|elif|else|endif|for|endfor|while|endwhile)\b((?:(?!%\}).)*?)-?%\}$/s;
const FOR_HEAD = /^([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(\S[\s\S]*)$/;

export type ControlTag = { keyword: Keyword; argument: string };

/** The block tag a step's URL is, or null for a request (or api://) step. */
export function controlTagOf(url: string): ControlTag | null {
  const m = TAG.exec(url.trim());
  return m ? { keyword: m[1] as Keyword, argument: m[2]!.trim() } : null;
}

export type StepNode = { kind: 'step'; index: number; step: Step };
export type IfNode = { kind: 'if'; index: number; tag: string; condition: string; then: FlowNode[]; otherwise: FlowNode[]; elseIndex?: number; endIndex: number };
export type ForNode = { kind: 'for'; index: number; tag: string; target: string; source: string; body: FlowNode[]; endIndex: number };
export type WhileNode = { kind: 'while'; index: number; tag: string; condition: string; body: FlowNode[]; endIndex: number };
export type FlowNode = StepNode | IfNode | ForNode | WhileNode;
type BlockNode = IfNode | ForNode | WhileNode;

/** Stops the run: `message` is the run's error, `failedStep` the entry (1-based) it names. */
export class FlowFailure extends Error {
  constructor(message: string, readonly failedStep: number) {
    super(message);
  }
}

export const stepLabel = (step: Step, index: number, total: number) => `step ${index}/${total}${step.name ? ` (${step.name})` : ''}`;
const failedAt = (index: number, total: number) => `Failed at ${index}/${total}`;
const code = (text: string) => `\`${text}\``;
const END_OF: Record<BlockNode['kind'], string> = { if: '{% endif %}', for: '{% endfor %}', while: '{% endwhile %}' };

/** The steps as a tree of blocks. Throws FlowFailure ("Failed at 7/20 end tag …") for a broken structure. */
export function parseFlow(steps: readonly Step[]): FlowNode[] {
  const total = steps.length;
  const top: FlowNode[] = [];
  const open: { node: BlockNode; into: FlowNode[] }[] = [];
  const append = (node: FlowNode) => (open.at(-1)?.into ?? top).push(node);

  steps.forEach((step, i) => {
    const index = i + 1;
    const tag = controlTagOf(step.url);
    if (!tag) return append({ kind: 'step', index, step });
    const text = step.url.trim();
    const failure = (why: string) => new FlowFailure(`${failedAt(index, total)} ${why}`, index);
    const inner = open.at(-1);
    switch (tag.keyword) {
      case 'if':
      case 'while': {
        if (!tag.argument) throw failure(`${code(text)} has no condition`);
        const node: BlockNode =
          tag.keyword === 'if'
            ? { kind: 'if', index, tag: text, condition: tag.argument, then: [], otherwise: [], endIndex: 0 }
            : { kind: 'while', index, tag: text, condition: tag.argument, body: [], endIndex: 0 };
        append(node);
        open.push({ node, into: node.kind === 'if' ? node.then : node.body });
        return;
      }
      case 'for': {
        const m = FOR_HEAD.exec(tag.argument);
        if (!m) throw failure(`${code(text)} is not of the form \`{% for name in … %}\``);
        const node: ForNode = { kind: 'for', index, tag: text, target: m[1]!, source: m[2]!.trim(), body: [], endIndex: 0 };
        append(node);
        open.push({ node, into: node.body });
        return;
      }
      case 'elif':
        throw failure('`{% elif %}` is not supported (QD has none): put an `{% if %}` step inside the `{% else %}`');
      case 'else': {
        if (!inner || inner.node.kind !== 'if') {
          throw failure(`${code(text)} is not inside an \`{% if %}\`${inner ? ` (it is inside ${code(inner.node.tag)} of step ${inner.node.index})` : ''}`);
        }
        if (inner.node.elseIndex) throw failure(`${code(text)} is the second else of ${code(inner.node.tag)} (step ${inner.node.index}); the first is step ${inner.node.elseIndex}`);
        inner.node.elseIndex = index;
        inner.into = inner.node.otherwise;
        return;
      }
      default: {
        const kind = tag.keyword.slice(3) as BlockNode['kind'];
        if (!inner) throw failure(`end tag ${code(text)} closes nothing: no \`{% ${kind} %}\` is open`);
        if (inner.node.kind !== kind) throw failure(`end tag ${code(text)} does not close ${code(inner.node.tag)} of step ${inner.node.index} (that needs ${code(END_OF[inner.node.kind])})`);
        if (tag.argument) throw failure(`end tag ${code(text)} takes nothing after ${code(tag.keyword)}`);
        inner.node.endIndex = index;
        open.pop();
      }
    }
  });

  const unclosed = open.at(-1);
  if (unclosed) {
    const { node } = unclosed;
    throw new FlowFailure(`${failedAt(node.index, total)} ${code(node.tag)} is never closed: ${code(END_OF[node.kind])} is missing`, node.index);
  }
  return top;
}

export type FlowLimits = {
  /** QD's cap on the requests of one run, loops included. */
  maxRequests: number;
  whileTimeoutMs: number;
};

export type FlowDeps = {
  /** The run's variables, changed in place: loop variables during a loop, extractions by the steps. */
  variables: Record<string, unknown>;
  clock: Clock;
  limits: FlowLimits;
  /** Entries in the template, for "i/N". */
  total: number;
  signal?: AbortSignal;
  /** Runs one request (or api://) step; the record's `error` says why it failed. */
  runStep(step: Step, index: number): Promise<StepRecord>;
};

// QD's names (it has no `loop.index`: its loop variables are plain run variables).
const FOR_VARIABLES = ['loop_index', 'loop_index0', 'loop_first', 'loop_last', 'loop_length', 'loop_revindex', 'loop_revindex0', 'loop_depth', 'loop_depth0'];
const WHILE_VARIABLES = ['loop_index', 'loop_index0', 'loop_depth', 'loop_depth0'];

/** Runs a parsed template, one record per step executed (control steps: one per time the block runs). */
export class FlowRunner {
  readonly records: StepRecord[] = [];
  private requests = 0;
  private loopDepth = 0;

  constructor(private readonly deps: FlowDeps) {}

  /** Throws FlowFailure when the run must stop; the records say how far it got. */
  async run(nodes: FlowNode[], depth = 0, pass?: number): Promise<void> {
    for (const node of nodes) {
      if (node.kind === 'step') await this.runStep(node, depth, pass);
      else if (node.kind === 'if') await this.runIf(node, depth, pass);
      else if (node.kind === 'for') await this.runFor(node, depth, pass);
      else await this.runWhile(node, depth, pass);
    }
  }

  private async runStep(node: StepNode, depth: number, pass: number | undefined): Promise<void> {
    const { total, limits } = this.deps;
    if (this.requests >= limits.maxRequests) {
      throw new FlowFailure(`the run stopped after ${limits.maxRequests.toLocaleString('en')} requests, the most one run may send (step ${node.index}/${total} was next)`, node.index);
    }
    this.requests += 1;
    const record = await this.deps.runStep(node.step, node.index);
    if (depth) record.depth = depth;
    if (pass !== undefined) record.pass = pass;
    this.records.push(record);
    if (record.error) throw new FlowFailure(`${stepLabel(node.step, node.index, total)} failed${pass === undefined ? '' : ` on pass ${pass}`}: ${record.error}`, node.index);
  }

  private async runIf(node: IfNode, depth: number, pass: number | undefined): Promise<void> {
    const control: Extract<ControlOutcome, { tag: 'if' }> = { tag: 'if', condition: node.condition, result: false, branch: 'none', endIndex: node.endIndex };
    if (node.elseIndex) control.elseIndex = node.elseIndex;
    const record = this.openRecord(node, depth, pass, control);
    await this.timed(record, async () => {
      const result = this.condition(node, record);
      const [from, to] = result ? [node.index + 1, (node.elseIndex ?? node.endIndex) - 1] : node.elseIndex ? [node.elseIndex + 1, node.endIndex - 1] : [0, -1];
      control.result = result;
      control.branch = result ? 'then' : node.elseIndex ? 'else' : 'none';
      if (from <= to) control.ran = [from, to];
      const what = result ? entries(from, to) : node.elseIndex ? `else, ${entries(from, to)}` : `${entries(node.index + 1, node.endIndex - 1)} skipped`;
      record.notes.push(`if ${code(node.condition)} → ${result}: ${what}`);
      await this.run(result ? node.then : node.otherwise, depth + 1, pass);
    });
  }

  private async runFor(node: ForNode, depth: number, pass: number | undefined): Promise<void> {
    const control: Extract<ControlOutcome, { tag: 'for' }> = { tag: 'for', target: node.target, source: node.source, iterations: 0, endIndex: node.endIndex };
    const record = this.openRecord(node, depth, pass, control);
    const items = this.sequence(node, record);
    const length = items.length;
    const restore = this.keep([node.target, ...FOR_VARIABLES]);
    let finished = false;
    this.loopDepth += 1;
    try {
      await this.timed(record, async () => {
        for (const [i, item] of items.entries()) {
          Object.assign(this.deps.variables, {
            [node.target]: item,
            loop_index: i + 1, loop_index0: i, loop_first: i === 0, loop_last: i === length - 1, loop_length: length,
            loop_revindex: length - i, loop_revindex0: length - i - 1, loop_depth: this.loopDepth, loop_depth0: this.loopDepth - 1,
          });
          control.iterations = i + 1;
          await this.run(node.body, depth + 1, i + 1);
        }
        finished = true;
      });
    } finally {
      this.loopDepth -= 1;
      restore();
      const head = `for ${node.target} in ${node.source}`;
      record.notes.push(finished ? `${head}: ${passes(length)}` : `${head}: stopped on pass ${control.iterations} of ${length}`);
    }
  }

  private async runWhile(node: WhileNode, depth: number, pass: number | undefined): Promise<void> {
    const control: Extract<ControlOutcome, { tag: 'while' }> = { tag: 'while', condition: node.condition, iterations: 0, endIndex: node.endIndex };
    const record = this.openRecord(node, depth, pass, control);
    const { clock, limits, total, variables } = this.deps;
    const started = clock.now();
    const restore = this.keep(WHILE_VARIABLES);
    let finished = false;
    this.loopDepth += 1;
    try {
      await this.timed(record, async () => {
        for (let i = 0; ; i++) {
          if (clock.now() - started > limits.whileTimeoutMs) {
            control.timedOut = true;
            record.error = `stopped after ${seconds(limits.whileTimeoutMs)} and ${passes(i)}, the longest a while loop may run`;
            throw new FlowFailure(`${failedAt(node.index, total)} while ${code(node.condition)}: ${record.error}`, node.index);
          }
          // QD sets the pass number before the condition, so `{% while loop_index < 3 %}` runs twice.
          Object.assign(variables, { loop_index: i + 1, loop_index0: i, loop_depth: this.loopDepth, loop_depth0: this.loopDepth - 1 });
          if (!this.condition(node, record)) break;
          control.iterations = i + 1;
          await this.run(node.body, depth + 1, i + 1);
          // A body without requests never waits on the network: let the server breathe between passes.
          await new Promise((resolve) => setImmediate(resolve));
          if (this.deps.signal?.aborted) throw new FlowFailure(`${failedAt(node.index, total)} while ${code(node.condition)}: the run was cancelled`, node.index);
        }
        finished = true;
      });
    } finally {
      this.loopDepth -= 1;
      restore();
      const head = `while ${node.condition}`;
      const how = finished ? passes(control.iterations) : control.timedOut ? `stopped after ${seconds(limits.whileTimeoutMs)} (${passes(control.iterations)})` : `stopped on pass ${control.iterations}`;
      record.notes.push(`${head}: ${how}`);
    }
  }

  private openRecord(node: BlockNode, depth: number, pass: number | undefined, control: ControlOutcome): StepRecord {
    const record: StepRecord = { index: node.index, method: '', url: node.tag, durationMs: 0, requestHeaders: {}, responseHeaders: {}, extracted: {}, notes: [], control };
    if (depth) record.depth = depth;
    if (pass !== undefined) record.pass = pass;
    this.records.push(record);
    return record;
  }

  private async timed(record: StepRecord, body: () => Promise<void>): Promise<void> {
    const started = this.deps.clock.now();
    try {
      await body();
    } finally {
      record.durationMs = this.deps.clock.now() - started;
    }
  }

  /** Evaluates an if's or while's condition with Python's truthiness. */
  private condition(node: IfNode | WhileNode, record: StepRecord): boolean {
    try {
      return truthy(this.evaluate(node.condition));
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      // QD counts a condition that names an undefined variable (Python's NameError) as false.
      if (/ is undefined$/.test(err.message)) {
        const note = `${err.message}: the condition counts as false (as in QD)`;
        if (!record.notes.includes(note)) record.notes.push(note);
        return false;
      }
      record.error = `the condition cannot be evaluated: ${err.message}`;
      throw new FlowFailure(`${failedAt(node.index, this.deps.total)} ${node.kind} condition ${code(node.condition)}: ${err.message}`, node.index);
    }
  }

  /** What a for loop walks through, as QD would: a list, the characters of a text, the keys of a mapping. */
  private sequence(node: ForNode, record: StepRecord): unknown[] {
    let value: unknown;
    try {
      value = this.evaluate(node.source);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      // QD swallows this and runs no pass; say why at least.
      record.notes.push(`${code(node.source)} cannot be evaluated (${err.message}): no passes, as in QD`);
      return [];
    }
    if (value === undefined || value === null) {
      record.notes.push(`${code(node.source)} is not defined: no passes`);
      return [];
    }
    if (Array.isArray(value)) return value;
    if (typeof value === 'string') {
      record.notes.push(`${code(node.source)} is text, not a list: one pass per character, as in QD`);
      return [...value];
    }
    if (typeof value === 'object') return Object.keys(value);
    // QD stops here too (Python: "object is not iterable").
    record.error = `${code(node.source)} is a ${typeof value}, not a list`;
    throw new FlowFailure(`${failedAt(node.index, this.deps.total)} for: ${record.error}`, node.index);
  }

  private evaluate(expression: string): unknown {
    return evaluateExpression(expression, this.deps.variables, { now: () => new Date(this.deps.clock.now()) });
  }

  /** Remembers variables a loop sets, to put them back (or remove them) after it. */
  private keep(names: string[]): () => void {
    const variables = this.deps.variables;
    const saved = names.map((name) => ({ name, had: Object.hasOwn(variables, name), value: variables[name] }));
    return () => {
      for (const { name, had, value } of saved) {
        if (had) variables[name] = value;
        else delete variables[name];
      }
    };
  }
}

/** Python's truthiness: empty text, 0, empty lists and mappings, none and undefined are false. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '' || Number.isNaN(value)) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

const entries = (from: number, to: number) => (from > to ? 'no steps' : from === to ? `step ${from}` : `steps ${from}–${to}`);
const passes = (n: number) => `${n} iteration${n === 1 ? '' : 's'}`;
const seconds = (ms: number) => `${ms / 1000} s`;
