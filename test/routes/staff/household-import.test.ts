import { readFileSync } from 'node:fs';
import t from 'tap';
import { loadCatalogs, translator } from '../../../src/i18n/index.js';
import { multipart } from '../../support/attachments.js';
import { testApp, HOTLINE } from '../../support/app.js';
import { checkMarkup } from '../../support/page-checks.js';
import { signIn, type StaffAgent } from '../../support/staff.js';
import { deflateRawSync } from 'node:zlib';
import { csv, ID1, ID2, REQUIRED_HEADER, requiredRow, zip } from '../../support/households.js';

// The import as staff use it: a file previewed with every row's problems by row and column (and
// nothing stored), a clean file committed all at once, the same file again changing nothing, a
// corrected file updating the changed row, and a refused file saying why.

const zh = translator(loadCatalogs()['zh-CN']);
const SAMPLE_CSV = readFileSync(new URL('../../../docs/samples/households.csv', import.meta.url));
const SAMPLE_XLSX = readFileSync(new URL('../../../docs/samples/households.xlsx', import.meta.url));

function upload(agent: StaffAgent, ta: Awaited<ReturnType<typeof testApp>>, name: string, bytes: Buffer) {
  const body = multipart({ _csrf: agent.csrf }, [{ field: 'file', name, bytes, type: 'application/octet-stream' }]);
  return ta.app.inject({ method: 'POST', url: '/staff/households/import', headers: { ...body.headers, cookie: agent.cookie }, payload: body.payload });
}

const counts = async (ta: Awaited<ReturnType<typeof testApp>>) => ({
  households: (await ta.database.db.selectFrom('households').select('id').execute()).length,
  history: (await ta.database.db.selectFrom('household_history').select('id').execute()).length,
});

t.test('preview lists every problem and stores nothing; a clean file commits once; again changes nothing; a fix updates one row', async (t) => {
  const ta = await testApp(t);
  const clerk = await signIn(ta, 'clerk');
  const form = await clerk.get('/staff/households/import');
  t.equal(form.statusCode, 200);
  checkMarkup(t, 'import form', form.body);

  const bad = csv([REQUIRED_HEADER, requiredRow(ID1), requiredRow(`${ID2.slice(0, 17)}${ID2[17] === '1' ? '2' : '1'}`, { 年度: '2015' })]);
  const preview = await upload(clerk, ta, '古路村.csv', bad);
  t.equal(preview.statusCode, 400);
  checkMarkup(t, 'problems', preview.body);
  t.match(preview.body, '<td>3</td><td>身份证号 (C)</td>', 'the row and the column as the file has them');
  t.match(preview.body, zh('errors.households.id.checkDigit'));
  t.match(preview.body, zh('errors.households.year', { first: 2017 }));
  t.match(preview.body, zh('households.import.nothingChanged'));
  t.same(await counts(ta), { households: 0, history: 0 }, 'a bad file changes nothing');

  for (const [name, bytes] of [['households.csv', SAMPLE_CSV], ['households.xlsx', SAMPLE_XLSX]] as const) {
    const ready = await upload(clerk, ta, name, bytes);
    t.equal(ready.statusCode, 200, `${name}: previewed`);
    t.match(ready.body, zh('households.import.ready', { rows: 8 }));
    t.same((await counts(ta)).households, name.endsWith('csv') ? 0 : 8, 'the preview stores no household');
    const id = /action="\/staff\/households\/import\/(\d+)\/commit"/.exec(ready.body)![1]!;
    const done = await clerk.post(`/staff/households/import/${id}/commit`);
    t.equal(done.statusCode, 200);
    t.match(done.body, name.endsWith('csv') ? zh('households.import.summary', { created: 8, updated: 0, unchanged: 0 }) : zh('households.import.summary', { created: 0, updated: 0, unchanged: 8 }), `${name}: the summary`);
    t.equal((await clerk.post(`/staff/households/import/${id}/commit`)).statusCode, 409, 'a second commit of the same preview does nothing');
  }
  t.same(await counts(ta), { households: 8, history: 8 }, 'the same households twice (CSV, then XLSX): stored once, no history for the second');
  const stored = await ta.database.db.selectFrom('household_imports').select(['status', 'file_sealed']).execute();
  t.ok(stored.every((i) => i.status === 'committed' && i.file_sealed === null), 'no copy of a committed file is kept');

  // A corrected file: one amount changed.
  const corrected = Buffer.from(SAMPLE_CSV.toString('utf8').replace('15000元', '16000元'));
  const again = await upload(clerk, ta, 'households.csv', corrected);
  const id = /action="\/staff\/households\/import\/(\d+)\/commit"/.exec(again.body)![1]!;
  t.match((await clerk.post(`/staff/households/import/${id}/commit`)).body, zh('households.import.summary', { created: 0, updated: 1, unchanged: 7 }));
  const change = await ta.database.db.selectFrom('household_history').select('changes').orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.same(change.changes, { approvedYuan: ['15000.00', '16000.00'] }, 'the change in the household’s history');
});

t.test('refused files say why, with the hotline; viewers cannot import', async (t) => {
  const ta = await testApp(t);
  const inv = await signIn(ta, 'investigator');
  const cases: [string, string, Buffer, string][] = [
    ['an old .xls', 'a.xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0, 0, 0, 0]), zh('errors.households.import.notCsvOrXlsx')],
    ['missing columns', 'a.csv', csv([['村', '户主姓名', '身份证号'], ['古路村', '张', ID1]]), zh('errors.households.import.missingColumns', { list: '农户类型、危房等级、改造方式、年度、核定补助金额' }).slice(0, 8)],
    ['an empty file', 'a.csv', Buffer.alloc(0), zh('errors.households.import.empty')],
  ];
  // A million rows in a sheet of 70 MB that deflates to well under the 32 MB upload limit.
  const rows = Array.from({ length: 1_000_000 }, (_, i) => `<row r="${i + 2}"><c r="A${i + 2}" t="inlineStr"><is><t>古路村</t></is></c></row>`).join('');
  const header = REQUIRED_HEADER.map((h, i) => `<c r="${String.fromCharCode(65 + i)}1" t="inlineStr"><is><t>${h}</t></is></c>`).join('');
  const sheet = Buffer.from(`<worksheet><sheetData><row r="1">${header}</row>${rows}</sheetData></worksheet>`);
  const part = (name: string, text: string | Buffer) => ({ name, data: deflateRawSync(text), declaredSize: Buffer.byteLength(text) });
  const million = zip([
    part('[Content_Types].xml', '<Types/>'),
    part('xl/workbook.xml', '<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    part('xl/_rels/workbook.xml.rels', '<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
    part('xl/worksheets/sheet1.xml', sheet),
  ]);
  t.ok(million.length < 32 * 1024 * 1024, `a million rows in ${million.length} bytes`);
  cases.push(['a million rows', 'a.xlsx', million, zh('errors.households.import.tooManyRows', { max: 200000 })]);
  for (const [what, name, bytes, message] of cases) {
    const res = await upload(inv, ta, name, bytes);
    t.equal(res.statusCode, 400, what);
    t.match(res.body, message, `${what}: says why`);
    t.match(res.body, HOTLINE);
  }
  const viewer = await signIn(ta, 'viewer');
  t.equal((await viewer.get('/staff/households/import')).statusCode, 403);
  t.equal((await upload(viewer, ta, 'households.csv', SAMPLE_CSV)).statusCode, 403);
  t.equal((await inv.get('/staff/households/import/sample.xlsx')).statusCode, 200, 'the sample files are offered');
  t.same((await ta.database.db.selectFrom('households').select('id').execute()).length, 0);
});
