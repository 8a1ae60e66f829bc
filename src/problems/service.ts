import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/service.js';
import type { Campaign } from '../campaign/schema.js';
import type { Category, Database, FiledRow, ProblemProgress } from '../db/schema.js';
import { findLead } from '../leads/repository.js';
import { diffLists, filingState, previousMonth, type FilingState, type ListChanges } from './filings.js';
import { findFilingsOf, findRow, findRows, insertRow, linkLead, setProgress, upsertFiling } from './repository.js';

type Db = Kysely<Database>;

export interface RowInput {
  village: string;
  category: Category;
  problem: string;
  measures: string;
  deadline: string;
}

/** A row entered from a village's self-check. */
export async function createRow(db: Db, actorId: string, input: RowInput): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const id = await insertRow(trx, { ...input, source: 'self_check', createdBy: actorId });
    await recordAudit(trx, { actorId, action: 'problem.create', detail: { row: id, village: input.village, source: 'self_check' } });
    return id;
  });
}

/** Only what the investigation found true (in full or in part) goes on a village's problem list. */
export function leadYieldsProblem(lead: { status: string; outcome: string | null }): boolean {
  return lead.status === 'concluded' && (lead.outcome === 'substantiated' || lead.outcome === 'partly');
}

/** A row made from a concluded, substantiated lead, linked to it; false if the lead does not qualify. */
export async function createRowFromLead(db: Db, actorId: string, leadId: string, input: RowInput): Promise<string | false> {
  return db.transaction().execute(async (trx) => {
    const lead = await findLead(trx, leadId);
    if (!lead || !leadYieldsProblem(lead)) return false;
    const id = await insertRow(trx, { ...input, source: 'lead', createdBy: actorId });
    await linkLead(trx, id, leadId);
    await recordAudit(trx, { actorId, action: 'problem.create', reportId: leadId, detail: { row: id, village: input.village, source: 'lead' } });
    return id;
  });
}

/** Adds a lead to an existing row (several reports of one problem); false if either is unsuitable. */
export async function linkLeadToRow(db: Db, actorId: string, leadId: string, rowId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const lead = await findLead(trx, leadId);
    const row = await findRow(trx, rowId);
    if (!lead || !row || !leadYieldsProblem(lead)) return false;
    await linkLead(trx, rowId, leadId);
    await recordAudit(trx, { actorId, action: 'problem.link', reportId: leadId, detail: { row: rowId } });
    return true;
  });
}

/** A progress step with its note; false if there is no such row. */
export async function recordProgress(db: Db, actorId: string, rowId: string, progress: ProblemProgress, note: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await findRow(trx, rowId))) return false;
    await setProgress(trx, rowId, actorId, progress, note);
    await recordAudit(trx, { actorId, action: 'problem.progress', detail: { row: rowId, progress } });
    return true;
  });
}

/** A village's rows as they stand, in the shape a filing freezes. */
export async function currentList(db: Db, village: string): Promise<FiledRow[]> {
  const rows = await findRows(db, { village });
  return rows.map(toFiled);
}

const toFiled = (r: Awaited<ReturnType<typeof findRows>>[number]): FiledRow => ({
  id: r.id,
  category: r.category,
  problem: r.problem,
  measures: r.measures,
  progress: r.progress,
  progressNote: r.last_note,
  deadline: r.deadline,
});

export interface FilingInput {
  village: string;
  month: string; // 'YYYY-MM'
  secretary: string;
  residentLeader: string;
  clerkName: string;
  filedOn: string;
}

/** Files the village's list for the month: the rows are frozen as they stand now. */
export async function fileList(db: Db, actorId: string, input: FilingInput): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const rows = (await findRows(trx, { village: input.village })).map(toFiled);
    const r = await upsertFiling(trx, { ...input, snapshot: { rows }, filedBy: actorId });
    await recordAudit(trx, {
      actorId,
      action: 'problem.file',
      detail: { filing: r.id, village: input.village, month: input.month, filedOn: input.filedOn, rows: rows.length, replaced: r.replaced },
    });
    return r.id;
  });
}

export interface FilingLine {
  village: string;
  filingId: string | null;
  filedOn: string | null;
  state: FilingState;
  /** Against last month's filing; null when last month was not filed. */
  changes: ListChanges | null;
}

/**
 * Which villages have filed for `month`, which are late (after the 20th), and what changed since
 * last month's filing: this month's filing, or the list as it stands while not yet filed.
 */
export async function filingTable(db: Db, campaign: Campaign, month: string, today: string): Promise<FilingLine[]> {
  const last = previousMonth(month);
  const [filings, live] = await Promise.all([findFilingsOf(db, [month, last]), findRows(db, {})]);
  const of = (village: string, m: string) => filings.find((f) => f.village === village && f.month === `${m}-01`);
  return campaign.villages.map(({ id }) => {
    const current = of(id, month);
    const previous = of(id, last);
    const now = current ? current.snapshot.rows : live.filter((r) => r.village === id).map(toFiled);
    return {
      village: id,
      filingId: current?.id ?? null,
      filedOn: current?.filed_on ?? null,
      state: filingState(month, current?.filed_on ?? null, today),
      changes: previous ? diffLists(previous.snapshot.rows, now) : null,
    };
  });
}
