import ExcelJS from 'exceljs';
import t from 'tap';
import { testApp, FORM, formBody } from '../../support/app.js';
import { addLead, addRow, conclude } from '../../support/problems.js';
import { signIn } from '../../support/staff.js';

const SCRIPT = '<script>alert(1)</script>村里多报少给';
const HEADERS = ['序号', '问题类别', '自查问题', '整改措施', '整改进度', '完成时限'];

t.test('rows from a self-check and from a lead, linked both ways; stored text escaped everywhere', async (t) => {
  const ta = await testApp(t);
  const clerk = await signIn(ta, 'clerk');
  const inv = await signIn(ta, 'investigator');

  const created = await clerk.post('/staff/problems', { village: 'gulu', category: 'integrity', problem: SCRIPT, measures: '退还多收款项 <b>', deadline: '2023-10-20' });
  t.equal(created.statusCode, 303);
  const rowId = String(created.headers.location).split('/').pop()!;
  const bad = await clerk.post('/staff/problems', { village: 'nowhere', category: 'x', problem: '', measures: '', deadline: 'soon' });
  t.equal(bad.statusCode, 400, 'invalid input re-renders the form');
  t.match(bad.body, 'class="error-summary"');

  const lead = await addLead(ta, { village: 'gulu', category: 'funds', description: `${SCRIPT} 原始举报内容` });
  const early = await inv.post(`/staff/leads/${lead}/problem`, { village: 'gulu', category: 'funds', problem: '补助未专账核算', measures: '设立专账', deadline: '2030-01-01' });
  t.equal(early.statusCode, 409, 'a lead not yet concluded cannot make a row');
  await conclude(ta, lead, 'partly');
  const leadPage = await inv.get(`/staff/leads/${lead}`);
  t.match(leadPage.body, 'action="/staff/leads/' + lead + '/problem"', 'the lead page offers the one action');
  const fromLead = await inv.post(`/staff/leads/${lead}/problem`, { village: 'gulu', category: 'funds', problem: '补助未专账核算', measures: '设立专账', deadline: '2030-01-01' });
  t.equal(fromLead.statusCode, 303);
  const leadRow = String(fromLead.headers.location).split('/').pop()!;
  t.equal((await inv.post(`/staff/leads/${lead}/problem`, { row: rowId })).statusCode, 303, 'the lead added to the self-check row too');
  t.same((await ta.database.db.selectFrom('problem_row_leads').select('row_id').where('report_id', '=', lead).orderBy('row_id').execute()).map((r) => r.row_id).sort(), [rowId, leadRow].sort());

  const rowPage = await inv.get(`/staff/problems/${leadRow}`);
  t.match(rowPage.body, `href="/staff/leads/${lead}"`, 'the row shows its lead');
  const shown = await inv.get(`/staff/leads/${lead}`);
  t.match(shown.body, `href="/staff/problems/${leadRow}"`, 'the lead shows its rows');
  t.match(shown.body, `href="/staff/problems/${rowId}"`);
  const clerkView = await clerk.get(`/staff/problems/${leadRow}`);
  t.notMatch(clerkView.body, `/staff/leads/${lead}`, 'a clerk does not see which lead a row came from');
  t.equal((await clerk.get(`/staff/leads/${lead}`)).statusCode, 403);

  t.equal((await clerk.post(`/staff/problems/${rowId}/progress`, { progress: 'in_progress', note: '已退还2户 <i>' })).statusCode, 303);
  const history = await ta.database.db.selectFrom('problem_row_notes').select(['progress', 'note']).where('row_id', '=', rowId).execute();
  t.same(history, [{ progress: 'in_progress', note: '已退还2户 <i>' }]);

  const viewer = await signIn(ta, 'viewer');
  const pages = [
    await inv.get('/staff/problems'),
    await inv.get('/staff/problems?village=gulu'),
    await inv.get(`/staff/problems/${rowId}`),
    await inv.get(`/staff/leads/${lead}`),
    await inv.get('/staff/problems/print?village=gulu'),
    await clerk.get('/staff/problems/filings/new?village=gulu'),
    await viewer.get('/staff/problems?overdue=1'),
  ];
  for (const page of pages) {
    t.equal(page.statusCode, 200);
    t.notMatch(page.body, '<script>alert', 'no stored script tag reaches a page');
    t.notMatch(page.body, '<b>');
  }
  t.match(pages[0]!.body, '&lt;script&gt;alert(1)&lt;/script&gt;');
  t.match(pages[6]!.body, `href="/staff/problems/${rowId}"`, 'the row past its deadline is listed as overdue');
  t.match(pages[6]!.body, 'class="flag"');
  t.notMatch(pages[6]!.body, `href="/staff/problems/${leadRow}"`, 'a row due in 2030 is not');
});

