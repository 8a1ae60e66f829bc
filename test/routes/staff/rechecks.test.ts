import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import t from 'tap';
import { loadCatalogs, translator } from '../../../src/i18n/index.js';
import { chinaDate } from '../../../src/calendar/work-calendar.js';
import { testApp } from '../../support/app.js';
import { checkMarkup } from '../../support/page-checks.js';
import { addHouseholds, villages } from '../../support/rechecks.js';
import { signIn } from '../../support/staff.js';

// The re-check pages with JS off: an admin draws, a clerk records (errors beside their fields,
// what was typed kept), a difference goes on the problem list with one action, the household's
// page shows it; the A4 sheet and the XLSX carry masked ID numbers only; a viewer reads only.

const zh = translator(loadCatalogs()['zh-CN']);
const en = translator(loadCatalogs().en);
// As Handlebars escapes: = and ` too.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };
const escaped = (s: string) => s.replace(/[&<>"'`=]/g, (c) => ESCAPES[c]!);

t.test('draw, record, sheet, XLSX, household page; the viewer reads only', async (t) => {
  const ta = await testApp(t);
  const db = ta.database.db;
  await addHouseholds(ta, [...villages({ gulu: 120 }), { village: 'caoping', name: '=HYPERLINK("http://x")' }, { village: 'caoping', name: '李<b>四' }]);
  const admin = await signIn(ta, 'admin');
  const clerk = await signIn(ta, 'clerk');
  const viewer = await signIn(ta, 'viewer');

  const form = await admin.get('/staff/rechecks/new');
  t.equal(form.statusCode, 200);
  checkMarkup(t, 'draw form', form.body);
  t.match(form.body, 'name="ratePercent" value="1"', 'the rate defaults to the campaign file');
  const bad = await admin.post('/staff/rechecks', { kind: 'recheck', ratePercent: '0', minimumPerVillage: '1', year: 'all', seed: '' });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, zh('errors.rechecks.rate'), 'a rate of 0 is refused');
  t.equal((await viewer.post('/staff/rechecks', { kind: 'recheck', ratePercent: '1', minimumPerVillage: '1', year: 'all' })).statusCode, 403, 'a viewer cannot draw');
  t.equal((await clerk.get('/staff/rechecks/new')).statusCode, 403, 'nor a clerk');

  const drawn = await admin.post('/staff/rechecks', { kind: 'recheck', ratePercent: '1', minimumPerVillage: '1', year: 'all', seed: 'lottery-0815', forceFlagged: '1' });
  t.equal(drawn.statusCode, 303);
  const drawId = String(drawn.headers.location).split('/').pop()!;
  const items = await db
    .selectFrom('recheck_items as i').innerJoin('households as h', 'h.id', 'i.household_id')
    .select(['i.id', 'i.forced', 'h.id as household', 'h.village', 'h.head_name', 'h.id_masked']).where('i.draw_id', '=', drawId).orderBy('i.position').execute();
  t.equal(items.filter((i) => i.village === 'gulu').length, 2, '1% of 120 rounded up');
  t.equal(items.filter((i) => i.village === 'caoping' && !i.forced).length, 1, 'at least one in the small village');

  const page = await viewer.get(`/staff/rechecks/${drawId}`);
  t.equal(page.statusCode, 200);
  checkMarkup(t, 'draw page', page.body);
  t.notMatch(page.body, '<form method="post" action="/staff/rechecks/items/', 'a viewer gets no record form');
  for (const i of items) t.match(page.body, i.id_masked, 'masked ID shown');
  t.notMatch(page.body, /\d{17}[\dX]/, 'no full ID number on the page');
  t.notMatch(page.body, '李<b>四', 'names escaped');
  t.match(page.body, 'lottery-0815');

  const item = items.find((i) => i.village === 'gulu')!;
  t.equal((await viewer.post(`/staff/rechecks/items/${item.id}`, { method: 'phone', checkedOn: chinaDate(new Date()), 'check.method': 'match' })).statusCode, 403, 'a viewer cannot record');

  // A difference without a note: the error beside the note, everything typed kept.
  const today = chinaDate(new Date());
  const noNote = await clerk.post(`/staff/rechecks/items/${item.id}`, {
    method: 'home_visit', checkedOn: today, 'check.householdType': 'match', 'check.approvedYuan': 'differ', note: '', problem: '1', category: 'funds', deadline: '2099-01-01',
  });
  t.equal(noNote.statusCode, 400);
  checkMarkup(t, 'record error', noNote.body);
  const section = noNote.body.slice(noNote.body.indexOf(`id="item-${item.id}"`));
  t.match(section, new RegExp(`<p class="field-error" id="note-${item.id}-error">[^]*?${zh('errors.rechecks.noteRequired')}`), 'the error beside the note field');
  t.match(noNote.body, `href="#note-${item.id}"`, 'and in the summary, linked to it');
  t.match(section, /name="method" value="home_visit" checked/, 'the method kept');
  t.match(section, /name="check.approvedYuan" value="differ"[^>]*checked/, 'the difference kept');
  t.match(section, /<option value="funds" selected>/, 'the category kept');
  t.match(section, 'value="2099-01-01"', 'the deadline kept');

  const future = await clerk.post(`/staff/rechecks/items/${item.id}`, { method: 'phone', checkedOn: '2099-01-01', 'check.method': 'match' });
  t.equal(future.statusCode, 400);
  t.match(future.body, zh('errors.rechecks.future'), 'a date to come is refused');
  t.equal((await db.selectFrom('recheck_items').select('recorded_at').where('id', '=', item.id).executeTakeFirstOrThrow()).recorded_at, null, 'nothing recorded yet');

  const fields = { method: 'home_visit', checkedOn: today, 'check.householdType': 'match', 'check.approvedYuan': 'differ', note: '户主说只收到两万元', problem: '1', category: 'funds', deadline: '2099-01-01' };
  const [first, second] = await Promise.all([clerk.post(`/staff/rechecks/items/${item.id}`, fields), clerk.post(`/staff/rechecks/items/${item.id}`, fields)]);
  t.same([first.statusCode, second.statusCode].sort(), [303, 409], 'a double submit records once');
  const rows = await db.selectFrom('problem_rows').select(['id', 'village', 'category', 'source', 'problem']).execute();
  t.equal(rows.length, 1, 'exactly one problem row');
  t.match(rows[0], { village: 'gulu', category: 'funds', source: 'register' });
  t.match(rows[0]!.problem, '户主说只收到两万元');
  t.same(await db.selectFrom('problem_row_households').select(['household_id', 'recheck_item_id']).execute(), [{ household_id: item.household, recheck_item_id: item.id }]);
  t.equal((await db.selectFrom('audit_log').select('id').where('action', '=', 'recheck.record').execute()).length, 1, 'one audit row');

  const rowPage = await clerk.get(`/staff/problems/${rows[0]!.id}`);
  t.match(rowPage.body, zh('staff.problems.sources.register'), 'the row says where it came from');
  t.match(rowPage.body, `href="/staff/households/${item.household}"`, 'and links the household');
  t.match(rowPage.body, item.id_masked);
  const after = await viewer.get(`/staff/rechecks/${drawId}`);
  t.match(after.body, `href="/staff/problems/${rows[0]!.id}"`, 'the draw page links the problem row');
  t.match(after.body, zh('rechecks.result.differ'));
  const household = await viewer.get(`/staff/households/${item.household}`);
  checkMarkup(t, 'household page', household.body);
  t.match(household.body, `href="/staff/rechecks/${drawId}#item-${item.id}"`, 'the household shows its re-check');
  t.match(household.body, zh('rechecks.differsIn', { fields: zh('rechecks.fields.approvedYuan') }));
  t.match(household.body, `href="/staff/problems/${rows[0]!.id}"`, 'and its problem row');

  const list = await viewer.get('/staff/rechecks');
  t.equal(list.statusCode, 200);
  checkMarkup(t, 'list', list.body);
  t.match(list.body, new RegExp(`<td class="number">${items.length}</td><td class="number">1</td><td class="number">1</td>`), 'items, recorded, differences');
  t.match((await viewer.get('/staff/households')).body, 'href="/staff/rechecks"', 'linked from the register');
  t.match((await viewer.get('/staff/rechecks?lang=en')).body, en('rechecks.heading'), 'in English too');

  // The A4 sheet of one village: every household drawn there, masked, boxes and signature lines.
  const sheet = await viewer.get(`/staff/rechecks/${drawId}/sheet?village=caoping`);
  t.equal(sheet.statusCode, 200);
  checkMarkup(t, 'sheet', sheet.body);
  for (const i of items.filter((x) => x.village === 'caoping')) {
    t.match(sheet.body, escaped(i.head_name), `the sheet names ${i.head_name}`);
    t.match(sheet.body, i.id_masked);
  }
  t.notMatch(sheet.body, items.find((i) => i.village === 'gulu')!.id_masked, 'only that village');
  t.notMatch(sheet.body, /\d{17}[\dX]/, 'no full ID number');
  t.match(sheet.body, zh('rechecks.sheet.headSign'));
  t.match(sheet.body, zh('rechecks.methods.home_visit'));
  t.match(readFileSync('public/app.css', 'utf8'), /@page recheck-sheet \{ size: A4/, 'the stylesheet prints it on A4');
  t.equal((await viewer.get(`/staff/rechecks/${drawId}/sheet?village=nowhere`)).statusCode, 404);

  // The XLSX: it parses, one row per item, IDs masked, a formula-like name stays text.
  const x = await viewer.get(`/staff/rechecks/${drawId}/export.xlsx`);
  t.equal(x.statusCode, 200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(x.rawPayload as unknown as ArrayBuffer);
  const ws = wb.worksheets[0]!;
  t.equal(ws.rowCount, items.length + 1, 'a header and one row per item');
  const cells: ExcelJS.Cell[] = [];
  wb.eachSheet((s) => s.eachRow((r) => r.eachCell((c) => cells.push(c))));
  t.notOk(cells.some((c) => c.type === ExcelJS.ValueType.Formula), 'no formula anywhere');
  const texts = cells.map((c) => String(c.value));
  t.notOk(texts.some((v) => /\d{17}[\dX]/.test(v)), 'no full ID number');
  for (const i of items) t.ok(texts.includes(i.id_masked), `masked ${i.id_masked}`);
  if (items.some((i) => i.head_name.startsWith('='))) t.ok(texts.includes('=HYPERLINK("http://x")'), 'the name kept as text');
  t.ok(texts.includes('lottery-0815'), 'the seed on the draw sheet');
  const exports = await db.selectFrom('audit_log').select('detail').where('action', '=', 'recheck.export').execute();
  t.equal(exports.length, 2, 'sheet and XLSX on the record');
});
