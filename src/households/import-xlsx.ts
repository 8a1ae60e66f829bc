import { createInflateRaw, inflateRawSync } from 'node:zlib';
import type { SourceRow } from './import-csv.js';
import { ImportFileError } from './import-errors.js';
import { type Cell, MAX_COLUMNS } from './import-layout.js';
import { attribute, attributes, MAX_PENDING, type XmlHandler, XmlScanner, XmlSyntaxError, xmlText } from './xml-scan.js';
import { type CheckedEntry, guardZip } from './zip-guard.js';

// The first worksheet of an XLSX, streamed row by row after the zip guard has passed: the parts
// are inflated here (never written anywhere), the sheet through a streaming decoder so no chunk
// boundary splits a character, and scanned by xml-scan.ts. Memory: the shared strings and one row.
// Cell values are flattened to text, numbers and dates:
//  - shared and inline strings: their text (rich-text runs concatenated, phonetic runs left out);
//  - numbers: the number; in a cell whose style has a date format, the Date it stands for
//    (Excel serial days since 1899-12-30, or 1904-01-01 with the workbook's date1904, as UTC);
//  - booleans 'TRUE'/'FALSE'; errors their text ('#N/A');
//  - a formula gives its cached result, and without one its own text ('=' + formula), which is
//    then stored as plain text — never evaluated.
// (Up to PR 12 exceljs's WorkbookReader did this, with the same cells; see readme-xlsxfast.md.)

const malformed = () => new ImportFileError('malformed', { reason: 'xlsx' });
const SLICE = 64 * 1024;
const DAY_MS = 86_400_000;

/** A part's whole text, for the small ones (workbook, relations, styles): sizes already checked by the guard. */
function partText(part: CheckedEntry): string {
  const bytes = part.method === 0 ? part.data : inflateRawSync(part.data, { maxOutputLength: Math.max(part.uncompressedSize, 1) });
  return new TextDecoder('utf-8').decode(bytes);
}

/** A part's text in decoded chunks: a character whose bytes straddle two inflated chunks is kept whole. */
async function* partChunks(part: CheckedEntry): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8'); // drops a leading BOM
  if (part.method === 0) {
    for (let p = 0; p < part.data.length; p += SLICE) yield decoder.decode(part.data.subarray(p, p + SLICE), { stream: true });
  } else {
    const inflater = createInflateRaw({ chunkSize: SLICE });
    inflater.end(part.data);
    try {
      for await (const chunk of inflater) yield decoder.decode(chunk as Buffer, { stream: true });
    } finally {
      inflater.destroy();
    }
  }
  yield decoder.decode();
}

function scanWhole(text: string, handler: XmlHandler): void {
  const scanner = new XmlScanner(handler);
  scanner.write(text);
  scanner.end();
}

/** Every start tag of a small part with its attributes, in order. */
function startTags(text: string): { name: string; attrs: Map<string, string> }[] {
  const tags: { name: string; attrs: Map<string, string> }[] = [];
  scanWhole(text, { open: (name, raw) => tags.push({ name, attrs: attributes(raw) }), close() {}, text() {} });
  return tags;
}

/** A relationship target, relative to xl/ unless absolute, as a part name. */
function resolveTarget(target: string): string {
  const segments: string[] = target.startsWith('/') ? [] : ['xl'];
  for (const s of target.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segments.pop();
    else segments.push(s);
  }
  return segments.join('/');
}

interface Workbook {
  sheet: string | undefined;
  date1904: boolean;
}

/** The first sheet of the workbook's own order (the tab order), and whether dates count from 1904. */
function readWorkbook(workbook: string, rels: string): Workbook {
  const tags = startTags(workbook);
  const pr = tags.find((t) => t.name === 'workbookPr');
  const flag = pr?.attrs.get('date1904');
  const date1904 = flag === '1' || flag === 'true';
  const first = tags.find((t) => t.name === 'sheet');
  const id = first?.attrs.get('r:id') ?? first?.attrs.get('id');
  const rel = id === undefined ? undefined : startTags(rels).find((t) => t.name === 'Relationship' && t.attrs.get('Id') === id);
  const target = rel?.attrs.get('Target');
  return { sheet: target === undefined ? undefined : resolveTarget(target), date1904 };
}

// Built-in number formats that are dates or times (ECMA-376 18.8.30, with the East Asian ones:
// 27–36 and 50–58 are the zh-CN 'yyyy"年"m"月"d"日"' family).
const BUILTIN_DATES = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);

/** A format code shows a date or time when it has y, m, d, h, s (or b, Buddhist years) outside quotes and brackets. */
export function isDateFormat(code: string): boolean {
  const bare = code.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '');
  return /[ymdhsb]/i.test(bare.replace(/\\./g, ''));
}

