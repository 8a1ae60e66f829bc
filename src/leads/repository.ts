import { sql, type Kysely, type Transaction, type Updateable } from 'kysely';
import { cursorFields, cursorText, pageLimit, toPage } from '../db/paging.js';
import type { Category, Database, EventKind, ReportsTable, ReportStatus } from '../db/schema.js';

type Db = Kysely<Database>;

export const PAGE_SIZE = 50;

export interface QueueFilters {
  status?: ReportStatus;
  category?: Category;
  village?: string;
  channel?: string;
  assignee?: string | 'none';
  overdueBefore?: string; // 'YYYY-MM-DD': due before this day
  dueBy?: string; // 'YYYY-MM-DD': due on or before this day (overdue included)
  receivedFrom?: Date;
  receivedTo?: Date;
  text?: string;
  /** Only leads linked to a household of the register with an open flag. */
  householdFlagged?: boolean;
}

export interface Cursor {
  attention: number;
  dueOn: string | null;
  id: string;
}

/** The cursor as it travels in the next-page link (src/db/paging.ts): attention~due date (or -)~id. */
export const encodeCursor = (c: Cursor) => cursorText([c.attention, c.dueOn, c.id]);

/** The cursor of a next-page link; null (the first page) for one that is not ours. */
export function decodeCursor(text: string): Cursor | null {
  const [attention, dueOn, id] = cursorFields(text, 3) ?? [];
  if (!attention || !/^\d+$/.test(attention) || !id || !/^\d{1,18}$/.test(id)) return null;
  if (dueOn && !/^\d{4}-\d{2}-\d{2}$/.test(dueOn)) return null;
  return { attention: Number(attention), dueOn: dueOn ?? null, id };
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * One page of the queue: leads whose reporter wrote again first (retaliation above all), then most
 * urgent (due date), then newest. Keyset pagination (src/db/paging.ts): the page after `cursor` is
 * found through the index whatever its depth, never with OFFSET.
 */
export async function findQueuePage(db: Db, f: QueueFilters, cursor: Cursor | null) {
  const rows = await queueQuery(db, f, cursor).execute();
  return toPage(rows, PAGE_SIZE, (last): Cursor => ({ attention: last.attention, dueOn: last.due_on, id: last.id }));
}

/** The query behind a queue page (one row more than a page, to know whether another follows); the bench runs it bare. */
export function queueQuery(db: Db, f: QueueFilters, cursor: Cursor | null) {
  let q = db
    .selectFrom('reports as r')
    .leftJoin('staff_users as a', 'a.id', 'r.assignee_id')
    .select([
      'r.id', 'r.category', 'r.village', 'r.channel', 'r.status', 'r.priority', 'r.due_on', 'r.attention',
      'r.real_name', 'a.username as assignee',
      sql<string>`left(r.description, 80)`.as('excerpt'),
    ]);
  // Merged duplicates are followed through the lead they were merged into: the queue counts a case once.
  // Said as merged_into_id IS NULL to match the queue indexes (see migrations/008).
  q = f.status ? q.where('r.status', '=', f.status) : q.where('r.merged_into_id', 'is', null);
  if (f.category) q = q.where('r.category', '=', f.category);
  if (f.village) q = q.where('r.village', '=', f.village);
  if (f.channel) q = q.where('r.channel', '=', f.channel);
  if (f.assignee === 'none') q = q.where('r.assignee_id', 'is', null);
  else if (f.assignee) q = q.where('r.assignee_id', '=', f.assignee);
  if (f.overdueBefore) q = q.where('r.due_on', '<', f.overdueBefore);
  if (f.dueBy) q = q.where('r.due_on', '<=', f.dueBy);
  if (f.receivedFrom) q = q.where('r.received_at', '>=', f.receivedFrom);
  if (f.receivedTo) q = q.where('r.received_at', '<', f.receivedTo);
  if (f.householdFlagged) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('household_leads as hl')
          .innerJoin('household_flags as hf', 'hf.household_id', 'hl.household_id')
          .select(sql.lit(1).as('one'))
          .whereRef('hl.report_id', '=', 'r.id')
          .where('hf.resolved_at', 'is', null)
          .where('hf.cleared_at', 'is', null)
          .where('hf.kind', '<>', 'named_in_lead'),
      ),
    );
  }
  if (f.text) {
    // Plain substring match: works for Chinese, which has no spaces between words.
    const p = likePattern(f.text);
    q = q.where((eb) => eb.or([eb('r.description', 'ilike', p), eb('r.subject', 'ilike', p)]));
  }
  if (cursor) {
    const { attention, dueOn, id } = cursor;
    q = q.where((eb) => {
      const sameAttention =
        dueOn === null
          ? eb.and([eb('r.due_on', 'is', null), eb('r.id', '<', id)])
          : eb.or([
              eb('r.due_on', '>', dueOn),
              eb.and([eb('r.due_on', '=', dueOn), eb('r.id', '<', id)]),
              eb('r.due_on', 'is', null),
            ]);
      return eb.or([eb('r.attention', '<', attention), eb.and([eb('r.attention', '=', attention), sameAttention])]);
    });
  }
  // Received since a date: the leads are found through reports_received_idx and then sorted.
  // Walking the queue's order instead passes every older lead still open (the most urgent come
  // first) before reaching recent ones: 1.5 s for the last three days among a million seeded leads.
  // "+ 0" keeps the planner from taking the order from the queue index. Received before a date
  // alone keeps the walk: old leads are where it starts.
  return q
    .orderBy(f.receivedFrom ? sql`r.attention + 0` : sql.ref('r.attention'), 'desc')
    .orderBy(sql`r.due_on asc nulls last`)
    .orderBy('r.id', 'desc')
    .limit(pageLimit(PAGE_SIZE));
}

