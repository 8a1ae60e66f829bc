import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

// Typical cases' SQL. The rules (who may approve, what may be published) are in service.ts.

type Db = Kysely<Database>;
type Trx = Transaction<Database>;

/** The lead a case is written about: its status, and its text to check the summary against. */
export function findCaseLead(db: Db, reportId: string) {
  return db.selectFrom('reports').select(['status', 'description']).where('id', '=', reportId).executeTakeFirst();
}

export interface CaseText {
  report_id: string;
  title: string;
  summary: string;
  author_id: string;
}

export async function insertCase(trx: Trx, values: CaseText): Promise<string> {
  const row = await trx.insertInto('typical_cases').values(values).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** A new text goes back to pending, its approval cleared. Null when there is no such case. */
export async function updateCaseText(trx: Trx, caseId: string, values: CaseText): Promise<string | null> {
  const row = await trx
    .updateTable('typical_cases')
    .set({ ...values, status: 'pending', approved_by: null, approved_at: null, updated_at: new Date() })
    .where('id', '=', caseId)
    .returning('id')
    .executeTakeFirst();
  return row?.id ?? null;
}

/** The case, locked until the transaction ends, so two approvals cannot cross. */
export function lockCase(trx: Trx, caseId: string) {
  return trx.selectFrom('typical_cases').select(['author_id', 'report_id', 'status']).where('id', '=', caseId).forUpdate().executeTakeFirst();
}

export async function markPublished(trx: Trx, caseId: string, approverId: string): Promise<void> {
  await trx.updateTable('typical_cases').set({ status: 'published', approved_by: approverId, approved_at: new Date() }).where('id', '=', caseId).execute();
}

/** Withdraws a published case; its lead's id, or undefined when it was not published. */
export async function markWithdrawn(trx: Trx, caseId: string) {
  return trx
    .updateTable('typical_cases')
    .set({ status: 'withdrawn', updated_at: new Date() })
    .where('id', '=', caseId)
    .where('status', '=', 'published')
    .returning('report_id')
    .executeTakeFirst();
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
