import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/service.js';
import type { Database } from '../db/schema.js';
import { insertHistory } from '../households/repository.js';
import { insertRow } from '../problems/repository.js';
import { orderCandidates, stratifiedDraw } from './draw.js';
import { findItem, insertDraw, insertItems, linkProblemRow, listCandidates, listFlagged, recordItem } from './repository.js';
import type { RecheckKind, RecheckRecord } from './schema.js';

// The re-check draws' use cases: each takes the staff member, owns its transaction and writes its
// audit row inside it.

type Db = Kysely<Database>;

export interface DrawSettings {
  kind: RecheckKind;
  ratePercent: number;
  minimumPerVillage: number;
  /** One programme year, or null for every year. */
  year: number | null;
  /** Put every household with an open flag in as well (marked forced), drawn or not. */
  forceFlagged: boolean;
  /** A seed typed in (a public lottery number, say); random when absent. */
  seed?: string;
}

/**
 * Draws, in each village, its share of the households in scope, and records the draw with its
 * seed and candidate digest so that anyone can repeat it. Forced households (flagged, not drawn)
 * follow each village's drawn ones; they are not part of what the seed decides.
 */
export async function drawRechecks(db: Db, actorId: string, settings: DrawSettings): Promise<string> {
  const seed = settings.seed ?? randomBytes(16).toString('hex');
  return db.transaction().execute(async (trx) => {
    const candidates = await listCandidates(trx, settings.year);
    const draw = stratifiedDraw(seed, candidates, settings.ratePercent, settings.minimumPerVillage);
    const flagged = settings.forceFlagged ? orderCandidates(await listFlagged(trx, settings.year)) : [];
    const items: { householdId: string; forced: boolean }[] = [];
    for (const v of draw.villages) {
      const drawn = new Set(v.drawn);
      items.push(...v.drawn.map((id) => ({ householdId: id, forced: false })));
      items.push(...flagged.filter((f) => f.village === v.village && !drawn.has(f.id)).map((f) => ({ householdId: f.id, forced: true })));
    }
    const id = await insertDraw(trx, {
      kind: settings.kind,
      seed,
      ratePercent: settings.ratePercent,
      minimumPerVillage: settings.minimumPerVillage,
      year: settings.year,
      candidateCount: draw.keys.length,
      digest: draw.digest,
      forcedFlagged: settings.forceFlagged,
      drawnBy: actorId,
    });
    await insertItems(trx, id, items);
    await recordAudit(trx, {
      actorId,
      action: 'recheck.draw',
      detail: {
        draw: id, kind: settings.kind, seed, ratePercent: settings.ratePercent, minimumPerVillage: settings.minimumPerVillage,
        year: settings.year, candidates: draw.keys.length, digest: draw.digest,
        drawn: items.filter((i) => !i.forced).map((i) => i.householdId), forced: items.filter((i) => i.forced).map((i) => i.householdId),
      },
    });
    return id;
  });
}

export interface ProblemText {
  problem: string;
  measures: string;
}

export type RecordOutcome = { recorded: true; problemRowId: string | null } | { recorded: false; reason: 'missing' | 'recorded' };

/**
 * Records a re-check, once and for good (a mistake is corrected by a later re-check, not by
 * changing this one): the household's history and the audit log say so; with a difference and
 * the checker's say-so, one problem-list row for the household's village, linked to it and to
 * this re-check. The recorder is the checker.
 */
export async function recordRecheck(db: Db, actorId: string, itemId: string, record: RecheckRecord, text: ProblemText): Promise<RecordOutcome> {
  return db.transaction().execute(async (trx) => {
    const item = await findItem(trx, itemId);
    if (!item) return { recorded: false, reason: 'missing' as const };
    if (!(await recordItem(trx, itemId, { ...record, checkerId: actorId }))) return { recorded: false, reason: 'recorded' as const };
    let problemRowId: string | null = null;
    if (record.problem && Object.values(record.fields).includes(false)) {
      problemRowId = await insertRow(trx, {
        village: item.village,
        category: record.problem.category,
        problem: text.problem,
        measures: text.measures,
        deadline: record.problem.deadline,
        source: 'register',
        createdBy: actorId,
      });
      await linkProblemRow(trx, problemRowId, item.household_id, itemId);
    }
    const differing = Object.entries(record.fields).filter(([, same]) => !same).map(([f]) => f);
    await insertHistory(trx, {
      householdId: item.household_id,
      actorId,
      source: 'recheck',
      changes: { recheck: item.draw_id, method: record.method, checkedOn: record.checkedOn, differs: differing.join(', ') || '—', ...(problemRowId ? { problemRow: problemRowId } : {}) },
    });
    await recordAudit(trx, {
      actorId,
      action: 'recheck.record',
      detail: { draw: item.draw_id, item: itemId, household: item.household_id, method: record.method, checkedOn: record.checkedOn, fields: record.fields, problemRow: problemRowId },
    });
    return { recorded: true, problemRowId };
  });
}

/** A re-check sheet printed or a draw's XLSX taken away is on the record (IDs are masked in both). */
export async function recordRecheckExport(db: Db, actorId: string, detail: { draw: string; format: 'sheet' | 'xlsx'; village: string | null; rows: number }): Promise<void> {
  await recordAudit(db, { actorId, action: 'recheck.export', detail });
}
