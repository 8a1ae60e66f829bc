import type { Kysely } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit/service.js';
import type { Database } from '../db/schema.js';
import { text } from '../reports/schema.js';

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
  const lead = await db.selectFrom('reports').select(['status', 'description']).where('id', '=', input.reportId).executeTakeFirst();
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
    const row = caseId
      ? await trx
          .updateTable('typical_cases')
          .set({ ...values, status: 'pending', approved_by: null, approved_at: null, updated_at: new Date() })
          .where('id', '=', caseId)
          .returning('id')
          .executeTakeFirst()
      : await trx.insertInto('typical_cases').values(values).returning('id').executeTakeFirstOrThrow();
    if (!row) return null;
    await recordAudit(trx, { actorId, action: 'case.write', reportId: input.reportId, detail: { caseId: row.id, title: input.title, edit: Boolean(caseId) } });
    return row.id;
  });
  return id ? { ok: true as const, id } : null;
}

export type ApproveResult = 'published' | 'own' | 'missing';

export async function approveCase(db: Db, actorId: string, caseId: string): Promise<ApproveResult> {
  return db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('typical_cases').select(['author_id', 'report_id', 'status']).where('id', '=', caseId).forUpdate().executeTakeFirst();
    if (!c || c.status === 'published') return c ? 'published' : 'missing';
    if (c.author_id === actorId) {
      await recordAudit(trx, { actorId, action: 'case.approve.denied', reportId: c.report_id, detail: { caseId, reason: 'own' } });
      return 'own';
    }
    await trx.updateTable('typical_cases').set({ status: 'published', approved_by: actorId, approved_at: new Date() }).where('id', '=', caseId).execute();
    await recordAudit(trx, { actorId, action: 'case.approve', reportId: c.report_id, detail: { caseId, author: c.author_id } });
    return 'published';
  });
}

export async function unpublishCase(db: Db, actorId: string, caseId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('typical_cases')
      .set({ status: 'withdrawn', updated_at: new Date() })
      .where('id', '=', caseId)
      .where('status', '=', 'published')
      .returning('report_id')
      .executeTakeFirst();
    if (row) await recordAudit(trx, { actorId, action: 'case.unpublish', reportId: row.report_id, detail: { caseId } });
    return Boolean(row);
  });
}

export function findCase(db: Db, caseId: string) {
  return db.selectFrom('typical_cases').selectAll().where('id', '=', caseId).executeTakeFirst();
}

export function listCases(db: Db) {
  return db
    .selectFrom('typical_cases as c')
    .innerJoin('staff_users as a', 'a.id', 'c.author_id')
    .leftJoin('staff_users as p', 'p.id', 'c.approved_by')
    .select(['c.id', 'c.report_id', 'c.title', 'c.status', 'c.updated_at', 'c.approved_at', 'c.author_id', 'a.username as author', 'p.username as approver'])
    .orderBy('c.id', 'desc')
    .limit(200)
    .execute();
}

/** What the public sees: the summary, its date and the lead's category — nothing else of the lead. */
export function publishedCases(db: Db) {
  return db
    .selectFrom('typical_cases as c')
    .innerJoin('reports as r', 'r.id', 'c.report_id')
    .select(['c.id', 'c.title', 'c.summary', 'c.approved_at', 'r.category'])
    .where('c.status', '=', 'published')
    .orderBy('c.approved_at', 'desc')
    .limit(50)
    .execute();
}
