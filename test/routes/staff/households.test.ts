import ExcelJS from 'exceljs';
import t from 'tap';
import { loadCatalogs, translator } from '../../../src/i18n/index.js';
import { checkCharacter } from '../../../src/households/id-number.js';
import { makeHouseholdSchema } from '../../../src/households/schema.js';
import { commitImport, flagSettings, householdKeys } from '../../../src/households/service.js';
import { campaign, testApp, TEST_SECRET } from '../../support/app.js';
import { checkMarkup } from '../../support/page-checks.js';
import { addStaff, signIn } from '../../support/staff.js';

// The register's pages: the list with its filters and per-village counts, a household with its
// flags in plain words, the ID number masked for everyone and shown in full only through the
// audited reveal, and clearing a flag with a note.

const zh = translator(loadCatalogs()['zh-CN']);
const schema = makeHouseholdSchema(() => campaign);
const id = (serial: number) => {
  const first17 = `500233${19600101 + serial}${String(serial).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
};
const ARCHIVE = Object.fromEntries(campaign.register.archiveItems.map((i) => [i.key, '有']));
const base = (serial: number, name: string, extra: Record<string, unknown> = {}) => ({
  village: '古路村', headName: name, idNumber: id(serial), householdType: '低保户', dangerGrade: 'D', method: '拆除重建',
  programmeYear: '2020', approvedYuan: '30000', acceptedOn: '2020-10-01', postedVillageFrom: '2020-03-01', postedVillageTo: '2020-03-10',
  postedTownFrom: '2020-03-15', postedTownTo: '2020-03-25', archive: ARCHIVE,
  payments: [{ paidOn: '2020-11-01', amountYuan: '30000', payeeName: name }],
  ...extra,
});

t.test('the register: masked for every role, flags in plain words, the reveal and the clearing on the record', async (t) => {
  const ta = await testApp(t);
  const importer = await addStaff(ta, 'clerk0', 'clerk');
  const rows = [
    base(1, '王大山'),
    base(2, '<script>alert(1)</script>李', { payments: [{ paidOn: '2020-11-01', amountYuan: '30000', payeeName: '张三' }] }),
  ];
  await commitImport(ta.database.db, householdKeys(TEST_SECRET), flagSettings(campaign), importer.id, rows.map((r) => schema.parse({ ...r, village: 'gulu' })));
  const [clean, proxy] = await ta.database.db.selectFrom('households').select(['id', 'head_name']).orderBy('id').execute();

  const agents = { admin: await signIn(ta, 'admin'), investigator: await signIn(ta, 'investigator'), clerk: await signIn(ta, 'clerk'), viewer: await signIn(ta, 'viewer') };
  for (const [role, agent] of Object.entries(agents)) {
    const list = await agent.get('/staff/households');
    t.equal(list.statusCode, 200, `${role}: the list`);
    checkMarkup(t, `${role}: list`, list.body);
    t.notMatch(list.body, id(1), `${role}: no full ID number in the list`);
    t.match(list.body, `500***********${id(1).slice(-4)}`, `${role}: masked`);
    t.notMatch(list.body, '<script>alert(1)', `${role}: names escaped`);
    const page = await agent.get(`/staff/households/${proxy!.id}`);
    t.equal(page.statusCode, 200);
    checkMarkup(t, `${role}: household`, page.body);
    t.match(page.body, zh('households.flags.proxy_payee.reason', { payee: '张三' }), `${role}: the flag's reason in plain words`);
    t.notMatch(page.body, id(2), `${role}: no full ID number on the page`);
  }
  t.match((await agents.viewer.get('/staff/households?flag=proxy_payee')).body, `href="/staff/households/${proxy!.id}"`, 'the flag filter finds it');
  t.notMatch((await agents.viewer.get('/staff/households?flag=proxy_payee')).body, `href="/staff/households/${clean!.id}"`, 'and only it');
  t.notMatch((await agents.viewer.get('/staff/households?village=caoping')).body, `href="/staff/households/${clean!.id}"`, 'the village filter');

  for (const role of ['clerk', 'viewer'] as const) {
    t.equal((await agents[role].post(`/staff/households/${proxy!.id}/reveal`, { reason: '核对身份信息' })).statusCode, 403, `${role}: no reveal`);
    t.equal((await agents[role].post(`/staff/households/${proxy!.id}/flags/1/clear`, { note: '已核实情况' })).statusCode, 403, `${role}: no clearing`);
  }
  const noReason = await agents.investigator.post(`/staff/households/${proxy!.id}/reveal`, { reason: '' });
  t.equal(noReason.statusCode, 400, 'a reveal needs a reason');
  t.notMatch(noReason.body, id(2));
  const revealed = await agents.investigator.post(`/staff/households/${proxy!.id}/reveal`, { reason: '核对是否重复领取' });
  t.equal(revealed.statusCode, 200);
  t.match(revealed.body, `<strong id="id-revealed">${id(2)}</strong>`, 'shown in full in this response');
  t.notMatch((await agents.investigator.get(`/staff/households/${proxy!.id}`)).body, id(2), 'and masked again after');
  const audit = await ta.database.db.selectFrom('audit_log').select(['actor_id', 'detail']).where('action', '=', 'household.id.reveal').execute();
  t.same(audit, [{ actor_id: agents.investigator.userId, detail: { household: proxy!.id, reason: '核对是否重复领取' } }]);

  const [flag] = await ta.database.db.selectFrom('household_flags').select('id').where('household_id', '=', proxy!.id).execute();
  t.equal((await agents.investigator.post(`/staff/households/${proxy!.id}/flags/${flag!.id}/clear`, { note: '' })).statusCode, 400, 'clearing needs a note');
  const cleared = await agents.investigator.post(`/staff/households/${proxy!.id}/flags/${flag!.id}/clear`, { note: '户主书面委托张三代领，已补登代领原因' });
  t.equal(cleared.statusCode, 303);
  const after = await agents.viewer.get(`/staff/households/${proxy!.id}`);
  t.match(after.body, '户主书面委托张三代领，已补登代领原因', 'the note stays with the flag');
  t.equal((await agents.investigator.post(`/staff/households/${proxy!.id}/flags/${flag!.id}/clear`, { note: '再次销号试试' })).statusCode, 409, 'once only');
  t.equal((await agents.viewer.get('/staff/households/999999')).statusCode, 404);
});

