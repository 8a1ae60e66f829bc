import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/service.js';
import type { Database } from '../db/schema.js';
import { unseal } from '../lib/seal.js';
import { mayOnLead, type Actor } from '../staff/access.js';
import { dueOnFor, type LeadRules } from './deadlines.js';
import { findLead, insertEvent, insertPublicUpdate, scrubToTombstone, updateLeadIfCurrent } from './repository.js';
import { transitionProblem, type TransitionInput, type TransitionProblem } from './workflow.js';

type Db = Kysely<Database>;

export type { LeadRules };

export type ChangeResult = { ok: true } | { ok: false; stale: true } | { ok: false; stale: false; problem: TransitionProblem };

const STALE = { ok: false, stale: true } as const;

/**
 * Moves a lead along the workflow, with its public update, internal note, event and audit entry
 * in one transaction. `version` is what the staff member's form was showing: if someone changed
 * the lead since, nothing is written and the caller answers 409.
 */
/**
 * A staff member opens a lead: every opening is on the record (one row, no transaction needed).
 * The lead, or undefined when there is none (and nothing was opened).
 */
export async function viewLead(db: Db, staff: Actor, leadId: string) {
  const lead = await findLead(db, leadId);
  if (lead) await recordAudit(db, { actorId: staff.userId, action: 'lead.view', reportId: leadId });
  return lead;
}

export async function changeStatus(
  db: Db,
  rules: LeadRules,
  actorId: string,
  leadId: string,
  version: number,
  input: TransitionInput & { note?: string; clearing?: string },
): Promise<ChangeResult> {
  return db.transaction().execute(async (trx) => {
    const lead = await findLead(trx, leadId);
    if (!lead || lead.version !== version) return STALE;
    const problem = transitionProblem(lead.status, input);
    if (problem) return { ok: false, stale: false, problem };
    const now = new Date();
    // The conclusion deadline starts at acceptance and does not move when the investigation starts.
    const dueOn =
      input.to === 'investigating'
        ? lead.due_on
        : dueOnFor(rules, input.to, now, { upward: lead.upward, verifiedRealName: lead.identity_verified_at !== null });
    const changed = await updateLeadIfCurrent(trx, leadId, version, {
      status: input.to,
      status_changed_at: now,
      due_on: dueOn,
      outcome: input.to === 'concluded' ? input.outcome! : null,
      closing_note: input.reason ?? input.transferredTo ?? null,
      // Clearing a person's name (澄清正名) is recorded only with an unsubstantiated conclusion.
      clearing_note: input.to === 'concluded' && input.outcome === 'unsubstantiated' ? (input.clearing ?? null) : null,
    });
    if (!changed) return STALE;
    await insertEvent(trx, {
      reportId: leadId,
      actorId,
      kind: 'status',
      from: lead.status,
      to: input.to,
      body: input.note || null,
      detail: { outcome: input.outcome, reason: input.reason, transferredTo: input.transferredTo },
    });
    if (input.publicUpdate) await insertPublicUpdate(trx, leadId, input.publicUpdate);
    if (input.to === 'transferred' && lead.upward) await scrubToTombstone(trx, leadId);
    await recordAudit(trx, { actorId, action: 'lead.status', reportId: leadId, detail: { from: lead.status, to: input.to } });
    return { ok: true };
  });
}

export async function assignLead(db: Db, actorId: string, leadId: string, version: number, assigneeId: string | null) {
  return db.transaction().execute(async (trx) => {
    if (!(await updateLeadIfCurrent(trx, leadId, version, { assignee_id: assigneeId }))) return false;
    await insertEvent(trx, { reportId: leadId, actorId, kind: 'assign', detail: { assigneeId } });
    await recordAudit(trx, { actorId, action: 'lead.assign', reportId: leadId, detail: { assigneeId } });
    return true;
  });
}

export async function setPriority(db: Db, actorId: string, leadId: string, version: number, priority: number) {
  return db.transaction().execute(async (trx) => {
    if (!(await updateLeadIfCurrent(trx, leadId, version, { priority }))) return false;
    await insertEvent(trx, { reportId: leadId, actorId, kind: 'priority', detail: { priority } });
    await recordAudit(trx, { actorId, action: 'lead.priority', reportId: leadId, detail: { priority } });
    return true;
  });
}

export async function addNote(db: Db, actorId: string, leadId: string, body: string) {
  await db.transaction().execute(async (trx) => {
    await insertEvent(trx, { reportId: leadId, actorId, kind: 'note', body });
    await recordAudit(trx, { actorId, action: 'lead.note', reportId: leadId });
  });
}