t.test('XLSX and CSV exports round trip in the template layout, every export audited', async (t) => {
  const ta = await testApp(t);
  const inv = await signIn(ta, 'investigator');
  await addRow(ta, inv.userId, { category: 'funds', problem: '补助资金未设专账', measures: '设立专账' });
  await addRow(ta, inv.userId, { category: 'funds', problem: '挪用补助修路', measures: '追回资金' });
  await addRow(ta, inv.userId, { category: 'integrity', problem: '收取资料费', measures: '全额退还' });
  await addRow(ta, inv.userId, { village: 'caoping', category: 'duty', problem: '别村的问题', measures: '—整改' });

  const xlsx = await inv.get('/staff/problems/export.xlsx?village=gulu');
  t.equal(xlsx.statusCode, 200);
  t.match(String(xlsx.headers['content-type']), 'spreadsheetml');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const ws = wb.worksheets[0]!;
  const text = (r: number, c: number) => String(ws.getCell(r, c).value ?? '');
  t.equal(text(1, 1), '古路镇农村危房整治补助资金领域腐败和作风问题专项治理问题清单', 'the title');
  t.match(text(2, 1), /^填报单位：古路村$/);
  t.match(text(2, 4), /^填报时间：\d{4}年\d{1,2}月\d{1,2}日$/);
  t.same([1, 2, 3, 4, 5, 6].map((c) => text(3, c)), HEADERS, 'the six columns in order');
  // funds: two rows (4, 5); policy: one blank (6); duty: one blank (7); integrity: one (8).
  t.same([4, 5, 6, 7, 8].map((r) => text(r, 1)), ['1', '1', '2', '3', '4'], 'categories numbered 1–4 (merged cells repeat the master value)');
  t.same([4, 6, 7, 8].map((r) => text(r, 2)), ['资金管理不规范', '政策落实打折扣', '履行职责不到位', '违反廉洁纪律行为']);
  t.equal(text(4, 3), '1. 补助资金未设专账');
  t.equal(text(5, 3), '2. 挪用补助修路');
  t.equal(text(4, 4), '设立专账');
  t.equal(text(4, 5), '未开始');
  t.equal(text(4, 6), '2030年10月20日');
  t.equal(text(8, 3), '1. 收取资料费');
  t.equal(text(6, 3), '', 'an empty category keeps a blank line');
  t.notMatch(JSON.stringify(ws.getSheetValues()), '别村的问题', 'only this village');
  const merges = (ws.model as unknown as { merges: string[] }).merges.sort();
  t.same(merges, ['A1:F1', 'A10:B10', 'A12:F12', 'A2:C2', 'A4:A5', 'B4:B5', 'C10:D10', 'D2:F2', 'E10:F10'].sort(), 'merged cells as on the template');
  t.equal(text(10, 1), '村书记（签字）：');
  t.equal(text(10, 3), '驻村领导（签字）：');
  t.equal(text(10, 5), '经办人员（签字）：');
  t.equal(text(12, 1), '注：此表每月20日前报送至村建中心。');
  t.equal(ws.pageSetup.orientation, 'landscape');
  t.equal(ws.pageSetup.paperSize, 9, 'A4');

  const csv = await inv.get('/staff/problems/export.csv?village=gulu');
  t.equal(csv.statusCode, 200);
  t.match(String(csv.headers['content-type']), 'text/csv');
  t.ok(csv.body.startsWith('\uFEFF'), 'a byte-order mark for Excel');
  const lines = csv.body.slice(1).trim().split('\r\n');
  t.equal(lines[0], HEADERS.join(','));
  t.same(lines.slice(1), [
    '1,资金管理不规范,1. 补助资金未设专账,设立专账,未开始,2030年10月20日',
    '1,资金管理不规范,2. 挪用补助修路,追回资金,未开始,2030年10月20日',
    '2,政策落实打折扣,,,,',
    '3,履行职责不到位,,,,',
    '4,违反廉洁纪律行为,1. 收取资料费,全额退还,未开始,2030年10月20日',
  ]);

  const print = await inv.get('/staff/problems/print?village=gulu');
  t.equal(print.statusCode, 200);
  const html = print.body;
  t.match(html, '<h1 class="sheet-title">古路镇农村危房整治补助资金领域腐败和作风问题专项治理问题清单</h1>');
  t.match(html, /<p class="sheet-info"><span>填报单位：古路村<\/span><span>填报时间：\d{4}年/);
  t.same([...html.matchAll(/<th scope="col">([^<]+)<\/th>/g)].map((m) => m[1]), HEADERS);
  t.same([...html.matchAll(/<td class="sheet-group" rowspan="(\d)">(\d)<\/td><td class="sheet-group" rowspan="\d">([^<]+)<\/td>/g)].map((m) => [m[1], m[2], m[3]]), [
    ['2', '1', '资金管理不规范'],
    ['1', '2', '政策落实打折扣'],
    ['1', '3', '履行职责不到位'],
    ['1', '4', '违反廉洁纪律行为'],
  ], 'categories grouped and numbered as in the template');
  t.match(html, /class="sheet-signatures"><span>村书记（签字）：<\/span><span>驻村领导（签字）：<\/span><span>经办人员（签字）：<\/span>/);
  t.match(html, '<p class="sheet-footnote">注：此表每月20日前报送至村建中心。</p>');
  t.ok(html.indexOf('sheet-table') < html.indexOf('sheet-signatures') && html.indexOf('sheet-signatures') < html.indexOf('sheet-footnote'), 'signatures under the table, then the footnote');
  t.notMatch(html, /<script>(?!<\/script>)[^<]/, 'no inline script');

  t.equal((await inv.get('/staff/problems/export.xlsx?village=nowhere')).statusCode, 404);
  const audited = await ta.database.db.selectFrom('audit_log').select(['action', 'detail', 'actor_id']).where('action', '=', 'problem.export').orderBy('id').execute();
  t.same(audited.map((a) => [a.detail.format, a.detail.village, a.detail.rows, a.actor_id]), [
    ['xlsx', 'gulu', 3, inv.userId],
    ['csv', 'gulu', 3, inv.userId],
    ['print', 'gulu', 3, inv.userId],
  ]);
});

