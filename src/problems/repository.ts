import { sql, type Kysely, type Transaction } from 'kysely';
import type { Category, Database, FiledList, ProblemProgress } from '../db/schema.js';

type Db = Kysely<Database>;

export interface RowFilters {
  village?: string;
  category?: Category;
  progress?: ProblemProgress;
  /** 'YYYY-MM-DD': not done and due before this day. */
  overdueBefore?: string;
  source?: 'lead' | 'self_check' | 'register';
}

/** Rows of the list, in the template's order: village, then category (its number), then entry. */
export function findRows(db: Db, f: RowFilters) {
  let q = db
    .selectFrom('problem_rows as p')
    .select([
      'p.id', 'p.village', 'p.category', 'p.problem', 'p.measures', 'p.progress', 'p.deadline', 'p.source', 'p.updated_at',
      (eb) =>
        eb.selectFrom('problem_row_notes as n').select('n.note').whereRef('n.row_id', '=', 'p.id').orderBy('n.at', 'desc').orderBy('n.id', 'desc').limit(1).as('last_note'),
    ]);
  if (f.village) q = q.where('p.village', '=', f.village);
  if (f.category) q = q.where('p.category', '=', f.category);
  if (f.progress) q = q.where('p.progress', '=', f.progress);
  if (f.overdueBefore) q = q.where('p.progress', '<>', 'done').where('p.deadline', '<', f.overdueBefore);
  if (f.source) q = q.where('p.source', '=', f.source);
  return q
    .orderBy('p.village')
    .orderBy(sql`array_position(array['funds','policy','duty','integrity'], p.category)`)
    .orderBy('p.id')
    .limit(2000)
    .execute();
}

export function findRow(db: Db, id: string) {
  return db
    .selectFrom('problem_rows as p')
    .leftJoin('staff_users as s', 's.id', 'p.created_by')
    .selectAll('p')
    .select('s.username as creator')
    .where('p.id', '=', id)
    .executeTakeFirst();
}

export function findNotes(db: Db, rowId: string) {
  return db
    .selectFrom('problem_row_notes as n')
    .leftJoin('staff_users as s', 's.id', 'n.actor_id')
    .select(['n.at', 'n.progress', 'n.note', 'n.lookback', 's.username as actor'])
    .where('n.row_id', '=', rowId)
    .orderBy('n.at')
    .orderBy('n.id')
    .execute();
}

export function findLeadsOfRow(db: Db, rowId: string) {
  return db
    .selectFrom('problem_row_leads as l')
    .innerJoin('reports as r', 'r.id', 'l.report_id')
    .select(['r.id', 'r.status', 'r.outcome'])
    .where('l.row_id', '=', rowId)
    .orderBy('r.id')
    .execute();
}

/** The households a row names (from a register re-check), ID numbers masked. */
export function findHouseholdsOfRow(db: Db, rowId: string) {
  return db
    .selectFrom('problem_row_households as l')
    .innerJoin('households as h', 'h.id', 'l.household_id')
    .leftJoin('recheck_items as i', 'i.id', 'l.recheck_item_id')
    .select(['h.id', 'h.head_name', 'h.id_masked', 'l.recheck_item_id', 'i.draw_id'])
    .where('l.row_id', '=', rowId)
    .orderBy('h.id')
    .execute();
}

export function findRowsOfLead(db: Db, reportId: string) {
  return db
    .selectFrom('problem_row_leads as l')
    .innerJoin('problem_rows as p', 'p.id', 'l.row_id')
    .select(['p.id', 'p.village', 'p.category', 'p.problem', 'p.progress', 'p.deadline'])
    .where('l.report_id', '=', reportId)
    .orderBy('p.id')
    .execute();
}

/** The ids of the rows made from a lead. */
export async function findRowIdsOfLead(db: Db | Transaction<Database>, reportId: string): Promise<string[]> {
  const rows = await db.selectFrom('problem_row_leads').select('row_id').where('report_id', '=', reportId).execute();
  return rows.map((r) => r.row_id);
}

