import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { RecheckMethod } from '../db/schema-households.js';
import type { Candidate } from './draw.js';
import type { RecheckKind } from './schema.js';

// Every query of the re-check draws (复核复查, 年度抽查). Households leave here with their ID number
// masked only (id_masked); the sealed one is never selected.

type Db = Kysely<Database> | Transaction<Database>;

/** Every household in scope (one programme year, or all), unordered: draw.ts fixes the order. */
export function listCandidates(db: Db, year: number | null): Promise<Candidate[]> {
  return db
    .selectFrom('households')
    .select(['id', 'village'])
    .$if(year !== null, (q) => q.where('programme_year', '=', year!))
    .execute();
}

/** Households in scope with an open flag (neither resolved nor cleared), for "force flagged in". */
export async function listFlagged(db: Db, year: number | null): Promise<Candidate[]> {
  return db
    .selectFrom('households as h')
    .select(['h.id', 'h.village'])
    .where((eb) =>
      eb.exists(
        eb.selectFrom('household_flags as f').select(sql.lit(1).as('one')).whereRef('f.household_id', '=', 'h.id').where('f.resolved_at', 'is', null).where('f.cleared_at', 'is', null),
      ),
    )
    .$if(year !== null, (q) => q.where('h.programme_year', '=', year!))
    .execute();
}

