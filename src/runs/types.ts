// What a run produces, step by step. Stored (masked, truncated) as the run's detail.

export type StepRecord = {
  index: number; // 1-based
  name?: string;
  method: string;
  url: string;
  status?: number;
  statusText?: string;
  durationMs: number;
  error?: string;
  requestHeaders: Record<string, string>;
  requestBody?: string;
  responseHeaders: Record<string, string>;
  responseBody?: string;
  responseTruncated?: boolean;
  extracted: Record<string, string>;
  /** Things worth knowing that are not errors: "extract token: no match", a redirect not followed. */
  notes: string[];
  /** How many control blocks ({% if %}, {% for %}, {% while %}) enclose the step; absent at the top. */
  depth?: number;
  /** Inside a for or while: the pass of the innermost loop (1-based). */
  pass?: number;
  /** Set on the one record of a control step: what it decided. Its body's records follow it. */
  control?: ControlOutcome;
};

/**
 * What a control step did, once per run of the block (not per pass). `endIndex` is the entry of its
 * end tag, so a reader can tell which entries belong to the block.
 */
export type ControlOutcome =
  | {
      tag: 'if';
      condition: string;
      result: boolean;
      /** Which branch ran: the if's, the else's, or none (false without an else). */
      branch: 'then' | 'else' | 'none';
      /** The entries of the branch that ran, first and last; absent when it had none. */
      ran?: [number, number];
      elseIndex?: number;
      endIndex: number;
    }
  | { tag: 'for'; target: string; source: string; iterations: number; endIndex: number }
  | { tag: 'while'; condition: string; iterations: number; timedOut?: boolean; endIndex: number };

export type RunOutcome = {
  status: 'success' | 'failure';
  log: string | null;
  error: string | null;
  failedStep: number | null;
  steps: StepRecord[];
  /** Values to keep on the task (extract rules with persist: true). */
  persist: Record<string, string>;
};