/** For each cell style (cellXfs index), whether its number format is a date. */
function readDateStyles(styles: string | null): boolean[] {
  if (styles === null) return [];
  const custom = new Map<number, string>();
  const dates: boolean[] = [];
  let inCellXfs = false;
  scanWhole(styles, {
    open(name, raw, selfClosing) {
      if (name === 'numFmt') {
        const a = attributes(raw);
        custom.set(Number(a.get('numFmtId')), a.get('formatCode') ?? '');
      } else if (name === 'cellXfs') {
        inCellXfs = !selfClosing;
      } else if (name === 'xf' && inCellXfs) {
        const id = Number(attributes(raw).get('numFmtId') ?? 0);
        const code = custom.get(id);
        dates.push(code !== undefined ? isDateFormat(code) : BUILTIN_DATES.has(id));
      }
    },
    close(name) {
      if (name === 'cellXfs') inCellXfs = false;
    },
    text() {},
  });
  return dates;
}

/** A cell's or shared string's text so far: Excel holds at most 32,767 characters in one, a cell of a megabyte is not a register's. */
function capped(text: string): string {
  if (text.length > MAX_PENDING) throw new XmlSyntaxError('cell too long');
  return text;
}

/** Text of <t> elements, phonetic runs (<rPh>) left out: a shared string's <si> or a cell's <is>. */
class RunText {
  private depthPh = 0;
  private inT = false;
  private raw = '';

  open(name: string): void {
    if (name === 'rPh') this.depthPh++;
    else if (name === 't' && this.depthPh === 0) this.inT = true;
  }

  close(name: string): void {
    if (name === 'rPh') this.depthPh = Math.max(0, this.depthPh - 1);
    else if (name === 't') this.inT = false;
  }

  text(raw: string): void {
    if (this.inT) this.raw = capped(this.raw + raw);
  }

  take(): string {
    const text = xmlText(this.raw);
    this.raw = '';
    this.inT = false;
    this.depthPh = 0;
    return text;
  }
}

async function readSharedStrings(part: CheckedEntry | undefined): Promise<string[]> {
  const strings: string[] = [];
  if (!part) return strings;
  let si: RunText | null = null;
  const scanner = new XmlScanner({
    open(name) {
      if (name === 'si') si = new RunText();
      else si?.open(name);
    },
    close(name) {
      if (name === 'si' && si) {
        strings.push(si.take());
        si = null;
      } else si?.close(name);
    },
    text(raw) {
      si?.text(raw);
    },
  });
  for await (const chunk of partChunks(part)) scanner.write(chunk);
  scanner.end();
  return strings;
}

/** 'B3' → 2; 0 when the reference has no column letters. */
function columnOf(ref: string): number {
  let col = 0;
  for (let i = 0; i < ref.length; i++) {
    const c = ref.charCodeAt(i) | 0x20; // lower case
    if (c < 0x61 || c > 0x7a) break;
    col = col * 26 + (c - 0x60);
    if (col > 0x10000) return col;
  }
  return col;
}

const finite = (n: number): Cell => (Number.isFinite(n) ? n : null);

/** The sheet's rows: <row>, <c r t s>, <v>, <f>, <is>. */
class SheetRows implements XmlHandler {
  readonly done: SourceRow[] = [];
  private rowNumber = 0;
  private cells: Cell[] | null = null;
  private width = 0;
  private col = 0;
  // the open cell
  private inCell = false;
  private type = '';
  private style = 0;
  private v: string | null = null;
  private f: string | null = null;
  private inline: RunText | null = null;
  private inlineText: string | null = null;
  private capture: 'v' | 'f' | null = null;

  constructor(
    private readonly strings: readonly string[],
    private readonly dateStyles: readonly boolean[],
    private readonly epochDays: number,
  ) {}

  open(name: string, raw: string): void {
    if (this.inline) {
      this.inline.open(name);
      return;
    }
    switch (name) {
      case 'row': {
        const r = attribute(raw, 'r');
        const n = r === undefined ? NaN : parseInt(r, 10);
        this.rowNumber = Number.isFinite(n) && n > 0 ? n : this.rowNumber + 1;
        this.cells = [];
        this.width = 0;
        this.col = 0;
        break;
      }
      case 'c': {
        if (!this.cells) break;
        const ref = attribute(raw, 'r');
        const col = ref === undefined ? 0 : columnOf(ref);
        this.col = col > 0 ? col : this.col + 1;
        this.inCell = true;
        this.type = attribute(raw, 't') ?? 'n';
        const s = attribute(raw, 's');
        this.style = s === undefined ? 0 : parseInt(s, 10);
        this.v = null;
        this.f = null;
        this.inlineText = null;
        break;
      }
      case 'v':
        if (this.inCell) {
          this.capture = 'v';
          this.v = '';
        }
        break;
      case 'f':
        if (this.inCell) {
          this.capture = 'f';
          this.f = '';
        }
        break;
      case 'is':
        if (this.inCell) this.inline = new RunText();
        break;
    }
  }