t.test('entering and correcting a household by hand: what was typed kept with each error, the ID number never sent back, every change on the record', async (t) => {
  const ta = await testApp(t);
  const clerk = await signIn(ta, 'clerk');
  const form = await clerk.get('/staff/households/new');
  t.equal(form.statusCode, 200);
  checkMarkup(t, 'new household', form.body);

  const fields = {
    village: 'caoping', villageGroup: '2组', headName: '赵春花', idNumber: id(7), householdType: 'dibao', dangerGrade: 'C', method: 'repair',
    programmeYear: '2021', approvedYuan: '1.5万元', acceptedOn: '2021-09-01', postedVillageFrom: '2021-03-01', postedVillageTo: '2021-03-10',
    postedTownFrom: '2021-03-12', postedTownTo: '2021-03-22', 'archive.application': '有', 'payments.0.paidOn': '2021年10月1日',
    'payments.0.amountYuan': '15000', 'payments.0.payeeName': '赵春花', 'payments.0.channel': '一卡通',
  };
  const wrong = await clerk.post('/staff/households', { ...fields, idNumber: `${id(7).slice(0, 17)}${id(7)[17] === '1' ? '2' : '1'}`, approvedYuan: '很多' });
  t.equal(wrong.statusCode, 400);
  t.match(wrong.body, zh('errors.households.id.checkDigit'), 'the ID error next to its field');
  t.match(wrong.body, zh('errors.households.amount'));
  t.match(wrong.body, 'value="很多"', 'what was typed is kept');
  t.match(wrong.body, 'value="赵春花"');
  t.equal((await ta.database.db.selectFrom('households').select('id').execute()).length, 0);

  const created = await clerk.post('/staff/households', fields);
  t.equal(created.statusCode, 303);
  const householdId = String(created.headers.location).split('/').pop()!;
  const page = await clerk.get(`/staff/households/${householdId}`);
  t.match(page.body, zh('households.flags.archive_missing.reason', { missing: '鉴定、审批、验收、拨付凭证' }), 'the flags computed on entry');
  t.equal((await clerk.post('/staff/households', fields)).statusCode, 409, 'the same ID, village and year twice');

  const edit = await clerk.get(`/staff/households/${householdId}/edit`);
  t.equal(edit.statusCode, 200);
  t.notMatch(edit.body, id(7), 'the form never holds the ID number');
  t.match(edit.body, 'value="15000.00"');
  const version = /name="version" value="(\d+)"/.exec(edit.body)![1]!;
  const corrected = await clerk.post(`/staff/households/${householdId}`, { ...fields, idNumber: '', version, approvedYuan: '16000' });
  t.equal(corrected.statusCode, 303, 'an empty ID number keeps the stored one');
  t.equal((await clerk.post(`/staff/households/${householdId}`, { ...fields, idNumber: '', version, approvedYuan: '17000' })).statusCode, 409, 'a stale form is refused');
  const stored = await ta.database.db.selectFrom('households').select(['approved_yuan', 'id_masked', 'version']).where('id', '=', householdId).executeTakeFirstOrThrow();
  t.same(stored, { approved_yuan: '16000.00', id_masked: `500***********${id(7).slice(-4)}`, version: 2 });
  const history = await ta.database.db.selectFrom('household_history').select(['source', 'changes']).where('household_id', '=', householdId).orderBy('id').execute();
  t.same(history, [{ source: 'edit', changes: { created: true } }, { source: 'edit', changes: { approvedYuan: ['15000.00', '16000.00'] } }], 'created, then corrected: only what changed');
  const shown = (await clerk.get(`/staff/households/${householdId}`)).body;
  t.match(shown, `<li>${zh('households.fields.approvedYuan')}: 15000.00 → 16000.00</li>`, 'the history names each field in words');
  t.match(shown, `<li>${zh('households.historyCreated')}</li>`);
  t.notMatch(shown, /approvedYuan|created: true/, 'never the stored field names');
  const audit = await ta.database.db.selectFrom('audit_log').select(['action', 'actor_id']).where('action', 'like', 'household.%').orderBy('id').execute();
  t.same(audit.map((a) => a.action), ['household.create', 'household.edit']);
  t.equal((await signIn(ta, 'viewer').then((v) => v.get('/staff/households/new'))).statusCode, 403, 'viewers only read');
});

