import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { loadCampaign } from '../../src/campaign/schema.js';
import { checkCharacter } from '../../src/households/id-number.js';
import { DEFAULT_IMPORT_LIMITS, type ImportLimits, type ImportRow, readHouseholdRows, type RowProblem } from '../../src/households/import-file.js';

// Real files for the import tests, built here: CSV text in UTF-8, GBK or UTF-16, XLSX workbooks
// written by exceljs, and zip containers assembled byte by byte for the zip-bomb cases.

export const campaign = loadCampaign(new URL('../../config/campaign.json', import.meta.url).pathname);

/** A valid ID number from its first 17 digits. */
export const idNumber = (first17: string) => first17 + checkCharacter(first17);
export const ID1 = idNumber('50011219550312003');
export const ID2 = idNumber('50011219620708004');
export const ID3 = idNumber('50011219481120005');

export async function readAll(bytes: Buffer, kind: 'csv' | 'xlsx', limits: ImportLimits = DEFAULT_IMPORT_LIMITS): Promise<ImportRow[]> {
  const rows: ImportRow[] = [];
  for await (const row of readHouseholdRows(bytes, kind, campaign, limits)) rows.push(row);
  return rows;
}

export const problemsOf = (row: ImportRow | undefined): RowProblem[] => (row && 'problems' in row ? row.problems : []);
export const inputOf = (row: ImportRow | undefined) => {
  if (!row || !('input' in row)) throw new Error(`row ${row?.row} has problems: ${JSON.stringify(problemsOf(row))}`);
  return row.input;
};

export const REQUIRED_HEADER = ['村', '户主姓名', '身份证号', '农户类型', '危房等级', '改造方式', '年度', '核定补助金额'];
export const requiredRow = (id = ID1, overrides: Partial<Record<(typeof REQUIRED_HEADER)[number], string>> = {}) =>
  REQUIRED_HEADER.map((h) => overrides[h] ?? { 村: '古路村', 户主姓名: '张德明', 身份证号: id, 农户类型: '低保户', 危房等级: 'C级', 改造方式: '修缮加固', 年度: '2019', 核定补助金额: '15000' }[h]!);

const quote = (cell: string) => (/[",\r\n\t]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
export const csvText = (rows: string[][], delimiter = ',') => rows.map((r) => r.map(quote).join(delimiter)).join('\r\n') + '\r\n';
export const csv = (rows: string[][], delimiter = ',') => Buffer.from(csvText(rows, delimiter));

let gbk: Map<string, Buffer> | null = null;
/** Node has a GB18030 decoder but no encoder: the two-byte table, built by decoding every pair. */
export function encodeGbk(text: string): Buffer {
  if (!gbk) {
    gbk = new Map();
    const decoder = new TextDecoder('gb18030');
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        const ch = decoder.decode(Buffer.from([lead, trail]));
        if (ch.length === 1 && !gbk.has(ch)) gbk.set(ch, Buffer.from([lead, trail]));
      }
    }
  }
  return Buffer.concat([...text].map((ch) => (ch.charCodeAt(0) < 0x80 ? Buffer.from(ch) : (gbk!.get(ch) ?? Buffer.from('?')))));
}

export type XlsxCell = ExcelJS.CellValue;
/** A workbook whose first sheet holds `rows`; `before` and `after` add sheets of notes around it. */
export async function xlsx(rows: XlsxCell[][], opts: { before?: string[]; after?: string[]; dateColumns?: number[]; date1904?: boolean } = {}): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  if (opts.date1904) wb.properties.date1904 = true;
  const note = (name: string) => wb.addWorksheet(name).addRow(['填表说明', '身份证号请设为文本格式']);
  opts.before?.forEach(note);
  const ws = wb.addWorksheet('台账');
  for (const r of rows) ws.addRow(r);
  for (const c of opts.dateColumns ?? []) ws.getColumn(c).numFmt = 'yyyy-mm-dd';
  opts.after?.forEach(note);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** As a streaming writer makes it: data descriptors, inline strings, no shared-strings part. */
export async function streamedXlsx(rows: XlsxCell[][]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false });
  const ws = wb.addWorksheet('台账');
  for (const r of rows) ws.addRow(r).commit();
  ws.commit();
  await wb.commit();
  return Buffer.concat(chunks);
}

// A zip container by hand (PKWARE APPNOTE 4.3): local header + data per entry, the central
// directory, the end record. Sizes are whatever the test declares.
export interface RawZipEntry {
  name: string;
  data: Buffer;
  method?: 0 | 8;
  declaredSize?: number;
  /** Bit 3: sizes left out of the local header, given in a data descriptor after the data. */
  descriptor?: boolean;
}

export function zip(entries: RawZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const method = e.method ?? 8;
    const size = e.declaredSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.descriptor ? 0x08 : 0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(e.descriptor ? 0 : e.data.length, 18);
    local.writeUInt32LE(e.descriptor ? 0 : size, 22);
    local.writeUInt16LE(name.length, 26);
    const descriptor = Buffer.alloc(e.descriptor ? 16 : 0);
    if (e.descriptor) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(e.data.length, 8);
      descriptor.writeUInt32LE(size, 12);
    }
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data, descriptor);
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length + descriptor.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
