import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database>;

/** Concluded leads, then finished problem-list rows, each in id order: the draw's fixed list. */
export async function listCandidates(db: Db | Transaction<Database>): Promise<string[]> {
  const [leads, rows] = await Promise.all([
    db.selectFrom('reports').select('id').where('status', '=', 'concluded').where('merged_into_id', 'is', null).orderBy(sql`id::bigint`).execute(),
    db.selectFrom('problem_rows').select('id').where('progress', '=', 'done').orderBy(sql`id::bigint`).execute(),
  ]);
  return [...leads.map((l) => `lead:${l.id}`), ...rows.map((r) => `row:${r.id}`)];
}

export async function insertDraw(
  trx: Transaction<Database>,
  d: { seed: string; ratePercent: number; minimum: number; candidateCount: number; candidateDigest: string; drawnBy: string; assigneeId: string | null },
): Promise<string> {
  const { id } = await trx
    .insertInto('lookback_draws')
    .values({
      seed: d.seed,
      rate_percent: d.ratePercent,
      minimum: d.minimum,
      candidate_count: d.candidateCount,
      candidate_digest: d.candidateDigest,
      drawn_by: d.drawnBy,
      assignee_id: d.assigneeId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** The drawn items of a draw, each a candidate key ('lead:<id>' or 'row:<id>'), numbered in draw order. */
export async function insertItems(trx: Transaction<Database>, drawId: string, keys: string[]) {
  if (!keys.length) return;
  await trx
    .insertInto('lookback_items')
    .values(
      keys.map((key, i) => {
        const [kind, itemId] = key.split(':') as ['lead' | 'row', string];
        return { draw_id: drawId, position: i + 1, report_id: kind === 'lead' ? itemId : null, row_id: kind === 'row' ? itemId : null };
      }),
    )
    .execute();
}

/** False if there is no such draw. */
export async function setDrawAssignee(trx: Transaction<Database>, drawId: string, assigneeId: string | null): Promise<boolean> {
  const r = await trx.updateTable('lookback_draws').set({ assignee_id: assigneeId }).where('id', '=', drawId).executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Sets an item's finding if it has none yet; undefined if the item does not exist or already has one. */
export function setItemFinding(trx: Transaction<Database>, itemId: string, f: { finding: 'held' | 'relapsed'; note: string; checkedBy: string }) {
  return trx
    .updateTable('lookback_items')
    .set({ finding: f.finding, note: f.note, checked_by: f.checkedBy, checked_at: new Date() })
    .where('id', '=', itemId)
    .where('finding', 'is', null)
    .returning(['draw_id', 'report_id', 'row_id'])
    .executeTakeFirst();
}

export function listDraws(db: Db) {
  return db
    .selectFrom('lookback_draws as d')
    .leftJoin('staff_users as a', 'a.id', 'd.assignee_id')
    .leftJoin('staff_users as b', 'b.id', 'd.drawn_by')
    .select([
      'd.id', 'd.drawn_at', 'd.candidate_count', 'a.username as assignee', 'b.username as drawer',
      (eb) => eb.selectFrom('lookback_items as i').select((e) => e.fn.countAll<string>().as('n')).whereRef('i.draw_id', '=', 'd.id').as('items'),
      (eb) => eb.selectFrom('lookback_items as i').select((e) => e.fn.countAll<string>().as('n')).whereRef('i.draw_id', '=', 'd.id').where('i.finding', 'is not', null).as('checked'),
      (eb) => eb.selectFrom('lookback_items as i').select((e) => e.fn.countAll<string>().as('n')).whereRef('i.draw_id', '=', 'd.id').where('i.finding', '=', 'relapsed').as('relapsed'),
    ])
    .orderBy('d.id', 'desc')
    .limit(100)
    .execute();
}

export function findDraw(db: Db, id: string) {
  return db
    .selectFrom('lookback_draws as d')
    .leftJoin('staff_users as a', 'a.id', 'd.assignee_id')
    .leftJoin('staff_users as b', 'b.id', 'd.drawn_by')
    .selectAll('d')
    .select(['a.username as assignee', 'b.username as drawer'])
    .where('d.id', '=', id)
    .executeTakeFirst();
}

export function findItems(db: Db, drawId: string) {
  return db
    .selectFrom('lookback_items as i')
    .leftJoin('reports as r', 'r.id', 'i.report_id')
    .leftJoin('problem_rows as p', 'p.id', 'i.row_id')
    .leftJoin('staff_users as s', 's.id', 'i.checked_by')
    .select([
      'i.id', 'i.position', 'i.report_id', 'i.row_id', 'i.finding', 'i.note', 'i.checked_at', 's.username as checker',
      'r.category as lead_category', 'r.village as lead_village', 'p.village as row_village', 'p.category as row_category', 'p.progress as row_progress',
    ])
    .where('i.draw_id', '=', drawId)
    .orderBy('i.position')
    .execute();
}

export function findItem(db: Db, id: string) {
  return db.selectFrom('lookback_items').select(['draw_id', 'finding']).where('id', '=', id).executeTakeFirst();
}

/** Look-back findings about a lead, for its page. */
export function findingsOfLead(db: Db, reportId: string) {
  return db
    .selectFrom('lookback_items')
    .select(['draw_id', 'finding', 'checked_at'])
    .where('report_id', '=', reportId)
    .where('finding', 'is not', null)
    .orderBy('id')
    .execute();
}