/** Staff confirmed a real-name reporter by phone or in person: from now on the feedback clock applies. */
export async function verifyIdentity(db: Db, actorId: string, leadId: string, version: number, how: 'phone' | 'in_person') {
  return db.transaction().execute(async (trx) => {
    const lead = await findLead(trx, leadId);
    if (!lead?.real_name || lead.identity_verified_at) return false;
    if (!(await updateLeadIfCurrent(trx, leadId, version, { identity_verified_at: new Date(), identity_verified_how: how }))) return false;
    await insertEvent(trx, { reportId: leadId, actorId, kind: 'verify', detail: { how } });
    await recordAudit(trx, { actorId, action: 'identity.verify', reportId: leadId, detail: { how } });
    return true;
  });
}

/** The outcome was told to a verified real-name reporter: the feedback deadline is met. */
export async function recordFeedback(db: Db, actorId: string, leadId: string, version: number) {
  return db.transaction().execute(async (trx) => {
    const lead = await findLead(trx, leadId);
    if (lead?.status !== 'concluded' || lead.feedback_given_at) return false;
    if (!(await updateLeadIfCurrent(trx, leadId, version, { feedback_given_at: new Date(), due_on: null }))) return false;
    await insertEvent(trx, { reportId: leadId, actorId, kind: 'feedback' });
    await recordAudit(trx, { actorId, action: 'lead.feedback', reportId: leadId });
    return true;
  });
}

export type MergeResult = 'ok' | 'stale' | 'invalidTarget';

/**
 * A duplicate (重复举报) is merged into the lead already being handled: it leaves the queue, and
 * its reporter keeps following the case, by their own code, through the lead it joined.
 */
export async function mergeLead(db: Db, actorId: string, leadId: string, version: number, intoId: string): Promise<MergeResult> {
  return db.transaction().execute(async (trx) => {
    const [lead, target] = [await findLead(trx, leadId), await findLead(trx, intoId)];
    if (!lead || lead.version !== version) return 'stale';
    if (!target || target.id === lead.id || target.status === 'merged' || lead.status === 'merged') return 'invalidTarget';
    const merged = await updateLeadIfCurrent(trx, leadId, version, {
      status: 'merged',
      status_changed_at: new Date(),
      merged_into_id: intoId,
      due_on: null,
    });
    if (!merged) return 'stale';
    await insertEvent(trx, { reportId: leadId, actorId, kind: 'merge', from: lead.status, to: 'merged', detail: { into: intoId } });
    await insertEvent(trx, { reportId: intoId, actorId, kind: 'merge', detail: { from: leadId } });
    await recordAudit(trx, { actorId, action: 'lead.merge', reportId: leadId, detail: { into: intoId } });
    return 'ok';
  });
}

/** A real-name reporter's identity as the report form sealed it (src/reports/submit.ts toRow). */
export interface RevealedIdentity {
  name: string;
  phone: string;
}

export type RevealResult =
  | { ok: true; identity: RevealedIdentity }
  | { ok: false; problem: 'notFound' | 'denied' | 'noReason' | 'noIdentity' };

/**
 * Opens a real-name reporter's identity for one response: only an admin or the investigator the
 * lead is assigned to (src/staff/access.ts, LEAD_ACCESS), only with a reason, and always on the
 * record — a refused attempt too, whatever its form held. `reason` is undefined when the form gave
 * none that passed validation. The audit row and the unsealing share a transaction: an identity
 * that cannot be opened leaves no record of a reveal that did not happen.
 */
export async function revealIdentity(db: Db, identityKey: Buffer, staff: Actor, leadId: string, reason: string | undefined): Promise<RevealResult> {
  return db.transaction().execute(async (trx): Promise<RevealResult> => {
    const lead = await findLead(trx, leadId);
    if (!lead) return { ok: false, problem: 'notFound' };
    if (!mayOnLead('identity', staff, lead.assignee_id)) {
      await recordAudit(trx, { actorId: staff.userId, action: 'identity.reveal.denied', reportId: leadId });
      return { ok: false, problem: 'denied' };
    }
    if (reason === undefined) return { ok: false, problem: 'noReason' };
    if (!lead.identity_sealed) return { ok: false, problem: 'noIdentity' };
    const identity = JSON.parse(unseal(identityKey, lead.identity_sealed)) as RevealedIdentity;
    await recordAudit(trx, { actorId: staff.userId, action: 'identity.reveal', reportId: leadId, detail: { reason } });
    return { ok: true, identity };
  });
}
