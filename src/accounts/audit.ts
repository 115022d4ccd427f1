// The audit log: admin actions and security events, newest first. An entry names who did what to
// which object, from which address; `detail` is a small JSON object that never holds a secret (no
// passwords, tokens or links — a token's name and id at most). Entries of the admin CLI have no
// actor user and `{"via": "cli"}` in their detail (src/cli/users.ts).
import type { Knex } from 'knex';

export const AUDIT_ACTIONS = [
  'user.created',
  'user.disabled',
  'user.enabled',
  'user.role_changed',
  'user.deleted',
  'settings.changed',
  'password.changed',
  'password.reset_requested',
  'password.reset',
  'password.reset_cli',
  'email.changed',
  'email.verified',
  'account.deleted',
  'token.created',
  'token.revoked',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditEntry = {
  id: number;
  at: number;
  actorUserId: number | null;
  action: string;
  targetType: string | null;
  targetId: number | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
};

/** Who acted and from where; every field optional (the CLI has no address, a reset link no login). */
export type AuditContext = { actorUserId?: number | null; ip?: string | null };

type AuditRow = {
  id: number;
  at: number | string;
  actor_user_id: number | null;
  action: string;
  target_type: string | null;
  target_id: number | null;
  ip: string | null;
  detail: string | null;
};

const MAX_DETAIL_CHARS = 2000;
export const AUDIT_PAGE_SIZE = 50;

function toEntry(row: AuditRow): AuditEntry {
  let detail: Record<string, unknown> | null = null;
  try {
    detail = row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null;
  } catch {
    detail = null;
  }
  return {
    id: Number(row.id),
    at: Number(row.at),
    actorUserId: row.actor_user_id === null ? null : Number(row.actor_user_id),
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id === null ? null : Number(row.target_id),
    ip: row.ip,
    detail,
  };
}

export function auditLog(knex: Knex) {
  return {
    async record(
      entry: { action: AuditAction; targetType?: string; targetId?: number | null; detail?: Record<string, unknown> },
      context: AuditContext,
      now: number,
      trx: Knex = knex,
    ): Promise<void> {
      const detail = entry.detail ? JSON.stringify(entry.detail).slice(0, MAX_DETAIL_CHARS) : null;
      await trx<AuditRow>('audit_log').insert({
        at: now,
        actor_user_id: context.actorUserId ?? null,
        action: entry.action,
        target_type: entry.targetType ?? null,
        target_id: entry.targetId ?? null,
        ip: context.ip ? context.ip.slice(0, 64) : null,
        detail,
      });
    },

    /** Newest first; `before` is the id of the last entry of the previous page. */
    async list(query: { before?: number; limit?: number; action?: string }): Promise<AuditEntry[]> {
      const limit = Math.min(Math.max(query.limit ?? AUDIT_PAGE_SIZE, 1), 200);
      let q = knex<AuditRow>('audit_log').orderBy('id', 'desc').limit(limit);
      if (query.before !== undefined) q = q.where('id', '<', query.before);
      if (query.action) q = q.where({ action: query.action });
      return (await q).map(toEntry);
    },
  };
}

export type AuditLog = ReturnType<typeof auditLog>;
