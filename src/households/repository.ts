import { sql, type ExpressionBuilder, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import { pageLimit } from '../db/paging.js';
import type { Database } from '../db/schema.js';
import type { HouseholdFlagKind, HouseholdsTable } from '../db/schema-households.js';
import type { PaymentInput } from './schema.js';

// Every query of the household register. ID numbers leave here masked (id_masked) unless a
// caller asks for the sealed value by name (findSealedId), which only the audited reveal does.

type Db = Kysely<Database> | Transaction<Database>;

export type NewHousehold = Omit<Insertable<HouseholdsTable>, 'id' | 'version' | 'created_at' | 'updated_at'>;
export type StoredHousehold = Omit<Selectable<HouseholdsTable>, 'id_sealed'>;

const COLUMNS = [
  'id', 'village', 'village_group', 'head_name', 'id_hash', 'id_masked', 'phone', 'household_type', 'danger_grade', 'method',
  'programme_year', 'approved_yuan', 'accepted_on', 'posted_village_from', 'posted_village_to', 'posted_town_from',
  'posted_town_to', 'archive', 'proxy_reason', 'content_digest', 'version', 'created_by', 'created_at', 'updated_at',
] as const;

const dateText = (column: string) => sql<string | null>`to_char(${sql.ref(column)}, 'YYYY-MM-DD')`.as(column.split('.').pop()!);

function selectHousehold(db: Db) {
  return db
    .selectFrom('households as h')
    .select(COLUMNS.filter((c) => !['accepted_on', 'posted_village_from', 'posted_village_to', 'posted_town_from', 'posted_town_to'].includes(c)).map((c) => `h.${c}` as const))
    .select([dateText('h.accepted_on'), dateText('h.posted_village_from'), dateText('h.posted_village_to'), dateText('h.posted_town_from'), dateText('h.posted_town_to')]);
}

/**
 * Records by their import key (village, ID hash, programme year), for one batch of rows: one
 * statement whatever the batch's size (the keys travel as three arrays, the hashes as hex).
 */
export async function findByKeys(db: Db, keys: { village: string; idHash: Buffer; year: number }[]): Promise<StoredHousehold[]> {
  if (keys.length === 0) return [];
  const villages = keys.map((x) => x.village);
  const hashes = keys.map((x) => x.idHash.toString('hex'));
  const years = keys.map((x) => x.year);
  return (await selectHousehold(db)
    .where(
      sql<boolean>`(h.village, h.id_hash, h.programme_year) IN (
        SELECT k.village, decode(k.id_hash, 'hex'), k.year::smallint FROM unnest(${villages}::text[], ${hashes}::text[], ${years}::int[]) AS k(village, id_hash, year))`,
    )
    .execute()) as StoredHousehold[];
}

export async function findHousehold(db: Db, id: string): Promise<StoredHousehold | undefined> {
  return (await selectHousehold(db).where('h.id', '=', id).executeTakeFirst()) as StoredHousehold | undefined;
}

export async function insertHousehold(db: Db, row: NewHousehold): Promise<string> {
  const r = await db.insertInto('households').values(row).returning('id').executeTakeFirstOrThrow();
  return r.id;
}

/** Many records in one statement; returns each one's id with its import key (rows may come back in any order). */
/** How many households the planner believes the register holds (pg_class's estimate; -1 or 0 before any ANALYZE). */
export async function estimatedHouseholds(db: Db): Promise<number> {
  const r = await sql<{ n: number }>`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'households'::regclass`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * Fresh statistics for the tables an import writes, its own uncommitted rows included (ANALYZE
 * counts them inside the transaction), so the next batches' statements are planned for the
 * register's real size.
 */
export async function analyzeRegister(db: Db): Promise<void> {
  await sql`ANALYZE households, household_payments`.execute(db);
}

export async function insertHouseholds(db: Db, rows: NewHousehold[]) {
  if (rows.length === 0) return [];
  return db.insertInto('households').values(rows).returning(['id', 'village', 'id_hash', 'programme_year']).execute();
}

/** Overwrites a record if it is still at `version`; false when someone changed it meanwhile. */
export async function updateHousehold(db: Db, id: string, version: number, row: Partial<NewHousehold>): Promise<boolean> {
  const r = await db
    .updateTable('households')
    .set({ ...row, version: sql<number>`version + 1`, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function replacePayments(db: Db, householdId: string, payments: PaymentInput[]): Promise<void> {
  await db.deleteFrom('household_payments').where('household_id', '=', householdId).execute();
  if (payments.length === 0) return;
  await db
    .insertInto('household_payments')
    .values(payments.map((p, i) => ({ household_id: householdId, position: i + 1, paid_on: p.paidOn, amount_yuan: p.amountYuan, payee_name: p.payeeName, channel: p.channel })))
    .execute();
}

export function findPayments(db: Db, householdId: string) {
  return db
    .selectFrom('household_payments')
    .select(['position', sql<string>`to_char(paid_on, 'YYYY-MM-DD')`.as('paid_on'), 'amount_yuan', 'payee_name', 'channel'])
    .where('household_id', '=', householdId)
    .orderBy('position')
    .execute();
}

/** The payments of many households at once, in their order, for the history of a batch's changed rows. */
export function findPaymentsOf(db: Db, householdIds: string[]) {
  if (householdIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('household_payments')
    .select(['household_id', 'position', sql<string>`to_char(paid_on, 'YYYY-MM-DD')`.as('paid_on'), 'amount_yuan', 'payee_name', 'channel'])
    .where('household_id', 'in', householdIds)
    .orderBy('household_id')
    .orderBy('position')
    .execute();
}

/** The payments of many households replaced at once (none of theirs kept), in statements of at most 5,000 rows. */
export async function replacePaymentsOf(db: Db, payments: { householdId: string; payments: PaymentInput[] }[], replacing: string[]): Promise<void> {
  if (replacing.length) await db.deleteFrom('household_payments').where('household_id', 'in', replacing).execute();
  const rows = payments.flatMap((h) =>
    h.payments.map((p, i) => ({ household_id: h.householdId, position: i + 1, paid_on: p.paidOn, amount_yuan: p.amountYuan, payee_name: p.payeeName, channel: p.channel })),
  );
  for (let i = 0; i < rows.length; i += 5000) await db.insertInto('household_payments').values(rows.slice(i, i + 5000)).execute();
}

export async function insertHistory(
  db: Db,
  entry: { householdId: string; actorId: string | null; source: 'import' | 'edit' | 'flag' | 'recheck' | 'lead'; importId?: string | null; changes: Record<string, unknown> },
): Promise<void> {
  await db
    .insertInto('household_history')
    .values({ household_id: entry.householdId, actor_id: entry.actorId, source: entry.source, import_id: entry.importId ?? null, changes: JSON.stringify(entry.changes) })
    .execute();
}

export type HistoryEntry = { householdId: string; actorId: string | null; source: 'import' | 'edit' | 'flag' | 'recheck' | 'lead'; importId?: string | null; changes: Record<string, unknown> };

/** Many history entries in one statement. */
export async function insertHistories(db: Db, entries: HistoryEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('household_history')
    .values(entries.map((e) => ({ household_id: e.householdId, actor_id: e.actorId, source: e.source, import_id: e.importId ?? null, changes: JSON.stringify(e.changes) })))
    .execute();
}

export function findHistory(db: Db, householdId: string) {
  return db
    .selectFrom('household_history as e')
    .leftJoin('staff_users as u', 'u.id', 'e.actor_id')
    .select(['e.id', 'e.at', 'e.source', 'e.changes', 'u.username as actor'])
    .where('e.household_id', '=', householdId)
    .orderBy('e.id')
    .execute();
}

/** The sealed ID number, for the audited reveal only. */
export async function findSealedId(db: Db, householdId: string): Promise<Buffer | undefined> {
  const r = await db.selectFrom('households').select('id_sealed').where('id', '=', householdId).executeTakeFirst();
  return r?.id_sealed;
}

export function findFlags(db: Db, householdId: string) {
  return db
    .selectFrom('household_flags as f')
    .leftJoin('staff_users as u', 'u.id', 'f.cleared_by')
    .select(['f.id', 'f.kind', 'f.detail', 'f.raised_at', 'f.resolved_at', 'f.cleared_at', 'f.clear_note', 'u.username as cleared_by_name'])
    .where('f.household_id', '=', householdId)
    .orderBy('f.resolved_at', (ob) => ob.desc().nullsFirst())
    .orderBy('f.id')
    .execute();
}

/** Clears a live flag with a note; false when it is not live or already cleared. */
export async function clearFlag(db: Db, flagId: string, householdId: string, actorId: string, note: string): Promise<HouseholdFlagKind | null> {
  const r = await db
    .updateTable('household_flags')
    .set({ cleared_at: sql<Date>`now()`, cleared_by: actorId, clear_note: note })
    .where('id', '=', flagId)
    .where('household_id', '=', householdId)
    .where('resolved_at', 'is', null)
    .where('cleared_at', 'is', null)
    .returning('kind')
    .executeTakeFirst();
  return r?.kind ?? null;
}

/** A household's open flags (neither resolved nor cleared), as a list of kinds, for `h`. */
const openFlagKinds = (eb: ExpressionBuilder<Database & { h: HouseholdsTable }, 'h'>) =>
  eb
    .selectFrom('household_flags as f')
    .select(sql<HouseholdFlagKind[]>`coalesce(array_agg(f.kind ORDER BY f.kind), '{}')`.as('kinds'))
    .whereRef('f.household_id', '=', 'h.id')
    .where('f.resolved_at', 'is', null)
    .where('f.cleared_at', 'is', null)
    .as('flags');

/**
 * Conditions on a household `h` that the list filters by and the overview counts by, defined once
 * so that every figure links to a list of exactly that many. A re-check does not match when any
 * field it checked was recorded as differing (false).
 */
export const HOUSEHOLD_STATES = {
  flagged: sql<boolean>`EXISTS (SELECT 1 FROM household_flags f WHERE f.household_id = h.id AND f.resolved_at IS NULL AND f.cleared_at IS NULL)`,
  drawn: sql<boolean>`EXISTS (SELECT 1 FROM recheck_items i WHERE i.household_id = h.id)`,
  rechecked: sql<boolean>`EXISTS (SELECT 1 FROM recheck_items i WHERE i.household_id = h.id AND i.recorded_at IS NOT NULL)`,
  mismatch: sql<boolean>`EXISTS (SELECT 1 FROM recheck_items i, jsonb_each(i.fields) e WHERE i.household_id = h.id AND i.recorded_at IS NOT NULL AND e.value = 'false'::jsonb)`,
};
export const RECHECK_STATES = ['drawn', 'rechecked', 'mismatch'] as const;

export interface RegisterFilter {
  village?: string;
  /** A kind, 'any' open flag, or 'none' (no open flag). */
  flag?: HouseholdFlagKind | 'any' | 'none';
  year?: number;
  /** Part of a head of household's name. */
  name?: string;
  recheck?: (typeof RECHECK_STATES)[number];
}

/** A page of the register (and one row more: src/db/paging.ts), newest first by id, with each household's open flags (kinds). */
export function listHouseholds(db: Db, f: RegisterFilter, page: { before?: string; size: number }) {
  let q = filtered(db, f);
  if (page.before) q = q.where('h.id', '<', page.before);
  return q.orderBy('h.id', 'desc').limit(pageLimit(page.size)).execute();
}

/** Every household the filter matches, in village and id order, for the (masked) export. */
export function exportHouseholds(db: Db, f: RegisterFilter) {
  return filtered(db, f).orderBy('h.village').orderBy('h.id').execute();
}

/** The same rows with each sealed ID number beside them: for the audited unmasked export only. */
export function exportHouseholdsSealed(db: Db, f: RegisterFilter) {
  return filtered(db, f).select('h.id_sealed').orderBy('h.village').orderBy('h.id').execute();
}

function filtered(db: Db, f: RegisterFilter) {
  let q = db
    .selectFrom('households as h')
    .select(['h.id', 'h.village', 'h.village_group', 'h.head_name', 'h.id_masked', 'h.household_type', 'h.danger_grade', 'h.method', 'h.programme_year', 'h.approved_yuan'])
    .select(openFlagKinds);
  if (f.village) q = q.where('h.village', '=', f.village);
  if (f.year) q = q.where('h.programme_year', '=', f.year);
  if (f.name) q = q.where('h.head_name', 'like', `%${f.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (f.recheck) q = q.where(HOUSEHOLD_STATES[f.recheck]);
  if (f.flag === 'none') q = q.where(sql<boolean>`NOT ${HOUSEHOLD_STATES.flagged}`);
  else if (f.flag) {
    const flag = f.flag;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('household_flags as f')
          .select(sql.lit(1).as('one'))
          .whereRef('f.household_id', '=', 'h.id')
          .where('f.resolved_at', 'is', null)
          .where('f.cleared_at', 'is', null)
          .$if(flag !== 'any', (qb) => qb.where('f.kind', '=', flag as HouseholdFlagKind)),
      ),
    );
  }
  return q;
}

/**
 * Per village: households, households with an open flag, and open flags by kind, as last counted
 * by the database (recountVillages): one small row per village, whatever the register's size.
 */
export function countFlagsByVillage(db: Db) {
  return db.selectFrom('household_village_counts').select(['village', 'households', 'flagged', 'kinds']).orderBy('village').execute();
}

/** The village a household is in (for the recount after a flag is cleared). */
export async function villageOf(db: Db, householdId: string): Promise<string | undefined> {
  return (await db.selectFrom('households').select('village').where('id', '=', householdId).executeTakeFirst())?.village;
}

export async function upsertStandard(
  db: Db,
  s: { householdType: string; dangerGrade: 'C' | 'D'; method: string; yearFrom: number; yearTo: number; amountYuan: string; updatedBy: string },
): Promise<void> {
  await db
    .insertInto('subsidy_standards')
    .values({ household_type: s.householdType, danger_grade: s.dangerGrade, method: s.method, year_from: s.yearFrom, year_to: s.yearTo, amount_yuan: s.amountYuan, updated_by: s.updatedBy })
    .execute();
}

export function listStandards(db: Db) {
  return db.selectFrom('subsidy_standards').selectAll().orderBy('household_type').orderBy('danger_grade').orderBy('method').orderBy('year_from').execute();
}

export async function deleteStandard(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('subsidy_standards').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
export { recountVillages, refreshFlags, refreshHouseholdFlags, type PriorKeys } from './flags/repository.js';

/** An uploaded file between its preview and its commit (sealed: it holds ID numbers). */
/**
 * Sealed import files go to and from the database in slices: one 20 MB bytea parameter costs the
 * driver three growing copies of it, and one 20 MB bytea result a 40 MB hex string and its parse,
 * all at once on top of the file itself (issue 12: a 100,000-row CSV is 19 MB).
 */
export const FILE_SLICE = 4 * 1024 * 1024;

export async function insertImport(
  db: Db,
  i: { digest: Buffer; kind: 'csv' | 'xlsx'; sealed: Buffer; rows: number; uploadedBy: string },
): Promise<string> {
  const r = await db
    .insertInto('household_imports')
    .values({ file_digest: i.digest, file_kind: i.kind, file_sealed: i.sealed.subarray(0, FILE_SLICE), row_count: i.rows, uploaded_by: i.uploadedBy })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let at = FILE_SLICE; at < i.sealed.length; at += FILE_SLICE) {
    await db
      .updateTable('household_imports')
      .set({ file_sealed: sql<Buffer>`file_sealed || ${i.sealed.subarray(at, at + FILE_SLICE)}` })
      .where('id', '=', r.id)
      .execute();
  }
  return r.id;
}

/** An import still waiting for its commit, locked for this transaction (a double click commits once). */
export function findPendingImport(db: Db, id: string) {
  return db
    .selectFrom('household_imports')
    .select(['id', 'file_kind', 'row_count', 'uploaded_by'])
    .select(sql<number | null>`octet_length(file_sealed)`.as('file_bytes'))
    .where('id', '=', id)
    .where('status', '=', 'preview')
    .forUpdate()
    .executeTakeFirst();
}

/** The sealed copy of an import (its length from findPendingImport), slice by slice. */
export async function* readSealedFile(db: Db, id: string, bytes: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes; at += FILE_SLICE) {
    const r = await db
      .selectFrom('household_imports')
      .select(sql<Buffer>`substring(file_sealed from ${at + 1} for ${FILE_SLICE})`.as('slice'))
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    yield r.slice;
  }
}

export async function closeImport(db: Db, id: string, status: 'committed' | 'discarded', summary: Record<string, unknown>): Promise<void> {
  await db
    .updateTable('household_imports')
    .set({ status, file_sealed: null, summary: JSON.stringify(summary), committed_at: status === 'committed' ? sql<Date>`now()` : null })
    .where('id', '=', id)
    .execute();
}

/** The households a lead is about, with their open flags (kinds): shown on the lead page. */
export function findLinkedHouseholds(db: Db, reportId: string) {
  return db
    .selectFrom('household_leads as l')
    .innerJoin('households as h', 'h.id', 'l.household_id')
    .select(['h.id', 'h.village', 'h.head_name', 'h.id_masked', 'h.programme_year'])
    .select(openFlagKinds)
    .where('l.report_id', '=', reportId)
    .orderBy('h.id')
    .execute();
}

/** The leads about a household (ids and statuses only: what a lead says stays on the lead's page). */
export function findLinkedLeads(db: Db, householdId: string) {
  return db
    .selectFrom('household_leads as l')
    .innerJoin('reports as r', 'r.id', 'l.report_id')
    .select(['r.id', 'r.status'])
    .where('l.household_id', '=', householdId)
    .orderBy('r.id')
    .execute();
}

/** Candidates to link a lead to: by village and part of the head's name, or the masked ID's last 4. */
export function searchHouseholds(db: Db, q: { village?: string; text: string }) {
  const text = q.text.trim();
  let query = db.selectFrom('households as h').select(['h.id', 'h.village', 'h.head_name', 'h.id_masked', 'h.programme_year']);
  if (q.village) query = query.where('h.village', '=', q.village);
  if (/^\d{3,4}[\dXx]?$/.test(text)) query = query.where('h.id_masked', 'like', `%${text.toUpperCase()}`);
  else if (text) query = query.where('h.head_name', 'like', `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  return query.orderBy('h.village').orderBy('h.head_name').limit(50).execute();
}

export async function insertLeadLink(db: Db, householdId: string, reportId: string, actorId: string): Promise<string | null> {
  const r = await db
    .insertInto('household_leads')
    .values({ household_id: householdId, report_id: reportId, linked_by: actorId })
    .onConflict((oc) => oc.doNothing())
    .returning('household_id')
    .executeTakeFirst();
  if (!r) return null;
  const h = await db.selectFrom('households').select('village').where('id', '=', householdId).executeTakeFirstOrThrow();
  return h.village;
}

export async function deleteLeadLink(db: Db, householdId: string, reportId: string): Promise<string | null> {
  const r = await db.deleteFrom('household_leads').where('household_id', '=', householdId).where('report_id', '=', reportId).executeTakeFirst();
  if (Number(r.numDeletedRows) !== 1) return null;
  const h = await db.selectFrom('households').select('village').where('id', '=', householdId).executeTakeFirstOrThrow();
  return h.village;
}
