import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';

// The audit log: who did what, when. The table refuses UPDATE, DELETE and TRUNCATE
// (migrations/002_staff.sql). Details never hold a reporter's identity or a tracking code.

export type AuditAction =
  | 'login.success'
  | 'login.failure'
  | 'logout'
  | 'user.create'
  | 'user.disable'
  | 'user.enable'
  | 'user.unlock'
  | 'user.password'
  | 'lead.view'
  | 'lead.intake'
  | 'lead.status'
  | 'lead.assign'
  | 'lead.priority'
  | 'lead.note';

export interface AuditEntry {
  actorId: string | null;
  actorName?: string | null;
  action: AuditAction;
  reportId?: string | null;
  targetUserId?: string | null;
  detail?: Record<string, unknown>;
}

export async function recordAudit(db: Kysely<Database>, e: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      actor_id: e.actorId,
      actor_name: e.actorName ?? null,
      action: e.action,
      report_id: e.reportId ?? null,
      target_user_id: e.targetUserId ?? null,
      detail: JSON.stringify(e.detail ?? {}),
    })
    .execute();
}