export async function countByStatus(db: Db): Promise<Record<string, number>> {
  const rows = await db.selectFrom('reports').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export function findLead(db: Db, id: string) {
  return db
    .selectFrom('reports as r')
    .leftJoin('staff_users as a', 'a.id', 'r.assignee_id')
    .leftJoin('staff_users as c', 'c.id', 'r.recorded_by')
    .selectAll('r')
    .select(['a.username as assignee', 'c.username as recorder'])
    .where('r.id', '=', id)
    .executeTakeFirst();
}

export function findTimeline(db: Db, id: string) {
  return db
    .selectFrom('report_events as e')
    .leftJoin('staff_users as s', 's.id', 'e.actor_id')
    .select(['e.id', 'e.at', 'e.kind', 'e.from_status', 'e.to_status', 'e.body', 'e.detail', 's.username as actor'])
    .where('e.report_id', '=', id)
    .orderBy('e.at')
    .orderBy('e.id')
    .execute();
}

export function findPublicUpdates(db: Db, id: string) {
  return db.selectFrom('report_updates').select(['body', 'created_at']).where('report_id', '=', id).orderBy('created_at').execute();
}

export function listAssignable(db: Db) {
  return db
    .selectFrom('staff_users')
    .select(['id', 'username'])
    .where('role', 'in', ['investigator', 'admin'])
    .where('disabled', '=', false)
    .orderBy('username')
    .execute();
}

/** Applies a change only if nobody changed the lead since `version` was read; false if stale. */
export async function updateLeadIfCurrent(
  trx: Transaction<Database>,
  id: string,
  version: number,
  changes: Omit<Updateable<ReportsTable>, 'id' | 'version' | 'code_hash'>,
): Promise<boolean> {
  const r = await trx
    .updateTable('reports')
    .set((eb) => ({ ...changes, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

export async function insertEvent(
  trx: Transaction<Database> | Db,
  e: { reportId: string; actorId: string | null; kind: EventKind; from?: ReportStatus; to?: ReportStatus; body?: string | null; detail?: object },
) {
  await trx
    .insertInto('report_events')
    .values({
      report_id: e.reportId,
      actor_id: e.actorId,
      kind: e.kind,
      from_status: e.from ?? null,
      to_status: e.to ?? null,
      body: e.body ?? null,
      detail: JSON.stringify(e.detail ?? {}),
    })
    .execute();
}

export async function insertPublicUpdate(trx: Transaction<Database>, reportId: string, body: string) {
  await trx.insertInto('report_updates').values({ report_id: reportId, body }).execute();
}

/** After an upward transfer only a tombstone stays: no report text, no identity, no notes, no conversation, no files. */
export async function scrubToTombstone(trx: Transaction<Database>, id: string) {
  await trx
    .updateTable('reports')
    .set({ description: '', subject: null, typical_form: null, amount_yuan: null, real_name: false, identity_sealed: null, clearing_note: null })
    .where('id', '=', id)
    .execute();
  await trx.updateTable('report_events').set({ body: null }).where('report_id', '=', id).execute();
  await trx.deleteFrom('attachments').where('report_id', '=', id).execute();
  await trx.deleteFrom('report_messages').where('report_id', '=', id).execute();
}

/** How many of the newest leads are compared by text: most repeat reports of one matter arrive close together. */
export const SIMILAR_WINDOW = 3_000;
const SIMILARITY_THRESHOLD = 0.3;

/**
 * Leads that may concern the same matter: same village and category, the same person named, or a
 * text written alike (trigram similarity, which works on Chinese; compared among the newest
 * SIMILAR_WINDOW leads so the cost stays bounded at any table size). Each says why it is listed.
 */
export async function findRelated(db: Db, lead: { id: string; village: string | null; category: Category; subject: string | null; description: string }) {
  const columns = ['id', 'status', 'category', 'village', 'received_at', sql<string>`left(description, 60)`.as('excerpt')] as const;
  const byPlaceOrPerson = db
    .selectFrom('reports')
    .select(columns)
    .select((eb) =>
      (lead.subject ? eb.case().when(eb.fn('lower', ['subject']), '=', lead.subject.toLowerCase()).then('person').else('place').end() : eb.val('place')).as('reason'),
    )
    .where('id', '!=', lead.id)
    .where('status', '!=', 'merged')
    .where((eb) => {
      const same = [];
      if (lead.village) same.push(eb.and([eb('village', '=', lead.village), eb('category', '=', lead.category)]));
      if (lead.subject) same.push(eb(eb.fn('lower', ['subject']), '=', lead.subject.toLowerCase()));
      return same.length ? eb.or(same) : eb.lit(false);
    })
    .orderBy('received_at', 'desc')
    .limit(10)
    .execute();
  const byText = lead.description
    ? db
        .selectFrom((eb) =>
          eb.selectFrom('reports').selectAll().where('id', '!=', lead.id).where('status', '!=', 'merged').orderBy('id', 'desc').limit(SIMILAR_WINDOW).as('recent'),
        )
        .select(columns)
        .select(sql<string>`'text'`.as('reason'))
        .where(sql<boolean>`similarity(description, ${lead.description}) >= ${SIMILARITY_THRESHOLD}`)
        .orderBy(sql`similarity(description, ${lead.description})`, 'desc')
        .limit(5)
        .execute()
    : Promise.resolve([]);
  const [a, b] = await Promise.all([byPlaceOrPerson, byText]);
  const seen = new Set<string>();
  return [...a, ...b].filter((r) => !seen.has(r.id) && seen.add(r.id));
}

export type StatisticsDimension = 'status' | 'category' | 'channel' | 'village' | 'month' | 'outcome';

/**
 * Every report counted once per dimension, merged duplicates included (the queue counts a case
 * once; the statistics count each report). One scan for all dimensions. village '' is "not given";
 * month is the month received, in China.
 */
export async function leadStatistics(db: Db): Promise<Record<StatisticsDimension, Map<string, number>>> {
  const { rows } = await sql<{ g: number; status: string; category: string; channel: string; village: string; month: string; outcome: string | null; n: string }>`
    SELECT GROUPING(status, category, channel, village, month, outcome) AS g, status, category, channel, village, month, outcome, count(*) AS n
      FROM (SELECT status, category, channel, coalesce(village, '') AS village, outcome,
                   to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month
              FROM reports) r
     GROUP BY GROUPING SETS ((status), (category), (channel), (village), (month), (outcome))`.execute(db);
  // GROUPING(...) has a 0 bit for the one column each row is grouped by, in this order.
  const dims: StatisticsDimension[] = ['status', 'category', 'channel', 'village', 'month', 'outcome'];
  const out = Object.fromEntries(dims.map((d) => [d, new Map<string, number>()])) as Record<StatisticsDimension, Map<string, number>>;
  for (const row of rows) {
    const dim = dims.find((_, i) => (row.g & (1 << (dims.length - 1 - i))) === 0)!;
    const key = row[dim];
    if (key !== null) out[dim].set(key, Number(row.n));
  }
  return out;
}

/** The leads a clerk recorded, newest first, with their status only. */
export function listRecordedBy(db: Db, userId: string) {
  return db
    .selectFrom('reports')
    .select(['id', 'channel', 'status', 'received_at'])
    .where('recorded_by', '=', userId)
    .orderBy('id', 'desc')
    .limit(100)
    .execute();
}
