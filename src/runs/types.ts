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
};

export type RunOutcome = {
  status: 'success' | 'failure';
  log: string | null;
  error: string | null;
  failedStep: number | null;
  steps: StepRecord[];
  /** Values to keep on the task (extract rules with persist: true). */
  persist: Record<string, string>;
};
