import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { recordAudit } from '../audit.js';
import type { Database } from '../db/schema.js';
import { insertEvent } from '../leads/repository.js';
import { setProgress } from '../problems/repository.js';
import { candidateDigest, drawSample } from './sample.js';

type Db = Kysely<Database>;

/** Concluded leads, then finished problem-list rows, each in id order: the draw's fixed list. */
export async function listCandidates(db: Db | Transaction<Database>): Promise<string[]> {
  const [leads, rows] = await Promise.all([
    db.selectFrom('reports').select('id').where('status', '=', 'concluded').where('merged_into_id', 'is', null).orderBy(sql`id::bigint`).execute(),
    db.selectFrom('problem_rows').select('id').where('progress', '=', 'done').orderBy(sql`id::bigint`).execute(),
  ]);
  return [...leads.map((l) => `lead:${l.id}`), ...rows.map((r) => `row:${r.id}`)];
}

export interface DrawSettings {
  ratePercent: number;
  minimum: number;
}

/** Draws, records and audits a sample; the seed is random unless one is given (a public lottery number, say). */
export async function drawLookback(db: Db, actorId: string, settings: DrawSettings, opts: { seed?: string; assigneeId: string | null }) {
  const seed = opts.seed ?? randomBytes(16).toString('hex');
  return db.transaction().execute(async (trx) => {
    const candidates = await listCandidates(trx);
    const drawn = drawSample(seed, candidates, settings.ratePercent, settings.minimum);
    const { id } = await trx
      .insertInto('lookback_draws')
      .values({
        seed,
        rate_percent: settings.ratePercent,
        minimum: settings.minimum,
        candidate_count: candidates.length,
        candidate_digest: candidateDigest(candidates),
        drawn_by: actorId,
        assignee_id: opts.assigneeId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (drawn.length) {
      await trx
        .insertInto('lookback_items')
        .values(
          drawn.map((key, i) => {
            const [kind, itemId] = key.split(':') as ['lead' | 'row', string];
            return { draw_id: id, position: i + 1, report_id: kind === 'lead' ? itemId : null, row_id: kind === 'row' ? itemId : null };
          }),
        )
        .execute();
    }
    await recordAudit(trx, {
      actorId,
      action: 'lookback.draw',
      detail: { draw: id, seed, ratePercent: settings.ratePercent, minimum: settings.minimum, candidates: candidates.length, drawn },
    });
    return id;
  });
}

export async function assignDraw(db: Db, actorId: string, drawId: string, assigneeId: string | null): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await trx.updateTable('lookback_draws').set({ assignee_id: assigneeId }).where('id', '=', drawId).executeTakeFirst();
    if (r.numUpdatedRows !== 1n) return false;
    await recordAudit(trx, { actorId, action: 'lookback.draw', targetUserId: assigneeId, detail: { draw: drawId, assigned: assigneeId } });
    return true;
  });
}

/**
 * Records a re-check's finding, once. A relapse reopens the row (back to in progress, with the note
 * in its history); for a lead, it reopens every row made from it and puts the finding on the
 * lead's timeline. False if the item does not exist or already has a finding.
 */
export async function recordFinding(db: Db, actorId: string, itemId: string, finding: 'held' | 'relapsed', note: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const item = await trx
      .updateTable('lookback_items')
      .set({ finding, note, checked_by: actorId, checked_at: new Date() })
      .where('id', '=', itemId)
      .where('finding', 'is', null)
      .returning(['draw_id', 'report_id', 'row_id'])
      .executeTakeFirst();
    if (!item) return false;
    if (finding === 'relapsed') {
      const rows = item.row_id
        ? [item.row_id]
        : (await trx.selectFrom('problem_row_leads').select('row_id').where('report_id', '=', item.report_id!).execute()).map((r) => r.row_id);
      for (const rowId of rows) {
        await setProgress(trx, rowId, actorId, 'in_progress', note, true);
      }
      if (item.report_id) {
        await insertEvent(trx, { reportId: item.report_id, actorId, kind: 'note', body: note, detail: { lookback: item.draw_id, finding } });
      }
    }
    await recordAudit(trx, {
      actorId,
      action: 'lookback.finding',
      reportId: item.report_id,
      detail: { draw: item.draw_id, item: itemId, row: item.row_id, finding },
    });
    return true;
  });
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