t.test('subsidy standards: an admin sets one, the register is flagged against it at once, and removing it resolves the flag', async (t) => {
  const ta = await testApp(t);
  const importer = await addStaff(ta, 'clerk0', 'clerk');
  await commitImport(ta.database.db, householdKeys(TEST_SECRET), flagSettings(campaign), importer.id, [schema.parse({ ...base(1, '王大山'), village: 'gulu' })]);
  const admin = await signIn(ta, 'admin');
  const page = await admin.get('/staff/households/standards');
  t.equal(page.statusCode, 200);
  checkMarkup(t, 'standards', page.body);
  const bad = await admin.post('/staff/households/standards', { householdType: 'dibao', dangerGrade: 'D', method: 'rebuild', yearFrom: '2022', yearTo: '2019', amountYuan: '35000' });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, zh('errors.households.yearOrder'));
  t.match(bad.body, 'value="2019"', 'what was typed is kept');
  t.equal((await admin.post('/staff/households/standards', { householdType: 'dibao', dangerGrade: 'D', method: 'rebuild', yearFrom: '2017', yearTo: '2030', amountYuan: '3.5万元' })).statusCode, 303);
  const flags = () => ta.database.db.selectFrom('household_flags').select(['kind', 'resolved_at']).execute();
  t.match(await flags(), [{ kind: 'off_standard', resolved_at: null }], 'paid 30,000 against a standard of 35,000');
  const [standard] = await ta.database.db.selectFrom('subsidy_standards').select('id').execute();
  t.equal((await admin.post(`/staff/households/standards/${standard!.id}/remove`)).statusCode, 303);
  t.match(await flags(), [{ kind: 'off_standard', resolved_at: Date }], 'resolved, kept on record');
  const audit = await ta.database.db.selectFrom('audit_log').select('detail').where('action', '=', 'household.standard').orderBy('id').execute();
  t.same(audit.map((a) => a.detail.change), ['add', 'remove']);
  const inv = await signIn(ta, 'investigator');
  t.equal((await inv.get('/staff/households/standards')).statusCode, 403, 'standards are a setting: admins only');
});

