import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

// The audit log: who did what, when. The table refuses UPDATE, DELETE and TRUNCATE
// (migrations/002_staff.sql). Details never hold a reporter's identity or a tracking code.

// A new action goes into this union and into AUDIT_ACTION_SET below (tsc insists): the audit
// browser's filter lists them from there.
export type AuditAction =
  | 'login.success'
  | 'login.password'
  | 'login.failure'
  | 'logout'
  | 'totp.start'
  | 'totp.enable'
  | 'totp.enable.failure'
  | 'totp.reset'
  | 'settings.mfa'
  | 'audit.view'
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
  | 'lead.note'
  | 'lead.merge'
  | 'lead.feedback'
  | 'lead.question'
  | 'lead.handled'
  | 'identity.verify'
  | 'identity.reveal'
  | 'identity.reveal.denied'
  | 'attachment.download'
  | 'attachment.denied'
  | 'calendar.set'
  | 'calendar.remove'
  | 'problem.create'
  | 'problem.link'
  | 'problem.progress'
  | 'problem.file'
  | 'problem.export'
  | 'lookback.draw'
  | 'lookback.finding'
  | 'case.write'
  | 'case.approve'
  | 'case.approve.denied'
  | 'case.unpublish'
  | 'campaign.set'
  | 'campaign.reset'
  | 'lookups.guessing'
  | 'household.create'
  | 'household.edit'
  | 'household.import'
  | 'household.id.reveal'
  | 'household.id.reveal.denied'
  | 'household.flag.clear'
  | 'household.standard'
  | 'household.lead.link'
  | 'household.lead.unlink'
  | 'household.export'
  | 'recheck.draw'
  | 'recheck.record'
  | 'recheck.export'
  | 'household.export.unmasked';

// Every action once; a Record so that an action missing here fails the type check.
const AUDIT_ACTION_SET: Record<AuditAction, true> = {
  'login.success': true,
  'login.password': true,
  'login.failure': true,
  logout: true,
  'totp.start': true,
  'totp.enable': true,
  'totp.enable.failure': true,
  'totp.reset': true,
  'settings.mfa': true,
  'audit.view': true,
  'user.create': true,
  'user.disable': true,
  'user.enable': true,
  'user.unlock': true,
  'user.password': true,
  'lead.view': true,
  'lead.intake': true,
  'lead.status': true,
  'lead.assign': true,
  'lead.priority': true,
  'lead.note': true,
  'lead.merge': true,
  'lead.feedback': true,
  'lead.question': true,
  'lead.handled': true,
  'identity.verify': true,
  'identity.reveal': true,
  'identity.reveal.denied': true,
  'attachment.download': true,
  'attachment.denied': true,
  'calendar.set': true,
  'calendar.remove': true,
  'problem.create': true,
  'problem.link': true,
  'problem.progress': true,
  'problem.file': true,
  'problem.export': true,
  'lookback.draw': true,
  'lookback.finding': true,
  'case.write': true,
  'case.approve': true,
  'case.approve.denied': true,
  'case.unpublish': true,
  'campaign.set': true,
  'campaign.reset': true,
  'lookups.guessing': true,
  'household.create': true,
  'household.edit': true,
  'household.import': true,
  'household.id.reveal': true,
  'household.id.reveal.denied': true,
  'household.flag.clear': true,
  'household.standard': true,
  'household.lead.link': true,
  'household.lead.unlink': true,
  'household.export': true,
  'recheck.draw': true,
  'recheck.record': true,
  'recheck.export': true,
  'household.export.unmasked': true,
};

export const AUDIT_ACTIONS = Object.keys(AUDIT_ACTION_SET) as AuditAction[];

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
