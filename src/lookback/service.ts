import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/service.js';
import type { Database } from '../db/schema.js';
import { insertEvent } from '../leads/repository.js';
import { findRowIdsOfLead, setProgress } from '../problems/repository.js';
import { insertDraw, insertItems, listCandidates, setDrawAssignee, setItemFinding } from './repository.js';
import { candidateDigest, drawSample } from './sample.js';

type Db = Kysely<Database>;

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
    const id = await insertDraw(trx, {
      seed,
      ratePercent: settings.ratePercent,
      minimum: settings.minimum,
      candidateCount: candidates.length,
      candidateDigest: candidateDigest(candidates),
      drawnBy: actorId,
      assigneeId: opts.assigneeId,
    });
    await insertItems(trx, id, drawn);
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
    if (!(await setDrawAssignee(trx, drawId, assigneeId))) return false;
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
    const item = await setItemFinding(trx, itemId, { finding, note, checkedBy: actorId });
    if (!item) return false;
    if (finding === 'relapsed') {
      const rows = item.row_id ? [item.row_id] : await findRowIdsOfLead(trx, item.report_id!);
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