t.test('a lead and the households it is about: found by name or ID tail, linked both ways, flagged, unlinked on the record', async (t) => {
  const ta = await testApp(t);
  const importer = await addStaff(ta, 'clerk0', 'clerk');
  await commitImport(ta.database.db, householdKeys(TEST_SECRET), flagSettings(campaign), importer.id, [
    schema.parse({ ...base(1, '王大山'), village: 'gulu' }),
    schema.parse({ ...base(2, '刘小梅'), village: 'gulu' }),
  ]);
  const report = await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { category: 'funds', description: '王大山家的补助被村里扣了五千元，说是手续费。', village: 'gulu' } });
  t.equal(report.statusCode, 201);
  const [lead] = await ta.database.db.selectFrom('reports').select('id').execute();
  const [wang] = await ta.database.db.selectFrom('households').select('id').where('head_name', '=', '王大山').execute();
  const inv = await signIn(ta, 'investigator');

  const byName = await inv.get(`/staff/leads/${lead!.id}/households?village=gulu&q=${encodeURIComponent('大山')}`);
  t.equal(byName.statusCode, 200);
  checkMarkup(t, 'lead households', byName.body);
  t.match(byName.body, `name="household" value="${wang!.id}"`, 'found by part of the name');
  t.notMatch(byName.body, '刘小梅');
  const byTail = await inv.get(`/staff/leads/${lead!.id}/households?q=${id(2).slice(-4)}`);
  t.match(byTail.body, '刘小梅', 'found by the last 4 of the ID number');
  t.notMatch(byTail.body, id(2), 'still masked');

  t.equal((await inv.post(`/staff/leads/${lead!.id}/households`, { household: wang!.id })).statusCode, 303);
  t.equal((await inv.post(`/staff/leads/${lead!.id}/households`, { household: wang!.id })).statusCode, 303, 'linking twice is harmless');
  t.equal((await inv.post(`/staff/leads/${lead!.id}/households`, { household: '999999' })).statusCode, 404);
  const flags = () => ta.database.db.selectFrom('household_flags').select(['kind', 'resolved_at']).where('household_id', '=', wang!.id).execute();
  t.match(await flags(), [{ kind: 'named_in_lead', resolved_at: null }], 'the household is flagged as named in a lead');
  const leadPage = await inv.get(`/staff/leads/${lead!.id}`);
  t.match(leadPage.body, `<a href="/staff/households/${wang!.id}">王大山</a>`, 'the lead shows the household');
  t.match(leadPage.body, zh('households.flags.named_in_lead.label'), 'with its flags');
  const viewer = await signIn(ta, 'viewer');
  t.match((await viewer.get(`/staff/households/${wang!.id}`)).body, `href="/staff/leads/${lead!.id}"`, 'the household shows its lead');
  const clerk = await signIn(ta, 'clerk');
  t.notMatch((await clerk.get(`/staff/households/${wang!.id}`)).body, `/staff/leads/${lead!.id}`, 'but not to a clerk, who never sees leads');
  for (const agent of [clerk, viewer]) t.equal((await agent.post(`/staff/leads/${lead!.id}/households`, { household: wang!.id })).statusCode, 403);

  t.equal((await inv.post(`/staff/leads/${lead!.id}/households/${wang!.id}/unlink`)).statusCode, 303);
  t.match(await flags(), [{ kind: 'named_in_lead', resolved_at: Date }], 'unlinked: the flag resolved, kept');
  const audit = await ta.database.db.selectFrom('audit_log').select(['action', 'report_id']).where('action', 'like', 'household.lead.%').orderBy('id').execute();
  t.same(audit, [{ action: 'household.lead.link', report_id: lead!.id }, { action: 'household.lead.unlink', report_id: lead!.id }]);
  const history = await ta.database.db.selectFrom('household_history').select('changes').where('household_id', '=', wang!.id).where('source', '=', 'lead').orderBy('id').execute();
  t.same(history.map((h) => h.changes), [{ linked: lead!.id }, { unlinked: lead!.id }]);
});

