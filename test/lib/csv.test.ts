import ExcelJS from 'exceljs';
import t from 'tap';
import { neutralizeCsvCell, toCsv } from '../../src/lib/csv.js';
import { testApp } from '../support/app.js';
import { addRow } from '../support/problems.js';
import { signIn } from '../support/staff.js';

// The security review: the problem-list CSV wrote cells starting with + or - as they were, which a
// spreadsheet runs as a formula. Every text cell of every CSV export is neutralised (OWASP).

const TRIGGERS = ['=', '+', '-', '@', '\t', '\r'];

t.test('each spreadsheet trigger gets a leading apostrophe; other text and numbers are left alone', async (t) => {
  for (const trigger of TRIGGERS) {
    const cell = `${trigger}HYPERLINK("http://evil.example","点我")`;
    t.equal(neutralizeCsvCell(cell), `'${cell}`, JSON.stringify(trigger));
  }
  for (const plain of ['设立专账', '1. 收取资料费', "'已经转义", ' =不是开头', '']) t.equal(neutralizeCsvCell(plain), plain, JSON.stringify(plain));
  const csv = toCsv([['金额', '说明'], [-500, '-500元'], [12.5, '=1+1']]);
  t.equal(csv, "\uFEFF金额,说明\r\n-500,'-500元\r\n12.5,'=1+1\r\n", 'numbers stay numbers, text is neutralised');
});

t.test('the problem-list CSV neutralises every trigger typed into a row; the XLSX stores them as text', async (t) => {
  const ta = await testApp(t);
  const inv = await signIn(ta, 'investigator');
  const typed = ['=cmd|" /C calc"!A0', '+1+cmd', '-2+3', '@SUM(A1:A2)'];
  for (const text of typed) await addRow(ta, inv.userId, { category: 'funds', problem: '补助资金未设专账', measures: text });

  const csv = await inv.get('/staff/problems/export.csv?village=gulu');
  t.equal(csv.statusCode, 200);
  const cells = csv.body.slice(1).trim().split('\r\n').slice(1).map((line) => line.split(','));
  for (const text of typed) {
    const line = cells.find((c) => c[3]?.includes(text.slice(1, 5)));
    t.ok(line, `a line for ${text}`);
    t.equal(line![3]!.replace(/^"|"$/g, '').replace(/""/g, '"'), `'${text}`, `measures: ${text}`);
  }
  t.notOk(cells.some((c) => c.some((cell) => /^"?[=+\-@]/.test(cell))), 'no cell starts with a trigger');

  const xlsx = await inv.get('/staff/problems/export.xlsx?village=gulu');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const values: ExcelJS.CellValue[] = [];
  wb.worksheets[0]!.eachRow((row) => row.eachCell((cell) => values.push(cell.value)));
  for (const text of typed) t.ok(values.includes(text), `XLSX holds ${text} as a plain string`);
  t.notOk(values.some((v) => typeof v === 'object' && v !== null && 'formula' in v), 'no formula cell at all');
});