t.test('monthly filing: the list frozen with its signers; the table says who filed and what changed', async (t) => {
  const ta = await testApp(t);
  const clerk = await signIn(ta, 'clerk');
  const row = await addRow(ta, clerk.userId, { problem: '补助发放不按验收结果' });
  const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date());
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  const filed = await clerk.post('/staff/problems/filings', { village: 'gulu', month, filedOn: today, secretary: '王书记', residentLeader: '李驻村', clerkName: '赵经办' });
  t.equal(filed.statusCode, 303);
  const future = await clerk.post('/staff/problems/filings', { village: 'gulu', month: '2999-01', filedOn: today, secretary: '王书记', residentLeader: '李驻村', clerkName: '赵经办' });
  t.equal(future.statusCode, 400);
  // Progress after filing does not change the filed list.
  t.equal((await clerk.post(`/staff/problems/${row}/progress`, { progress: 'done', note: '已整改' })).statusCode, 303);
  const filing = await ta.database.db.selectFrom('problem_list_filings').selectAll().executeTakeFirstOrThrow();
  t.same(filing.snapshot.rows.map((r) => [r.id, r.progress]), [[row, 'not_started']]);
  t.same([filing.secretary, filing.resident_leader, filing.clerk_name, filing.filed_on], ['王书记', '李驻村', '赵经办', today]);

  const table = await clerk.get(`/staff/problems/filings?month=${month}`);
  t.equal(table.statusCode, 200);
  const gulu = /<tr class="filing-(\w+)">\s*<th scope="row">古路村/.exec(table.body);
  t.equal(gulu?.[1], Number(today.slice(8)) <= 20 ? 'on_time' : 'late');
  const print = await clerk.get(`/staff/problems/print?filing=${filing.id}`);
  t.match(print.body, /<span>村书记（签字）：王书记<\/span><span>驻村领导（签字）：李驻村<\/span><span>经办人员（签字）：赵经办<\/span>/);
  t.match(print.body, '未开始', 'the filed list shows the progress as filed');
  const audit = await ta.database.db.selectFrom('audit_log').select('action').where('action', 'in', ['problem.file', 'problem.export', 'problem.progress']).orderBy('id').execute();
  t.same(audit.map((a) => a.action), ['problem.file', 'problem.progress', 'problem.export']);
});

