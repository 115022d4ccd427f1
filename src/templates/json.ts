// A template as the API shows it: secret defaults masked for the owner and absent for anyone else.
import { maskSecret } from '../db/secret-box.js';
import { iso } from '../api/json.js';
import type { Template, TemplateSummary } from './repo.js';
import { undeclaredVariables } from './service.js';

export function templateJson(t: Template, viewerId: number) {
  const owned = t.userId === viewerId;
  return {
    id: t.id,
    name: t.name,
    siteUrl: t.siteUrl ?? null,
    note: t.note ?? null,
    public: t.public,
    owned,
    log: t.log ?? null,
    variables: t.variables.map((v) => ({
      name: v.name,
      ...(v.default === undefined ? {} : { default: v.secret ? (owned ? maskSecret(v.default) : undefined) : v.default }),
      secret: Boolean(v.secret),
      ...(v.description ? { description: v.description } : {}),
    })),
    undeclared: undeclaredVariables(t),
    steps: t.steps,
    copiedFrom: t.copiedFrom,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}

export function templateSummaryJson(t: TemplateSummary, viewerId: number) {
  return {
    id: t.id,
    name: t.name,
    siteUrl: t.siteUrl ?? null,
    note: t.note ?? null,
    public: t.public,
    owned: t.userId === viewerId,
    stepCount: t.stepCount,
    updatedAt: iso(t.updatedAt),
  };
}
