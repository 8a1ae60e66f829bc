import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/service.js';
import type { Campaign, Locale } from '../campaign/schema.js';
import type { Database, FiledRow } from '../db/schema.js';
import type { Translate } from '../i18n/index.js';
import { chinaDate } from '../calendar/work-calendar.js';
import { findFilingById } from './repository.js';
import { currentList } from './service.js';
import { buildSheet, type Sheet } from './sheet.js';

type Db = Kysely<Database>;

/** village=all: every village's list, one after another (print, XLSX worksheets, CSV lines). */
export const ALL = 'all';

export type ExportFormat = 'print' | 'xlsx' | 'csv';

export interface ExportQuery {
  village?: string;
  filing?: string;
}

export interface ExportContext {
  campaign: Campaign;
  locale: Locale;
  t: Translate;
  actorId: string;
}

export interface Exported<Body> {
  sheets: Sheet[];
  village: string;
  filing: string | null;
  body: Body;
}

/** One village's list to export: a filing as filed, or the list as it stands today; null if there is no such list. */
async function sheetOf(db: Db, c: ExportContext, q: ExportQuery): Promise<{ sheet: Sheet; village: string } | null> {
  let village: string;
  let rows: FiledRow[];
  let date = chinaDate(new Date());
  let signers = null;
  if (q.filing) {
    const filing = await findFilingById(db, q.filing);
    if (!filing) return null;
    village = filing.village;
    rows = filing.snapshot.rows;
    date = filing.filed_on;
    signers = { secretary: filing.secretary, residentLeader: filing.resident_leader, clerkName: filing.clerk_name };
  } else {
    if (!q.village || !c.campaign.villages.some((v) => v.id === q.village)) return null;
    village = q.village;
    rows = await currentList(db, village);
  }
  return { sheet: buildSheet({ campaign: c.campaign, locale: c.locale, t: c.t, village, rows, date, signers }), village };
}

/** The lists to export: one (a filing, or a village's), or every village's as it stands (village=all). */
async function sheetsFor(db: Db, c: ExportContext, q: ExportQuery): Promise<Omit<Exported<never>, 'body'> | null> {
  if (!q.filing && q.village === ALL) {
    const sheets = [];
    for (const { id } of c.campaign.villages) sheets.push((await sheetOf(db, c, { village: id }))!.sheet);
    return { sheets, village: ALL, filing: null };
  }
  const one = await sheetOf(db, c, q);
  return one && { sheets: [one.sheet], village: one.village, filing: q.filing ?? null };
}

/**
 * Exports problem lists in the attachment's layout: builds the sheets, encodes them (`encode`:
 * XLSX, CSV, or nothing for the print page) and audits the export once the body is made.
 * Null if the list asked for does not exist.
 */
export async function exportLists<Body>(
  db: Db,
  c: ExportContext,
  q: ExportQuery,
  format: ExportFormat,
  encode: (sheets: Sheet[]) => Body | Promise<Body>,
): Promise<Exported<Body> | null> {
  const s = await sheetsFor(db, c, q);
  if (!s) return null;
  const body = await encode(s.sheets);
  const rows = s.sheets.reduce((n, sheet) => n + sheet.groups.reduce((a, g) => a + g.items.filter((i) => i.number).length, 0), 0);
  await recordAudit(db, { actorId: c.actorId, action: 'problem.export', detail: { format, village: s.village, filing: s.filing, rows } });
  return { ...s, body };
}
