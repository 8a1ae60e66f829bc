import { Readable } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
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
// checked parts are handed over in an order that never needs that: parts first, sheets last (no
// central directory is needed by a streaming reader), with an empty shared-strings part added
// when the workbook has none. Only XML parts: exceljs reads nothing else (images it drains).
const FIRST = ['xl/_rels/workbook.xml.rels', 'xl/workbook.xml', 'xl/styles.xml', 'xl/sharedStrings.xml'];
const EMPTY_SST = Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>');

type Part = Pick<CheckedEntry, 'name' | 'method' | 'data'>;

export function readerOrder(entries: readonly CheckedEntry[]): Part[] {
  const rank = (e: Part) => (FIRST.includes(e.name) ? FIRST.indexOf(e.name) : /^xl\/worksheets\/sheet\d+\.xml$/.test(e.name) ? FIRST.length + 1 : FIRST.length);
  const parts: Part[] = entries.filter((e) => /\.(xml|rels)$/i.test(e.name));
  if (!parts.some((e) => e.name === 'xl/sharedStrings.xml')) parts.push({ name: 'xl/sharedStrings.xml', method: 0, data: EMPTY_SST });
  return parts.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i).map(({ e }) => e);
}

// exceljs (lib/utils/parse-sax.js) decodes each chunk of an inflated part to a string by itself,
// so a character whose UTF-8 bytes straddle two chunks comes out as U+FFFD — in a village sheet,
// one every few dozen kilobytes. So each part reaches it in plain ASCII: decoded here as one
// stream, every other character written as an XML character reference (古 → &#x53e4;), which
// saxes turns back into the character in text and attribute values, all that exceljs reads.
// (CDATA and comments, where a reference would stay literal, exceljs ignores; element names are
// ASCII in OOXML.) The part is then stored, not deflated, its sizes in a data descriptor: the
// reader finds the end by the descriptor's signature, which needs a byte 0x07 that plain ASCII
// never holds.
const NOT_PLAIN = /[^\t\n\r\x20-\x7e]/gu;
const reference = (c: string) => `&#x${c.codePointAt(0)!.toString(16)};`;
const SLICE = 64 * 1024;

async function* asciiXml(part: Part): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder('utf-8'); // drops a leading BOM, as exceljs's own decoding did
  const ascii = (text: string) => Buffer.from(text.replace(NOT_PLAIN, reference), 'latin1');
  if (part.method === 0) {
    for (let p = 0; p < part.data.length; p += SLICE) yield ascii(decoder.decode(part.data.subarray(p, p + SLICE), { stream: true }));
  } else {
    const inflater = createInflateRaw();
    inflater.end(part.data);
    try {
      for await (const chunk of inflater) yield ascii(decoder.decode(chunk as Buffer, { stream: true }));
    } finally {
      inflater.destroy();
    }
  }
  yield ascii(decoder.decode());
}

async function* storedRecord(part: Part): AsyncGenerator<Buffer> {
  const name = Buffer.from(part.name);
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(0x0808, 6); // UTF-8 name; sizes in the data descriptor
  header.writeUInt16LE(name.length, 26);
  yield Buffer.concat([header, name]);
  let size = 0;
  let crc = 0;
  for await (const chunk of asciiXml(part)) {
    size += chunk.length;
    crc = crc32(chunk, crc);
    if (chunk.length > 0) yield chunk;
  }
  const descriptor = Buffer.alloc(16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(crc, 4);
  descriptor.writeUInt32LE(size, 8);
  descriptor.writeUInt32LE(size, 12);
  yield descriptor;
}

async function* readerInput(entries: readonly CheckedEntry[]): AsyncGenerator<Buffer> {
  for (const part of readerOrder(entries)) yield* storedRecord(part);
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
    const input = Readable.from(readerInput(entries));
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
