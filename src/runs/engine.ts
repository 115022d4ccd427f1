// Executes a template's steps in order and says how the run went. Nothing here touches the database:
// the runs service stores what this returns (masked). Control steps ({% if %} …, control-flow.ts) give
// the steps their structure; every other step goes to runRequestStep.
import type { HttpRequest, HttpResponse } from '../lib/http.js';
import type { ApiUtilSettings } from './api-util.js';
import { TemplateError } from '../lib/jinja.js';
import type { Clock } from '../lib/clock.js';
import type { Step } from '../templates/schema.js';
import { FlowFailure, FlowRunner, parseFlow, WHILE_TIMEOUT_MS, type FlowLimits } from './control-flow.js';
import { MAX_REQUESTS_PER_RUN, RunContext } from './run-context.js';
import { runRequestStep } from './request-step.js';
import type { RunOutcome, StepRecord } from './types.js';

export type HttpClient = { request(req: HttpRequest): Promise<HttpResponse> };

export type RunInput = {
  steps: Step[];
  /** The template's log text (Jinja); when absent, `__log__` or the last step's status line. */
  log?: string;
  variables: Record<string, unknown>;
  proxy?: string;
  signal?: AbortSignal;
};

export type EngineDeps = {
  http: HttpClient;
  clock: Clock;
  /** QD's limits (1,500 requests per run, 900 s per while loop) unless a test asks for others. */
  limits?: Partial<FlowLimits>;
  /** How api://util steps answer (the delay cap, the server's time zone). */
  apiUtil?: ApiUtilSettings;
};

const DEFAULT_LIMITS: FlowLimits = { maxRequests: MAX_REQUESTS_PER_RUN, whileTimeoutMs: WHILE_TIMEOUT_MS };

export async function runSteps(input: RunInput, deps: EngineDeps): Promise<RunOutcome> {
  const ctx = new RunContext({ ...input.variables }, deps.http, deps.clock, input.proxy, input.signal, deps.apiUtil);
  const runner = new FlowRunner({
    variables: ctx.variables,
    clock: deps.clock,
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
    total: input.steps.length,
    signal: input.signal,
    runStep: (step, index) => runRequestStep(step, index, ctx),
  });
  let error: string | null = null;
  let failedStep: number | null = null;
  try {
    // The structure is checked whole before the first request.
    await runner.run(parseFlow(input.steps));
  } catch (err) {
    if (!(err instanceof FlowFailure)) throw err;
    error = err.message;
    failedStep = err.failedStep;
  }

  return {
    status: error ? 'failure' : 'success',
    log: runLog(input.log, ctx, runner.records),
    error,
    failedStep,
    steps: runner.records,
    persist: ctx.persist,
  };
}

function runLog(logTemplate: string | undefined, ctx: RunContext, records: StepRecord[]): string | null {
  if (logTemplate) {
    try {
      return ctx.render(logTemplate);
    } catch (err) {
      if (err instanceof TemplateError) return `log template error: ${err.message}`;
      throw err;
    }
  }
  const extracted = ctx.variables.__log__;
  if (extracted !== undefined && extracted !== null && extracted !== '') return typeof extracted === 'string' ? extracted : JSON.stringify(extracted);
  const last = [...records].reverse().find((r) => !r.control);
  return last?.status ? `${last.status} ${last.statusText ?? ''}`.trim() : null;
}