/** Rows of a village a lead could be added to (not yet linked to it). */
export function findLinkableRows(db: Db, village: string, reportId: string) {
  return db
    .selectFrom('problem_rows as p')
    .select(['p.id', 'p.category', 'p.problem'])
    .where('p.village', '=', village)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('problem_row_leads as l').select('l.row_id').whereRef('l.row_id', '=', 'p.id').where('l.report_id', '=', reportId))))
    .orderBy('p.id', 'desc')
    .limit(50)
    .execute();
}

export async function insertRow(
  trx: Transaction<Database>,
  row: { village: string; category: Category; problem: string; measures: string; deadline: string; source: 'lead' | 'self_check' | 'register'; createdBy: string },
) {
  const { id } = await trx
    .insertInto('problem_rows')
    .values({ village: row.village, category: row.category, problem: row.problem, measures: row.measures, deadline: row.deadline, source: row.source, created_by: row.createdBy })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function linkLead(trx: Transaction<Database>, rowId: string, reportId: string) {
  await trx.insertInto('problem_row_leads').values({ row_id: rowId, report_id: reportId }).onConflict((oc) => oc.doNothing()).execute();
}

export async function setProgress(trx: Transaction<Database>, rowId: string, actorId: string | null, progress: ProblemProgress, note: string, lookback = false) {
  await trx
    .updateTable('problem_rows')
    .set((eb) => ({
      progress,
      updated_at: new Date(),
      // A row keeps its first completion date while it stays done.
      done_at: progress === 'done' ? eb.fn.coalesce('done_at', sql<Date>`now()`) : null,
    }))
    .where('id', '=', rowId)
    .execute();
  await trx.insertInto('problem_row_notes').values({ row_id: rowId, actor_id: actorId, progress, note, lookback }).execute();
}

export function findFiling(db: Db, village: string, month: string) {
  return db.selectFrom('problem_list_filings').selectAll().where('village', '=', village).where('month', '=', `${month}-01`).executeTakeFirst();
}

export function findFilingById(db: Db, id: string) {
  return db.selectFrom('problem_list_filings').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Filings of the given months (each 'YYYY-MM'), every village. */
export function findFilingsOf(db: Db, months: string[]) {
  return db
    .selectFrom('problem_list_filings')
    .select(['id', 'village', 'month', 'filed_on', 'snapshot', 'secretary', 'resident_leader', 'clerk_name'])
    .where('month', 'in', months.map((m) => `${m}-01`))
    .execute();
}

export async function upsertFiling(
  trx: Transaction<Database>,
  f: { village: string; month: string; snapshot: FiledList; secretary: string; residentLeader: string; clerkName: string; filedOn: string; filedBy: string },
) {
  const values = {
    snapshot: JSON.stringify(f.snapshot),
    secretary: f.secretary,
    resident_leader: f.residentLeader,
    clerk_name: f.clerkName,
    filed_on: f.filedOn,
    filed_by: f.filedBy,
  };
  // A village may correct its filing for the month: the later one replaces it (both audited).
  const r = await trx
    .insertInto('problem_list_filings')
    .values({ village: f.village, month: `${f.month}-01`, ...values })
    .onConflict((oc) => oc.columns(['village', 'month']).doUpdateSet({ ...values, created_at: new Date() }))
    .returning(['id', sql<boolean>`xmax <> 0`.as('replaced')])
    .executeTakeFirstOrThrow();
  return r;
}

/** Rows per village and progress, and the overdue ones: the dashboard's and the list's summary. */
export async function progressByVillage(db: Db, today: string) {
  const rows = await db
    .selectFrom('problem_rows')
    .select([
      'village',
      'progress',
      (eb) => eb.fn.countAll<string>().as('n'),
      (eb) => eb.fn.count<string>(eb.case().when(eb.and([eb('progress', '<>', 'done'), eb('deadline', '<', today)])).then(1).end()).as('overdue'),
    ])
    .groupBy(['village', 'progress'])
    .execute();
  return rows.map((r) => ({ village: r.village, progress: r.progress, n: Number(r.n), overdue: Number(r.overdue) }));
}