t.test('the register’s CSV: IDs masked, formula cells neutralised, filters honoured, audited', async (t) => {
  const ta = await testApp(t);
  const importer = await addStaff(ta, 'clerk0', 'clerk');
  await commitImport(ta.database.db, householdKeys(TEST_SECRET), flagSettings(campaign), importer.id, [
    schema.parse({ ...base(1, '=HYPERLINK("http://evil.example","王")'), village: 'gulu' }),
    schema.parse({ ...base(2, '刘小梅'), village: 'caoping' }),
  ]);
  const viewer = await signIn(ta, 'viewer');
  const all = await viewer.get('/staff/households/export.csv');
  t.equal(all.statusCode, 200);
  t.match(String(all.headers['content-type']), 'text/csv');
  for (const serial of [1, 2]) t.notMatch(all.body, id(serial), 'no full ID number');
  t.match(all.body, `500***********${id(1).slice(-4)}`);
  t.match(all.body, `"'=HYPERLINK(""http://evil.example"",""王"")"`, 'the formula is neutralised');
  const gulu = await viewer.get('/staff/households/export.csv?village=gulu');
  t.notMatch(gulu.body, '刘小梅', 'only the chosen village');
  const audit = await ta.database.db.selectFrom('audit_log').select('detail').where('action', '=', 'household.export').orderBy('id').execute();
  const filters = { flag: null, year: null, name: null };
  t.same(audit.map((a) => a.detail), [{ format: 'csv', village: 'all', ...filters, rows: 2 }, { format: 'csv', village: 'gulu', ...filters, rows: 1 }]);
});

const FORMULA = '=HYPERLINK("http://evil.example","王")';
const xlsxCells = async (payload: Buffer) => {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(payload as unknown as ArrayBuffer);
  const rows: ExcelJS.CellValue[][] = [];
  wb.worksheets[0]!.eachRow((row) => rows.push((row.values as ExcelJS.CellValue[]).slice(1)));
  return rows;
};

async function twoVillages(t: Parameters<typeof testApp>[0]) {
  const ta = await testApp(t);
  const importer = await addStaff(ta, 'clerk0', 'clerk');
  await commitImport(ta.database.db, householdKeys(TEST_SECRET), flagSettings(campaign), importer.id, [
    schema.parse({ ...base(1, FORMULA), village: 'gulu' }),
    schema.parse({ ...base(2, '刘小梅'), village: 'caoping' }),
  ]);
  return ta;
}

