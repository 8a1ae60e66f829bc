import type { Kysely } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit/service.js';
import type { Database } from '../db/schema.js';
import { text } from '../reports/schema.js';
import { findCaseLead, insertCase, lockCase, markPublished, markWithdrawn, updateCaseText } from './repository.js';

type Db = Kysely<Database>;

// Typical cases (典型案例): what the public reads on /results about a concluded lead. Staff write a
// summary for the public — never the reporter's text — and it is published only when a second,
// different staff member approves it (the four-eyes rule; the database holds it too). Whoever last
// wrote the text counts as its author, so an edit goes back to pending and needs a new approval.

export const caseInputSchema = z.object({
  reportId: z.string({ error: 'errors.cases.lead' }).trim().regex(/^\d{1,18}$/, 'errors.cases.lead'),
  title: text({ min: 4, max: 80 }),
  summary: text({ min: 30, max: 2000 }),
});
export type CaseInput = z.output<typeof caseInputSchema>;

// A run this long copied from the report is the reporter's own words, which can give them away.
const COPIED_RUN = 12;

function copiesFrom(source: string, summary: string): boolean {
  const squeeze = (s: string) => s.replace(/\s+/g, '');
  const a = squeeze(source);
  const b = squeeze(summary);
  for (let i = 0; i + COPIED_RUN <= a.length; i++) if (b.includes(a.slice(i, i + COPIED_RUN))) return true;
  return false;
}

export type CaseProblem = 'errors.cases.lead' | 'errors.cases.notConcluded' | 'errors.cases.copied';

/** Why the input cannot become a case (the field and the catalog key), or null. */
async function checkCase(db: Db, input: CaseInput): Promise<{ field: keyof CaseInput; problem: CaseProblem } | null> {
  const lead = await findCaseLead(db, input.reportId);
  if (!lead) return { field: 'reportId', problem: 'errors.cases.lead' };
  if (lead.status !== 'concluded') return { field: 'reportId', problem: 'errors.cases.notConcluded' };
  if (copiesFrom(lead.description, `${input.title}${input.summary}`)) return { field: 'summary', problem: 'errors.cases.copied' };
  return null;
}

export async function writeCase(db: Db, actorId: string, input: CaseInput, caseId?: string) {
  const problem = await checkCase(db, input);
  if (problem) return { ok: false as const, ...problem };
  const id = await db.transaction().execute(async (trx) => {
    const values = { report_id: input.reportId, title: input.title, summary: input.summary, author_id: actorId };
    const saved = caseId ? await updateCaseText(trx, caseId, values) : await insertCase(trx, values);
    if (!saved) return null;
    await recordAudit(trx, { actorId, action: 'case.write', reportId: input.reportId, detail: { caseId: saved, title: input.title, edit: Boolean(caseId) } });
    return saved;
  });
  return id ? { ok: true as const, id } : null;
}

export type ApproveResult = 'published' | 'own' | 'missing';

export async function approveCase(db: Db, actorId: string, caseId: string): Promise<ApproveResult> {
  return db.transaction().execute(async (trx) => {
    const c = await lockCase(trx, caseId);
    if (!c || c.status === 'published') return c ? 'published' : 'missing';
    if (c.author_id === actorId) {
      await recordAudit(trx, { actorId, action: 'case.approve.denied', reportId: c.report_id, detail: { caseId, reason: 'own' } });
      return 'own';
    }
    await markPublished(trx, caseId, actorId);
    await recordAudit(trx, { actorId, action: 'case.approve', reportId: c.report_id, detail: { caseId, author: c.author_id } });
    return 'published';
  });
}

export async function unpublishCase(db: Db, actorId: string, caseId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await markWithdrawn(trx, caseId);
    if (row) await recordAudit(trx, { actorId, action: 'case.unpublish', reportId: row.report_id, detail: { caseId } });
    return Boolean(row);
  });
}
