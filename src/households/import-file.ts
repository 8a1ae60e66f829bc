import type { Campaign } from '../campaign/schema.js';
import { toHalfWidth } from '../lib/text.js';
import { parseIdNumber } from './id-number.js';
import { csvRows, type SourceRow } from './import-csv.js';
import { ImportFileError, type RowProblem } from './import-errors.js';

export type { RowProblem };
import { type Cell, cellText, countHeaderMatches, HEADER_SEARCH_ROWS, headerCells, type Layout, MAX_COLUMNS, MIN_HEADER_MATCHES, resolveLayout } from './import-layout.js';
import { buildRaw, type RowContext, toProblems } from './import-row.js';
import { xlsxRows } from './import-xlsx.js';
import { type HouseholdInput, makeHouseholdSchema } from './schema.js';

// The import's file reader: a village's CSV or XLSX in, one household record (or that row's
// problems) out at a time. No database, no whole-file row list: the caller keeps the problems and
// a running digest, and a 100,000-row file passes through in constant memory. File-level faults
// (too large, no header, a zip bomb…) throw ImportFileError; a row's faults never do.

export { ImportFileError } from './import-errors.js';
export type { ImportFileErrorCode } from './import-errors.js';

export interface ImportLimits {
  maxBytes: number;
  maxRows: number;
}
export const DEFAULT_IMPORT_LIMITS: ImportLimits = { maxBytes: 32 * 1024 * 1024, maxRows: 200_000 };

export type ImportRow = { row: number; input: HouseholdInput } | { row: number; problems: RowProblem[] };

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]); // .xls, or an encrypted .xlsx

/** 'xlsx' for a zip named .xlsx; 'csv' for text named .csv, .tsv or .txt; otherwise null. */
export function detectKind(bytes: Buffer, filename: string): 'csv' | 'xlsx' | null {
  const name = filename.trim().toLowerCase();
  const zip = bytes.subarray(0, 4).equals(ZIP_MAGIC);
  if (zip) return /\.xlsx$/.test(name) ? 'xlsx' : null;
  if (bytes.subarray(0, 4).equals(OLE_MAGIC) || !/\.(csv|tsv|txt)$/.test(name)) return null;
  // Text has no NUL bytes, except UTF-16, which starts with its byte-order mark.
  const head = bytes.subarray(0, 8192);
  const utf16 = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
  return utf16 || !head.includes(0) ? 'csv' : null;
}

const isBlankRow = (cells: readonly Cell[]) => cells.slice(0, MAX_COLUMNS).every((c) => cellText(c) === '');
/** Title, header and blank rows a sheet may hold beyond its households. */
const PHYSICAL_ROW_MARGIN = 1000;
const TOTALS = new Set(['合计', '总计', '小计', '累计']);

export async function* readHouseholdRows(
  bytes: Buffer,
  kind: 'csv' | 'xlsx',
  campaign: Campaign,
  limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
): AsyncGenerator<ImportRow> {
  if (bytes.length > limits.maxBytes) throw new ImportFileError('tooLarge', { maxMb: Math.round(limits.maxBytes / 1024 / 1024) });
  if (bytes.length === 0) throw new ImportFileError('empty');
  const xlsx = kind === 'xlsx' ? xlsxRows(bytes) : null;
  const source = xlsx ? xlsx.rows : csvRows(bytes, (cells) => countHeaderMatches(cells, campaign));
  const ctx: RowContext = {
    campaign,
    schema: makeHouseholdSchema(() => campaign),
    date1904: () => xlsx?.date1904() ?? false,
  };
  const seen = new Map<string, number>();

  let layout: Layout | null = null;
  let header: SourceRow | null = null;
  let searched = 0;
  let households = 0;
  let physical = 0;
  let firstDataRow = 0;
  for await (const sourceRow of source) {
    // Blank rows count too, so that a million empty rows cost no more than maxRows real ones.
    if (++physical > limits.maxRows + PHYSICAL_ROW_MARGIN) throw new ImportFileError('tooManyRows', { max: limits.maxRows });
    if (!layout) {
      if (header) {
        const { cells, twoRows } = headerCells(header.cells, sourceRow.cells, campaign);
        layout = resolveLayout(cells);
        firstDataRow = twoRows ? physical + 1 : physical;
        if (twoRows) continue;
      } else {
        if (isBlankRow(sourceRow.cells)) continue;
        if (countHeaderMatches(sourceRow.cells, campaign) >= MIN_HEADER_MATCHES) header = sourceRow;
        else if (++searched >= HEADER_SEARCH_ROWS) throw new ImportFileError('noHeader', { rows: HEADER_SEARCH_ROWS });
        continue;
      }
    }
    if (physical === firstDataRow && isNumberingRow(sourceRow.cells)) continue;
    const row = readRow(sourceRow, layout, ctx, seen);
    if (!row) continue;
    if (++households > limits.maxRows) throw new ImportFileError('tooManyRows', { max: limits.maxRows });
    yield row;
  }
  if (!layout && header) layout = resolveLayout(headerCells(header.cells, null, campaign).cells);
  if (!layout) throw new ImportFileError(searched === 0 ? 'empty' : 'noHeader', { rows: HEADER_SEARCH_ROWS });
  if (households === 0) throw new ImportFileError('empty');
}

