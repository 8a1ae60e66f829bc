import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { findAuditPage, insertAuditRow } from './repository.js';

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
  await insertAuditRow(db, {
    actor_id: e.actorId,
    actor_name: e.actorName ?? null,
    action: e.action,
    report_id: e.reportId ?? null,
    target_user_id: e.targetUserId ?? null,
    detail: e.detail ?? {},
  });
}

// Reading the audit log for /staff/audit: newest first, filtered, one page at a time.

export const AUDIT_PAGE_SIZE = 50;

const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'errors.audit.date').refine((s) => !Number.isNaN(Date.parse(s)), 'errors.audit.date');

export const auditQuerySchema = z.object({
  action: optional(z.enum(AUDIT_ACTIONS as [string, ...string[]], { error: 'errors.audit.action' })),
  // A username, or a name typed at a failed login of an account that does not exist.
  actor: optional(z.string().trim().toLowerCase().max(100, 'errors.audit.actor')),
  lead: optional(z.string().trim().regex(/^\d{1,18}$/, 'errors.audit.lead')),
  from: optional(isoDate),
  to: optional(isoDate),
  // The position after the last row shown: microseconds since the epoch _ id.
  after: optional(z.string().regex(/^\d{1,20}_\d{1,18}$/, 'errors.invalid')),
});
export type AuditQuery = z.output<typeof auditQuerySchema>;

const AUDIT_FILTERS = ['action', 'actor', 'lead', 'from', 'to'] as const;

/**
 * One page of the log for a staff member, and the record that they looked, in one transaction.
 * Looking through the log is itself on the record: who looked up whose activity, or what happened
 * to which lead, is as much a matter for oversight as the acts it shows. The page is read before
 * the row is written, so a view never lists itself.
 */
export async function viewAuditLog(db: Kysely<Database>, staff: { userId: string }, q: AuditQuery, pageSize = AUDIT_PAGE_SIZE) {
  return db.transaction().execute(async (trx) => {
    const page = await findAuditPage(trx, q, pageSize);
    const detail = Object.fromEntries(AUDIT_FILTERS.filter((k) => q[k] !== undefined).map((k) => [k, q[k]]));
    await recordAudit(trx, { actorId: staff.userId, action: 'audit.view', detail: q.after ? { ...detail, page: 'next' } : detail });
    return page;
  });
}