t.test('the register’s XLSX: IDs masked, text cells plain strings (no formula), filters honoured, audited', async (t) => {
  const ta = await twoVillages(t);
  const viewer = await signIn(ta, 'viewer');
  const res = await viewer.get('/staff/households/export.xlsx?village=gulu');
  t.equal(res.statusCode, 200);
  t.match(String(res.headers['content-type']), 'spreadsheetml');
  const rows = await xlsxCells(res.rawPayload);
  t.equal(rows.length, 2, 'the header and the one household of the chosen village');
  t.equal(rows[0]![3], zh('households.fields.idNumber'));
  t.equal(rows[1]![3], `500***********${id(1).slice(-4)}`, 'the ID number masked');
  t.equal(rows[1]![2], FORMULA, 'the name kept as typed, as a plain string');
  t.notOk(rows.flat().some((v) => typeof v === 'object' && v !== null && 'formula' in v), 'no formula cell at all');
  t.notOk(rows.flat().some((v) => String(v).includes(id(1)) || String(v).includes(id(2))), 'no full ID number');
  const audit = await ta.database.db.selectFrom('audit_log').select('detail').where('action', '=', 'household.export').execute();
  t.same(audit.map((a) => a.detail), [{ format: 'xlsx', village: 'gulu', flag: null, year: null, name: null, rows: 1 }]);
});

t.test('the unmasked export: admins only, by a form with a reason, on the record each time, never cached', async (t) => {
  const ta = await twoVillages(t);
  const agents = { admin: await signIn(ta, 'admin'), investigator: await signIn(ta, 'investigator'), clerk: await signIn(ta, 'clerk'), viewer: await signIn(ta, 'viewer') };
  const unmasked = () => ta.database.db.selectFrom('audit_log').select(['actor_id', 'detail']).where('action', '=', 'household.export.unmasked').orderBy('id').execute();

  for (const role of ['investigator', 'clerk', 'viewer'] as const) {
    const res = await agents[role].post('/staff/households/export/unmasked', { reason: '上级核查需要完整名单', village: 'gulu' });
    t.equal(res.statusCode, 403, `${role}: refused`);
    t.notMatch(res.body, id(1), `${role}: no ID number`);
    t.notMatch((await agents[role].get('/staff/households')).body, 'export/unmasked', `${role}: no form offered`);
  }
  const list = await agents.admin.get('/staff/households?village=gulu');
  t.match(list.body, 'action="/staff/households/export/unmasked"', 'the admin gets the form');
  t.match(list.body, '<input type="hidden" name="village" value="gulu">', 'carrying the list’s filter');
  checkMarkup(t, 'list with the form', list.body);

  const noReason = await agents.admin.post('/staff/households/export/unmasked', { reason: ' ', village: 'gulu', year: '2020' });
  t.equal(noReason.statusCode, 400, 'a reason is required');
  t.match(noReason.body, /<p class="field-error" id="reason-error">/, 'the error next to the field');
  t.match(noReason.body, '<input type="hidden" name="village" value="gulu">', 'the form keeps the filter');
  t.match(noReason.body, '<input type="hidden" name="year" value="2020">');
  t.notMatch(noReason.body, id(1));
  checkMarkup(t, 'refused export', noReason.body);
  t.same(await unmasked(), [], 'nothing exported, nothing recorded');

  const res = await agents.admin.post('/staff/households/export/unmasked', { reason: '县纪委核查重复领取', village: 'gulu' });
  t.equal(res.statusCode, 200);
  t.match(String(res.headers['content-type']), 'spreadsheetml');
  t.match(String(res.headers['cache-control']), 'no-store', 'never kept in a cache');
  const disposition = String(res.headers['content-disposition']);
  t.match(disposition, /^attachment; filename="households-unmasked-\d{4}-\d{2}-\d{2}\.xlsx"$/, 'a file name without personal data');
  const rows = await xlsxCells(res.rawPayload);
  t.equal(rows.length, 2, 'the filter honoured');
  t.equal(rows[1]![3], id(1), 'the full ID number, as text');
  t.equal(rows[1]![2], FORMULA, 'text as a plain string');
  t.notOk(rows.flat().some((v) => typeof v === 'object' && v !== null && 'formula' in v), 'no formula cell at all');

  await agents.admin.post('/staff/households/export/unmasked', { reason: '复核抽查名单', flag: 'any' });
  t.same(await unmasked(), [
    { actor_id: agents.admin.userId, detail: { village: 'gulu', flag: null, year: null, name: null, reason: '县纪委核查重复领取', rows: 1 } },
    { actor_id: agents.admin.userId, detail: { village: 'all', flag: 'any', year: null, name: null, reason: '复核抽查名单', rows: 0 } },
  ], 'each export on the record with its reason, filter and row count');
});

