import { deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import t from 'tap';
import { isDateFormat, xlsxRows } from '../../src/households/import-xlsx.js';
import type { Cell } from '../../src/households/import-layout.js';
import { readAll, REQUIRED_HEADER, requiredRow, ID1, inputOf, xlsx, zip } from '../support/households.js';

// The XLSX reader's cells, from workbooks written part by part here (the way Excel, WPS and
// streaming writers lay them out), and from exceljs's writer for the dates.

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet';

interface Book {
  /** sheetData's inner XML, by part name under xl/worksheets/ */
  sheets: Record<string, string>;
  /** the tab order: [name, part] */
  order?: [string, string][];
  strings?: string[];
  numFmts?: Record<number, string>;
  xfs?: number[];
  date1904?: boolean;
  stored?: boolean;
}

function book(b: Book): Buffer {
  const order = b.order ?? Object.keys(b.sheets).map((part, i) => [`Sheet${i + 1}`, part] as [string, string]);
  const parts: [string, string][] = [
    ['[Content_Types].xml', '<Types/>'],
    ['xl/workbook.xml', `<workbook ${NS}>${b.date1904 ? '<workbookPr date1904="1"/>' : '<workbookPr/>'}<sheets>${order.map(([name], i) => `<sheet name="${name}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('')}</sheets></workbook>`],
    ['xl/_rels/workbook.xml.rels', `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${order.map(([, part], i) => `<Relationship Id="rId${i + 1}" Type="${REL}" Target="worksheets/${part}"/>`).join('')}</Relationships>`],
  ];
  for (const [part, data] of Object.entries(b.sheets)) parts.push([`xl/worksheets/${part}`, `<?xml version="1.0" encoding="UTF-8"?>\n<worksheet ${NS}><sheetData>${data}</sheetData></worksheet>`]);
  if (b.strings) parts.push(['xl/sharedStrings.xml', `<sst ${NS} count="${b.strings.length}">${b.strings.join('')}</sst>`]);
  if (b.xfs) {
    const fmts = Object.entries(b.numFmts ?? {}).map(([id, code]) => `<numFmt numFmtId="${id}" formatCode="${code.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"/>`);
    parts.push(['xl/styles.xml', `<styleSheet ${NS}><numFmts count="${fmts.length}">${fmts.join('')}</numFmts><cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="${b.xfs.length}">${b.xfs.map((id) => `<xf numFmtId="${id}" fontId="0" applyNumberFormat="1"/>`).join('')}</cellXfs></styleSheet>`]);
  }
  return zip(parts.map(([name, text]) => (b.stored ? { name, data: Buffer.from(text), method: 0 as const } : { name, data: deflateRawSync(text), declaredSize: Buffer.byteLength(text) })));
}

async function cells(bytes: Buffer): Promise<{ row: number; cells: Cell[] }[]> {
  const out: { row: number; cells: Cell[] }[] = [];
  for await (const row of xlsxRows(bytes).rows) out.push(row);
  return out;
}

t.test('shared strings and inline strings, rich text, phonetic runs left out', async (t) => {
  const bytes = book({
    strings: ['<si><t>古路村</t></si>', '<si><r><rPr><b/></rPr><t>张</t></r><r><t xml:space="preserve">德 明</t></r></si>', '<si><t>欧阳</t><rPh sb="0" eb="2"><t>ōuyáng</t></rPh></si>', '<si><t>a&amp;b &lt;c&gt; &#x53e4;&#21476;</t></si>'],
    sheets: {
      'sheet1.xml':
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>' +
        '<row r="2"><c r="A2" t="inlineStr"><is><t>草坪村</t></is></c><c r="B2" t="inlineStr"><is><r><t>王</t></r><r><rPr><i/></rPr><t>秀英</t></r></is></c><c r="C2" t="str"><v>x &amp; y</v></c><c r="D2" t="s"><v>99</v></c></row>',
    },
  });
  t.same(await cells(bytes), [
    { row: 1, cells: ['古路村', '张德 明', '欧阳', 'a&b <c> 古古'] },
    { row: 2, cells: ['草坪村', '王秀英', 'x & y', null] },
  ]);
});

t.test('numbers, booleans, errors, formulas with and without a cached value', async (t) => {
  const bytes = book({
    sheets: {
      'sheet1.xml':
        '<row r="1"><c r="A1"><v>15000</v></c><c r="B1" t="n"><v>1.5E+3</v></c><c r="C1" t="b"><v>1</v></c><c r="D1" t="b"><v>0</v></c><c r="E1" t="e"><v>#N/A</v></c></row>' +
        '<row r="2"><c r="A2"><f>SUM(A1:B1)</f><v>16500</v></c><c r="B2" t="str"><f>A3&amp;"村"</f><v>古路村</v></c><c r="C2"><f>B1*2</f></c><c r="D2" t="str"><f>""</f><v></v></c><c r="E2"><f t="shared" ref="E2:E3" si="0">A1+1</f><v>15001</v></c></row>',
    },
  });
  t.same(await cells(bytes), [
    { row: 1, cells: [15000, 1500, 'TRUE', 'FALSE', '#N/A'] },
    { row: 2, cells: [16500, '古路村', '=B1*2', '=""', 15001] },
  ]);
});

t.test('gaps in cell references are null; rows and cells without references count up; past MAX_COLUMNS is dropped', async (t) => {
  const bytes = book({
    sheets: {
      'sheet1.xml':
        '<row r="2"><c r="B2" t="inlineStr"><is><t>b</t></is></c><c r="E2"><v>5</v></c><c r="F2" s="0"/></row>' +
        '<row><c t="inlineStr"><is><t>a</t></is></c><c><v>2</v></c><c r="AA3"><v>27</v></c></row>' +
        '<row r="7" spans="1:3"/>' +
        '<row r="8"><c r="A8"><v>1</v></c><c r="IV8"><v>256</v></c><c r="IW8"><v>257</v></c></row>',
    },
  });
  const rows = await cells(bytes);
  t.same(rows.slice(0, 3), [
    { row: 2, cells: [null, 'b', null, null, 5] },
    { row: 3, cells: ['a', 2, ...Array(24).fill(null), 27] },
    { row: 7, cells: [] },
  ]);
  t.equal(rows[3]!.row, 8);
  t.equal(rows[3]!.cells.length, 256, 'column IV is the last one read');
  t.equal(rows[3]!.cells[255], 256);
});

t.test('date styles: built-in formats, a Chinese custom format, not a plain number format', async (t) => {
  t.ok(isDateFormat('yyyy"年"m"月"d"日"'));
  t.ok(isDateFormat('yyyy-mm-dd'));
  t.ok(isDateFormat('[$-F800]dddd, mmmm dd, yyyy'));
  t.notOk(isDateFormat('#,##0.00"元"'));
  t.notOk(isDateFormat('[Red]0.00'));
  t.notOk(isDateFormat('General'));
  const bytes = book({
    numFmts: { 176: 'yyyy"年"m"月"d"日"', 177: '0.00"万元"' },
    xfs: [0, 14, 176, 177, 31, 4],
    sheets: {
      'sheet1.xml': '<row r="1"><c r="A1" s="0"><v>43753</v></c><c r="B1" s="1"><v>43753</v></c><c r="C1" s="2"><v>43753</v></c><c r="D1" s="3"><v>1.5</v></c><c r="E1" s="4"><v>43753.75</v></c><c r="F1" s="5"><v>43753</v></c><c r="G1" s="2" t="inlineStr"><is><t>2019年10月15日</t></is></c></row>',
    },
  });
  t.same(await cells(bytes), [{ row: 1, cells: [43753, new Date('2019-10-15T00:00:00Z'), new Date('2019-10-15T00:00:00Z'), 1.5, new Date('2019-10-15T18:00:00Z'), 43753, '2019年10月15日'] }]);
});

t.test('date1904: serial days counted from 1904-01-01', async (t) => {
  const bytes = book({ date1904: true, xfs: [0, 14], sheets: { 'sheet1.xml': '<row r="1"><c r="A1" s="1"><v>42291</v></c><c r="B1"><v>42291</v></c></row>' } });
  const source = xlsxRows(bytes);
  const rows: Cell[][] = [];
  for await (const row of source.rows) rows.push(row.cells);
  t.same(rows, [[new Date('2019-10-15T00:00:00Z'), 42291]]);
  t.equal(source.date1904(), true);
});

t.test('dates as exceljs wrote and read them: the same Date, in both date systems', async (t) => {
  const dates = [new Date('2019-10-15T00:00:00Z'), new Date('2000-01-01T00:00:00Z'), new Date('2023-05-12T12:34:56Z'), new Date('2019-10-15T16:00:00Z')];
  for (const date1904 of [false, true]) {
    const written = await xlsx([dates], { dateColumns: [1, 2, 3, 4], date1904 });
    const ours = (await cells(written))[0]!.cells;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(written as unknown as ExcelJS.Buffer);
    const theirs = (wb.worksheets[0]!.getRow(1).values as unknown[]).slice(1);
    t.same(ours, theirs, `date1904 ${date1904}: as exceljs reads them`);
    t.same(ours, dates, `date1904 ${date1904}: as written`);
  }
});

t.test('the first sheet of the tab order, wherever and whatever its part; stored parts', async (t) => {
  const data = (v: string) => `<row r="1"><c r="A1" t="inlineStr"><is><t>${v}</t></is></c></row>`;
  const bytes = book({ sheets: { 'sheet1.xml': data('说明'), 'sheet2.xml': data('台账') }, order: [['台账', 'sheet2.xml'], ['说明', 'sheet1.xml']] });
  t.same(await cells(bytes), [{ row: 1, cells: ['台账'] }]);
  const named = book({ sheets: { 'data.xml': data('台账') }, stored: true });
  t.same(await cells(named), [{ row: 1, cells: ['台账'] }], 'a part not named sheetN.xml, stored');
  await t.rejects(cells(book({ sheets: {}, order: [['x', 'missing.xml']] })), { code: 'empty' }, 'no sheet');
});

t.test('a household row from a hand-written workbook imports as from exceljs', async (t) => {
  const inline = (r: number, values: string[]) => `<row r="${r}">${values.map((v, i) => `<c r="${String.fromCharCode(65 + i)}${r}" t="inlineStr"><is><t>${v}</t></is></c>`).join('')}</row>`;
  const bytes = book({ sheets: { 'sheet1.xml': inline(1, REQUIRED_HEADER) + inline(2, requiredRow(ID1)) } });
  const rows = await readAll(bytes, 'xlsx');
  const expected = await readAll(await xlsx([REQUIRED_HEADER, requiredRow(ID1)]), 'xlsx');
  t.same(inputOf(rows[0]), inputOf(expected[0]));
});

t.test('a broken sheet is malformed, not a crash', async (t) => {
  await t.rejects(cells(book({ sheets: { 'sheet1.xml': '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2" t="s' } })), { code: 'malformed' });
});

t.test('an endless tag or cell is malformed, not a memory sink', async (t) => {
  const long = 'a'.repeat(2 * 1024 * 1024);
  await t.rejects(cells(book({ stored: true, sheets: { 'sheet1.xml': `<row r="1"><c r="A1" x="${long}"><v>1</v></c></row>` } })), { code: 'malformed' }, 'a 2 MB tag');
  await t.rejects(cells(book({ stored: true, sheets: { 'sheet1.xml': `<row r="1"><c r="A1" t="inlineStr"><is><t>${long}</t></is></c></row>` } })), { code: 'malformed' }, 'a 2 MB cell');
  await t.rejects(cells(book({ stored: true, strings: [`<si><t>${long}</t></si>`], sheets: { 'sheet1.xml': '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' } })), { code: 'malformed' }, 'a 2 MB shared string');
});

t.test('ISO dates (t="d", strict Open XML) as UTC', async (t) => {
  const bytes = book({ sheets: { 'sheet1.xml': '<row r="1"><c r="A1" t="d"><v>2019-10-15</v></c><c r="B1" t="d"><v>2019-10-15T08:30:00</v></c><c r="C1" t="d"><v>not a date</v></c></row>' } });
  t.same(await cells(bytes), [{ row: 1, cells: [new Date('2019-10-15T00:00:00Z'), new Date('2019-10-15T08:30:00Z'), null] }]);
});