export async function insertDraw(
  db: Db,
  d: { kind: RecheckKind; seed: string; ratePercent: number; minimumPerVillage: number; year: number | null; candidateCount: number; digest: string; forcedFlagged: boolean; drawnBy: string },
): Promise<string> {
  const r = await db
    .insertInto('recheck_draws')
    .values({
      kind: d.kind,
      seed: d.seed,
      rate_percent: d.ratePercent,
      minimum_per_village: d.minimumPerVillage,
      programme_year: d.year,
      candidate_count: d.candidateCount,
      candidate_digest: d.digest,
      forced_flagged: d.forcedFlagged,
      drawn_by: d.drawnBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

export async function insertItems(db: Db, drawId: string, items: { householdId: string; forced: boolean }[]): Promise<void> {
  if (items.length === 0) return;
  await db
    .insertInto('recheck_items')
    .values(items.map((item, i) => ({ draw_id: drawId, household_id: item.householdId, position: i + 1, forced: item.forced })))
    .execute();
}

const differs = sql<boolean>`EXISTS (SELECT 1 FROM jsonb_each(i.fields) e WHERE e.value = 'false'::jsonb)`;

/** The draws, newest first, with how many items, how many recorded and how many found a difference. */
export function listDraws(db: Db) {
  return db
    .selectFrom('recheck_draws as d')
    .leftJoin('staff_users as u', 'u.id', 'd.drawn_by')
    .select([
      'd.id', 'd.kind', 'd.drawn_at', 'd.programme_year', 'd.candidate_count', 'u.username as drawer',
      (eb) => eb.selectFrom('recheck_items as i').select((e) => e.fn.countAll<string>().as('n')).whereRef('i.draw_id', '=', 'd.id').as('items'),
      (eb) => eb.selectFrom('recheck_items as i').select((e) => e.fn.countAll<string>().as('n')).whereRef('i.draw_id', '=', 'd.id').where('i.recorded_at', 'is not', null).as('recorded'),
      (eb) => eb.selectFrom('recheck_items as i').select((e) => e.fn.countAll<string>().as('n')).whereRef('i.draw_id', '=', 'd.id').where(differs).as('mismatches'),
    ])
    .orderBy('d.id', 'desc')
    .limit(200)
    .execute();
}

export function findDraw(db: Db, id: string) {
  return db
    .selectFrom('recheck_draws as d')
    .leftJoin('staff_users as u', 'u.id', 'd.drawn_by')
    .selectAll('d')
    .select(['u.username as drawer', sql<string>`to_char(d.drawn_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`.as('drawn_on')])
    .where('d.id', '=', id)
    .executeTakeFirst();
}

// DATE columns read as 'YYYY-MM-DD' strings (src/db/connect.ts).
/** A draw's items in position order, each with the household as the register holds it now. */
export function findItems(db: Db, drawId: string, village?: string) {
  return db
    .selectFrom('recheck_items as i')
    .innerJoin('households as h', 'h.id', 'i.household_id')
    .leftJoin('staff_users as u', 'u.id', 'i.checker_id')
    .select([
      'i.id', 'i.position', 'i.forced', 'i.method as checked_by_method', 'i.fields', 'i.note', 'i.recorded_at', 'u.username as checker',
      'i.checked_on',
      'h.id as household_id', 'h.village', 'h.village_group', 'h.head_name', 'h.id_masked', 'h.household_type', 'h.danger_grade', 'h.method',
      'h.programme_year', 'h.approved_yuan', 'h.archive', 'h.proxy_reason',
      'h.accepted_on', 'h.posted_village_from', 'h.posted_village_to', 'h.posted_town_from', 'h.posted_town_to',
      (eb) => eb.selectFrom('problem_row_households as p').select('p.row_id').whereRef('p.recheck_item_id', '=', 'i.id').limit(1).as('problem_row_id'),
    ])
    .where('i.draw_id', '=', drawId)
    .$if(village !== undefined, (q) => q.where('h.village', '=', village!))
    .orderBy('i.position')
    .execute();
}

/** The payments of the given households, for the sheet's "as recorded" values. */
export function findPaymentsOf(db: Db, householdIds: readonly string[]) {
  if (householdIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('household_payments')
    .select(['household_id', 'paid_on', 'amount_yuan', 'payee_name', 'channel'])
    .where('household_id', 'in', [...householdIds])
    .orderBy('household_id')
    .orderBy('position')
    .execute();
}

/** One item with what recording it needs: its draw, its household, whether it is recorded already. */
export function findItem(db: Db, itemId: string) {
  return db
    .selectFrom('recheck_items as i')
    .innerJoin('recheck_draws as d', 'd.id', 'i.draw_id')
    .innerJoin('households as h', 'h.id', 'i.household_id')
    .select([
      'i.id', 'i.draw_id', 'i.household_id', 'i.recorded_at', 'd.kind',
      sql<string>`to_char(d.drawn_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`.as('drawn_on'),
      'h.village', 'h.village_group', 'h.head_name',
    ])
    .where('i.id', '=', itemId)
    .executeTakeFirst();
}

/** Records the re-check, once: false when it was recorded already (a second submit changes nothing). */
export async function recordItem(
  db: Db,
  itemId: string,
  r: { method: RecheckMethod; checkedOn: string; checkerId: string; fields: Record<string, boolean>; note: string },
): Promise<boolean> {
  const res = await db
    .updateTable('recheck_items')
    .set({ method: r.method, checked_on: r.checkedOn, checker_id: r.checkerId, fields: JSON.stringify(r.fields), note: r.note || null, recorded_at: sql<Date>`now()` })
    .where('id', '=', itemId)
    .where('recorded_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function linkProblemRow(db: Db, rowId: string, householdId: string, itemId: string): Promise<void> {
  await db.insertInto('problem_row_households').values({ row_id: rowId, household_id: householdId, recheck_item_id: itemId }).execute();
}

/** A household's re-checks, newest draw first, for its page. */
export function findRechecksOfHousehold(db: Db, householdId: string) {
  return db
    .selectFrom('recheck_items as i')
    .innerJoin('recheck_draws as d', 'd.id', 'i.draw_id')
    .leftJoin('staff_users as u', 'u.id', 'i.checker_id')
    .select(['i.id', 'i.draw_id', 'd.kind', 'd.drawn_at', 'i.forced', 'i.method', 'i.checked_on', 'i.fields', 'i.note', 'i.recorded_at', 'u.username as checker'])
    .where('i.household_id', '=', householdId)
    .orderBy('i.draw_id', 'desc')
    .execute();
}

/** The problem-list rows that name a household. */
export function findProblemRowsOfHousehold(db: Db, householdId: string) {
  return db
    .selectFrom('problem_row_households as l')
    .innerJoin('problem_rows as p', 'p.id', 'l.row_id')
    .select(['p.id', 'p.category', 'p.progress', 'p.deadline', 'l.recheck_item_id'])
    .where('l.household_id', '=', householdId)
    .orderBy('p.id')
    .execute();
}
