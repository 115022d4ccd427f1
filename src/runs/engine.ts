// Executes a template's steps in order and says how the run went. Nothing here touches the database:
// the runs service stores what this returns (masked). Steps are dispatched by kind so that control
// steps ({% if %} …) and api:// steps can join the request steps.
import type { HttpRequest, HttpResponse } from '../lib/http.js';
import { TemplateError } from '../lib/jinja.js';
import type { Clock } from '../lib/clock.js';
import type { Step } from '../templates/schema.js';
import { RunContext } from './run-context.js';
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

export type EngineDeps = { http: HttpClient; clock: Clock };

const stepLabel = (step: Step, index: number, total: number) => `step ${index}/${total}${step.name ? ` (${step.name})` : ''}`;

export async function runSteps(input: RunInput, deps: EngineDeps): Promise<RunOutcome> {
  const ctx = new RunContext({ ...input.variables }, deps.http, deps.clock, input.proxy, input.signal);
  const records: StepRecord[] = [];
  const total = input.steps.length;
  let error: string | null = null;
  let failedStep: number | null = null;

  for (const [i, step] of input.steps.entries()) {
    const record = await runRequestStep(step, i + 1, ctx);
    records.push(record);
    if (record.error) {
      failedStep = i + 1;
      error = `${stepLabel(step, i + 1, total)} failed: ${record.error}`;
      break;
    }
  }

  return {
    status: error ? 'failure' : 'success',
    log: runLog(input.log, ctx, records),
    error,
    failedStep,
    steps: records,
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
  const last = records.at(-1);
  return last?.status ? `${last.status} ${last.statusText ?? ''}`.trim() : null;
}
