import { Readable } from 'node:stream';
import type { SourceRow } from './import-csv.js';
import { ImportFileError } from './import-errors.js';
import { type Cell, MAX_COLUMNS } from './import-layout.js';
import { type CheckedEntry, guardZip } from './zip-guard.js';

// The first worksheet of an XLSX, streamed row by row with exceljs's WorkbookReader after the zip
// guard has passed. Cell values are flattened to text, numbers and dates; a formula gives its
// cached result, and without one its own text ('=' + formula), which is then stored as plain
// text — never evaluated.

type ExcelValue = unknown;

export function flattenCell(value: ExcelValue): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || value instanceof Date) return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value !== 'object') return String(value);
  const v = value as Record<string, unknown>;
  if (Array.isArray(v.richText)) return (v.richText as { text?: string }[]).map((r) => r.text ?? '').join('');
  if ('formula' in v || 'sharedFormula' in v) {
    const result = v.result === undefined ? null : flattenCell(v.result);
    if (result !== null && result !== '') return result;
    return `=${String(v.formula ?? v.sharedFormula ?? '')}`;
  }
  if ('text' in v) return flattenCell(v.text);
  if (typeof v.error === 'string') return v.error;
  return null;
}

// exceljs parses a worksheet at once only if the shared strings and the workbook's relations came
// before it in the archive; otherwise it first writes the sheet, uncompressed, to a temporary
// file — ID numbers in clear on disk. Excel itself puts sharedStrings.xml after the sheets. So the
// checked records are handed over in an order that never needs that: parts first, sheets last
// (a record moves as it is, compressed; no central directory is needed by a streaming reader),
// with an empty shared-strings part added when the workbook has none.
const FIRST = ['xl/_rels/workbook.xml.rels', 'xl/workbook.xml', 'xl/styles.xml', 'xl/sharedStrings.xml'];
const EMPTY_SST = Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>');

function storedRecord(name: string, data: Buffer): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(0x0800, 6);
  header.writeUInt32LE(data.length, 18);
  header.writeUInt32LE(data.length, 22);
  header.writeUInt16LE(Buffer.byteLength(name), 26);
  return Buffer.concat([header, Buffer.from(name), data]);
}

export function readerOrder(entries: readonly CheckedEntry[]): Buffer[] {
  const rank = (e: CheckedEntry) => (FIRST.includes(e.name) ? FIRST.indexOf(e.name) : /^xl\/worksheets\/sheet\d+\.xml$/.test(e.name) ? FIRST.length + 1 : FIRST.length);
  const sorted = entries.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i);
  const records = sorted.map(({ e }) => e.record);
  if (!entries.some((e) => e.name === 'xl/sharedStrings.xml')) records.splice(sorted.findIndex(({ e }) => rank(e) > FIRST.length - 1), 0, storedRecord('xl/sharedStrings.xml', EMPTY_SST));
  return records;
}

interface ReaderModel {
  model?: { sheets?: { name?: string }[] };
  /** The workbookPr part's xform: its model says whether dates count from 1904. */
  properties?: { model?: { date1904?: boolean } };
}

export interface XlsxSource {
  rows: AsyncGenerator<SourceRow>;
  /** Known once the first row has been read. */
  date1904: () => boolean;
}

export function xlsxRows(bytes: Buffer): XlsxSource {
  let date1904 = false;
  async function* rows(): AsyncGenerator<SourceRow> {
    const entries = await guardZip(bytes);
    const names = new Set(entries.map((e) => e.name));
    if (!names.has('xl/workbook.xml') || !names.has('xl/_rels/workbook.xml.rels')) throw new ImportFileError('notCsvOrXlsx');
    if (!entries.some((e) => /^xl\/worksheets\/sheet\d+\.xml$/.test(e.name))) throw new ImportFileError('empty');

    // Loaded with the first import: it adds ~28 MB to every instance that never makes one.
    const { default: ExcelJS } = await import('exceljs');
    const input = Readable.from(readerOrder(entries));
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
      worksheets: 'emit',
      sharedStrings: 'cache',
      styles: 'cache',
      hyperlinks: 'ignore',
      entries: 'ignore',
    });
    const book = reader as unknown as ReaderModel;
    let pending = true;
    try {
      for await (const sheet of reader) {
        if (!pending) continue;
        // The first sheet in the workbook's order (zip order may differ), when the workbook part
        // has been read by then; otherwise the first sheet the archive holds.
        const first = book.model?.sheets?.[0]?.name;
        if (first !== undefined && (sheet as unknown as { name: string }).name !== first) continue;
        pending = false;
        date1904 = book.properties?.model?.date1904 === true;
        for await (const row of sheet) {
          const values = row.values as ExcelValue[];
          const cells: Cell[] = [];
          const width = Math.min(values.length, MAX_COLUMNS + 1);
          for (let c = 1; c < width; c++) cells.push(flattenCell(values[c]));
          yield { row: row.number, cells };
        }
        break;
      }
    } catch (err) {
      if (err instanceof ImportFileError) throw err;
      throw new ImportFileError('malformed', { reason: 'xlsx' });
    } finally {
      input.destroy();
    }
    if (pending) throw new ImportFileError('empty');
  }
  return { rows: rows(), date1904: () => date1904 };
}
