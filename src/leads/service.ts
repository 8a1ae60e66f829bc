import type { Kysely } from 'kysely';
import { recordAudit } from '../audit.js';
import type { Campaign } from '../campaign.js';
import type { Database } from '../db/schema.js';
import type { WorkCalendar } from './calendar.js';
import { dueOnFor } from './deadlines.js';
import { findLead, insertEvent, insertPublicUpdate, updateLeadIfCurrent } from './repository.js';
import { transitionProblem, type TransitionInput, type TransitionProblem } from './workflow.js';

type Db = Kysely<Database>;

export interface LeadRules {
  calendar: WorkCalendar;
  deadlines: Campaign['deadlines'];
}

export type ChangeResult = { ok: true } | { ok: false; stale: true } | { ok: false; stale: false; problem: TransitionProblem };

const STALE = { ok: false, stale: true } as const;

/**
 * Moves a lead along the workflow, with its public update, internal note, event and audit entry
 * in one transaction. `version` is what the staff member's form was showing: if someone changed
 * the lead since, nothing is written and the caller answers 409.
 */
export async function changeStatus(
  db: Db,
  rules: LeadRules,
  actorId: string,
  leadId: string,
  version: number,
  input: TransitionInput & { note?: string },
): Promise<ChangeResult> {
  return db.transaction().execute(async (trx) => {
    const lead = await findLead(trx, leadId);
    if (!lead || lead.version !== version) return STALE;
    const problem = transitionProblem(lead.status, input);
    if (problem) return { ok: false, stale: false, problem };
    const now = new Date();
    // The conclusion deadline starts at acceptance and does not move when the investigation starts.
    const dueOn = input.to === 'investigating' ? lead.due_on : dueOnFor(rules.calendar, rules.deadlines, input.to, now);
    const changed = await updateLeadIfCurrent(trx, leadId, version, {
      status: input.to,
      status_changed_at: now,
      due_on: dueOn,
      outcome: input.to === 'concluded' ? input.outcome! : null,
      closing_note: input.reason ?? input.transferredTo ?? null,
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