t.test('the queue filters to leads about households with an open flag (a flag other than being named in a lead)', async (t) => {
  const ta = await testApp(t);
  const importer = await addStaff(ta, 'clerk0', 'clerk');
  await commitImport(ta.database.db, householdKeys(TEST_SECRET), flagSettings(campaign), importer.id, [
    schema.parse({ ...base(1, '王大山'), village: 'gulu' }),
    schema.parse({ ...base(2, '刘小梅', { payments: [{ paidOn: '2020-11-01', amountYuan: '30000', payeeName: '别人' }] }), village: 'gulu' }),
  ]);
  const [clean, proxy] = await ta.database.db.selectFrom('households').select('id').orderBy('id').execute();
  for (let i = 0; i < 3; i++) t.equal((await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { category: 'funds', description: `第${i + 1}条：补助发放有问题，请核查。` } })).statusCode, 201);
  const [a, b, c] = await ta.database.db.selectFrom('reports').select('id').orderBy('id').execute();
  const inv = await signIn(ta, 'investigator');
  await inv.post(`/staff/leads/${a!.id}/households`, { household: clean!.id });
  await inv.post(`/staff/leads/${b!.id}/households`, { household: proxy!.id });
  const ids = (html: string) => [...html.matchAll(/<td><a href="\/staff\/leads\/(\d+)">/g)].map((m) => m[1]);
  t.same(ids((await inv.get('/staff/leads')).body).sort(), [a!.id, b!.id, c!.id].sort());
  const flagged = await inv.get('/staff/leads?flagged=1');
  t.same(ids(flagged.body), [b!.id], 'only the lead about the household paid to someone else');
  t.match(flagged.body, 'name="flagged" value="1" checked');
});

t.test('the list’s counts per village: every household and the flagged ones, kept up to date by imports, edits and clearing', async (t) => {
  const ta = await testApp(t);
  const importer = await addStaff(ta, 'clerk0', 'clerk');
  const keys = householdKeys(TEST_SECRET);
  // Two clean households beside one flagged (paid to someone else): a village of three, one flagged.
  const rows = [base(11, '王大山'), base(12, '李小河'), base(13, '赵三', { payments: [{ paidOn: '2020-11-01', amountYuan: '30000', payeeName: '张三' }] })];
  await commitImport(ta.database.db, keys, flagSettings(campaign), importer.id, rows.map((r) => schema.parse({ ...r, village: 'gulu' })));
  const viewer = await signIn(ta, 'viewer');
  const row = async (village: string) => {
    const body = (await viewer.get('/staff/households')).body;
    const m = new RegExp(`<tr><th scope="row"><a href="/staff/households\\?village=${village}">[^<]*</a></th><td>(\\d+)</td><td>(?:<a [^>]*>)?(\\d+)`).exec(body);
    return m ? [Number(m[1]), Number(m[2])] : null;
  };
  t.same(await row('gulu'), [3, 1], 'three households, one flagged');
  t.same(await row('caoping'), [0, 0], 'a village without households');

  const [flag] = await ta.database.db.selectFrom('household_flags').select(['id', 'household_id']).execute();
  const investigator = await signIn(ta, 'investigator');
  t.equal((await investigator.post(`/staff/households/${flag!.household_id}/flags/${flag!.id}/clear`, { note: '户主书面委托代领，已核实' })).statusCode, 303);
  t.same(await row('gulu'), [3, 0], 'a cleared flag no longer counts');

  await commitImport(ta.database.db, keys, flagSettings(campaign), importer.id, [schema.parse({ ...base(14, '钱四', { approvedYuan: '31000' }), village: 'caoping' })]);
  t.same(await row('caoping'), [1, 1], 'an import in another village counts there');
  t.same(await row('gulu'), [3, 0], 'and leaves the first as it was');
});