/** The column numbers some forms print under the header: 1 2 3 4 … (or (1) (2) …, ① ② …). */
function isNumberingRow(cells: readonly Cell[]): boolean {
  const numbers = cells.slice(0, MAX_COLUMNS).map(cellText).filter((t) => t !== '').map((t) => t.normalize('NFKC').replace(/^\((\d+)\)$/, '$1'));
  return numbers.length >= 3 && numbers.every((t, i) => /^\d+$/.test(t) && (i === 0 || Number(t) === Number(numbers[i - 1]) + 1));
}

/** One data row: null when it has nothing in any known column, or is a totals line. */
function readRow(source: SourceRow, layout: Layout, ctx: RowContext, seen: Map<string, number>): ImportRow | null {
  const built = buildRaw(source, layout, ctx);
  if (!built) return null;
  const { raw } = built;
  if (!raw.headName && !raw.idNumber && source.cells.slice(0, MAX_COLUMNS).some((c) => TOTALS.has(cellText(c).replace(/\s+/g, '')))) return null;

  const parsed = ctx.schema.safeParse(raw);
  const problems = parsed.success ? [] : toProblems(parsed.error.issues, source.row, layout, built, ctx.campaign);
  const idColumn = layout.byField.get('idNumber')!;
  const idProblem = (code: string, params?: Record<string, unknown>): RowProblem => ({
    row: source.row, column: idColumn.header, letter: idColumn.letter, field: 'idNumber', code, ...(params ? { params } : {}),
  });
  if (built.numericId) {
    problems.splice(0, problems.length, ...problems.filter((p) => p.field !== 'idNumber'), idProblem('errors.households.import.idNumberAsNumber'));
  } else {
    const key = parsed.success ? `${parsed.data.village}|${parsed.data.idNumber}|${parsed.data.programmeYear}` : duplicateKey(raw);
    const first = key === null ? undefined : seen.get(key);
    if (first !== undefined) problems.push(idProblem('errors.households.import.duplicateRow', { first }));
    else if (key !== null) seen.set(key, source.row);
  }
  if (problems.length === 0) return { row: source.row, input: (parsed as { data: HouseholdInput }).data };
  if (problems.length > 1) problems.sort((a, b) => (layout.byField.get(a.field)?.index ?? 1e9) - (layout.byField.get(b.field)?.index ?? 1e9));
  return { row: source.row, problems };
}

/** (village, ID number, year), normalised as the schema would: the same household twice in one file. */
function duplicateKey(raw: Record<string, unknown>): string | null {
  const id = parseIdNumber(String(raw.idNumber ?? ''));
  const year = Number(toHalfWidth(String(raw.programmeYear ?? '')).trim().replace(/年(度)?$/, ''));
  if (!id.ok || !Number.isInteger(year) || year <= 0 || !raw.village) return null;
  return `${String(raw.village)}|${id.id}|${year}`;
}