  text(raw: string): void {
    if (this.inline) this.inline.text(raw);
    else if (this.capture === 'v') this.v = capped(this.v + raw);
    else if (this.capture === 'f') this.f = capped(this.f + raw);
  }

  close(name: string): void {
    if (this.inline) {
      if (name !== 'is') {
        this.inline.close(name);
        return;
      }
      this.inlineText = this.inline.take();
      this.inline = null;
      return;
    }
    switch (name) {
      case 'v':
      case 'f':
        this.capture = null;
        break;
      case 'c':
        if (this.inCell) {
          this.inCell = false;
          this.capture = null;
          if (this.col <= MAX_COLUMNS && (this.v !== null || this.f !== null || this.inlineText !== null)) {
            const value = this.value();
            const cells = this.cells!;
            while (cells.length < this.col - 1) cells.push(null);
            cells[this.col - 1] = value;
            if (this.col > this.width) this.width = this.col;
          }
        }
        break;
      case 'row':
        if (this.cells) {
          const cells = this.cells;
          cells.length = this.width;
          for (let i = 0; i < cells.length; i++) if (cells[i] === undefined) cells[i] = null;
          this.done.push({ row: this.rowNumber, cells });
          this.cells = null;
        }
        break;
    }
  }

  private value(): Cell {
    const type = this.type;
    const v = this.v;
    if (this.f !== null) {
      const formula = xmlText(this.f);
      const result = v === null ? null : this.result(type, v);
      return result !== null && result !== '' ? result : `=${formula}`;
    }
    if (this.inlineText !== null) return this.inlineText;
    if (v === null) return null;
    if (type === 's') return this.strings[parseInt(v, 10)] ?? null;
    if (type === 'str' || type === 'inlineStr' || type === 'b' || type === 'e') return this.result(type, v);
    const text = xmlText(v);
    if (type === 'd') {
      const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
      return Number.isNaN(d.getTime()) ? null : d;
    }
    const n = parseFloat(text);
    if (this.dateStyles[this.style] === true && Number.isFinite(n)) return new Date(Math.round((n + this.epochDays) * DAY_MS));
    return finite(n);
  }

  /** A formula's cached result, or a b/e cell's value. */
  private result(type: string, raw: string): Cell {
    const text = xmlText(raw);
    switch (type) {
      case 'str':
      case 'inlineStr':
        return text;
      case 'b':
        return parseInt(text, 10) !== 0 ? 'TRUE' : 'FALSE';
      case 'e':
        return text;
      default:
        return finite(parseFloat(text));
    }
  }
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
    const byName = new Map(entries.map((e) => [e.name, e]));
    const workbookPart = byName.get('xl/workbook.xml');
    const relsPart = byName.get('xl/_rels/workbook.xml.rels');
    if (!workbookPart || !relsPart) throw new ImportFileError('notCsvOrXlsx');
    try {
      const book = readWorkbook(partText(workbookPart), partText(relsPart));
      const sheet = (book.sheet !== undefined ? byName.get(book.sheet) : undefined) ?? byName.get('xl/worksheets/sheet1.xml');
      if (!sheet) throw new ImportFileError('empty');
      date1904 = book.date1904;
      const stylesPart = byName.get('xl/styles.xml');
      const dateStyles = readDateStyles(stylesPart ? partText(stylesPart) : null);
      const strings = await readSharedStrings(byName.get('xl/sharedStrings.xml'));
      // Days from Excel's day 0 to 1970-01-01: 25569 in the 1900 system (day 0 = 1899-12-30).
      const handler = new SheetRows(strings, dateStyles, date1904 ? 1462 - 25569 : -25569);
      const scanner = new XmlScanner(handler);
      for await (const chunk of partChunks(sheet)) {
        scanner.write(chunk);
        if (handler.done.length > 0) {
          const done = handler.done.splice(0);
          yield* done;
        }
      }
      scanner.end();
      yield* handler.done.splice(0);
    } catch (err) {
      if (err instanceof ImportFileError) throw err;
      throw malformed(); // an XmlSyntaxError, or a part that is not what its name says
    }
  }
  return { rows: rows(), date1904: () => date1904 };
}