t.test('every POST here needs the CSRF token', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const row = await addRow(ta, admin.userId);
  const lead = await addLead(ta, { village: 'gulu' });
  await conclude(ta, lead);
  const posts: [string, Record<string, string>][] = [
    ['/staff/problems', { village: 'gulu', category: 'funds', problem: '问题问题', measures: '措施措施', deadline: '2030-01-01' }],
    [`/staff/problems/${row}/progress`, { progress: 'done', note: '完成' }],
    [`/staff/leads/${lead}/problem`, { row }],
    ['/staff/problems/filings', { village: 'gulu', month: '2023-07', filedOn: '2023-07-10', secretary: '王书记', residentLeader: '李驻村', clerkName: '赵经办' }],
    ['/staff/lookback', { assignee: 'none' }],
    ['/staff/lookback/1/assign', { assignee: 'none' }],
    ['/staff/lookback/items/1/finding', { finding: 'held', note: '良好' }],
  ];
  for (const [url, fields] of posts) {
    const res = await ta.app.inject({ method: 'POST', url, headers: { ...FORM, cookie: admin.cookie }, payload: formBody(fields) });
    t.equal(res.statusCode, 403, `${url} without a token`);
    const wrong = await ta.app.inject({ method: 'POST', url, headers: { ...FORM, cookie: admin.cookie }, payload: formBody({ ...fields, _csrf: 'x'.repeat(admin.csrf.length) }) });
    t.equal(wrong.statusCode, 403, `${url} with a wrong token`);
  }
  const counts = await Promise.all(['problem_rows', 'problem_row_notes', 'problem_row_leads', 'problem_list_filings', 'lookback_draws'].map(async (table) =>
    Number((await ta.database.db.selectFrom(table as 'problem_rows').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)));
  t.same(counts, [1, 0, 0, 0, 0], 'nothing was written');
});

t.test('print and export links from the start: every village’s list, before any village is chosen', async (t) => {
  const ta = await testApp(t);
  const inv = await signIn(ta, 'investigator');
  await addRow(ta, inv.userId, { village: 'gulu', problem: '古路村的问题' });
  await addRow(ta, inv.userId, { village: 'caoping', category: 'duty', problem: '草坪村的问题' });
  const page = await inv.get('/staff/problems');
  for (const href of ['/staff/problems/print?village=all', '/staff/problems/export.xlsx?village=all', '/staff/problems/export.csv?village=all']) {
    t.match(page.body, `href="${href.replace('=', '&#x3D;')}"`, `${href} offered with no village chosen`);
  }
  const villages = (await import('../../support/app.js')).campaign.villages;
  const print = await inv.get('/staff/problems/print?village=all');
  t.equal(print.statusCode, 200);
  t.equal([...print.body.matchAll(/<article class="problem-sheet">/g)].length, villages.length, 'one sheet per village');
  t.match(print.body, '古路村的问题');
  t.match(print.body, '草坪村的问题');
  const xlsx = await inv.get('/staff/problems/export.xlsx?village=all');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  t.equal(wb.worksheets.length, villages.length, 'one worksheet per village');
  const csv = await inv.get('/staff/problems/export.csv?village=all');
  const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
  t.same(lines[0]!.split(','), ['填报单位', ...HEADERS], 'a unit column first');
  t.ok(lines.some((l) => l.startsWith('古路村,') && l.includes('古路村的问题')));
  t.ok(lines.some((l) => l.startsWith('草坪村,') && l.includes('草坪村的问题')));
  const audited = await ta.database.db.selectFrom('audit_log').select('detail').where('action', '=', 'problem.export').execute();
  t.same(audited.map((a) => (a.detail as { village: string }).village), ['all', 'all', 'all'], 'each export audited');
});
