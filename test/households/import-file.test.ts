import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import t from 'tap';
import { matchHeader } from '../../src/households/import-columns.js';
import { DEFAULT_IMPORT_LIMITS, detectKind, ImportFileError, readHouseholdRows } from '../../src/households/import-file.js';
import {
  campaign, csv, csvText, encodeGbk, ID1, ID2, ID3, idNumber, inputOf, problemsOf, readAll, REQUIRED_HEADER, requiredRow, xlsx, zip,
} from '../support/households.js';

// The import's file reader on real files: CSV text (UTF-8, GBK, UTF-16, comma and tab) and XLSX
// workbooks written by exceljs. The XLSX container itself (zip bombs…): import-xlsx.test.ts.

const fieldOf = (header: string) => {
  const role = matchHeader(header, campaign)?.role;
  if (!role) return null;
  if (role.kind === 'field') return role.field;
  if (role.kind === 'archive') return `archive.${role.key}`;
  return `payments.${role.index ?? '?'}.${role.part}`;
};

t.test('header variants: names, aliases, full-width, spaces, asterisks, (必填), colons, units, English', async (t) => {
  const cases: [string, string | null][] = [
    ['村', 'village'], ['村名', 'village'], ['所在村', 'village'], ['组', 'villageGroup'], ['村民小组', 'villageGroup'], ['社', 'villageGroup'],
    ['户主姓名', 'headName'], ['户主', 'headName'], ['姓名', 'headName'], ['身份证号', 'idNumber'], ['身份证号码', 'idNumber'], ['公民身份号码', 'idNumber'],
    ['联系电话', 'phone'], ['电话', 'phone'], ['手机', 'phone'], ['农户类型', 'householdType'], ['户类型', 'householdType'], ['对象类型', 'householdType'],
    ['危房等级', 'dangerGrade'], ['等级', 'dangerGrade'], ['鉴定等级', 'dangerGrade'], ['改造方式', 'method'], ['整治方式', 'method'], ['改造类型', 'method'],
    ['年度', 'programmeYear'], ['实施年度', 'programmeYear'], ['项目年度', 'programmeYear'], ['核定补助金额', 'approvedYuan'], ['补助金额', 'approvedYuan'],
    ['核定金额', 'approvedYuan'], ['补助标准', 'approvedYuan'], ['竣工验收日期', 'acceptedOn'], ['验收日期', 'acceptedOn'],
    ['村级公示开始', 'postedVillageFrom'], ['村级公示结束', 'postedVillageTo'], ['村公示起', 'postedVillageFrom'], ['村公示止', 'postedVillageTo'],
    ['镇级公示开始', 'postedTownFrom'], ['镇级公示结束', 'postedTownTo'], ['镇公示起', 'postedTownFrom'], ['代领原因', 'proxyReason'],
    // leniency
    ['户主姓名（必填）', 'headName'], ['* 身份证号码 *', 'idNumber'], ['＊公民身份号码：', 'idNumber'], ['农户　类型', 'householdType'], ['ＩＤ Ｎｕｍｂｅｒ', 'idNumber'],
    ['Head of household', 'headName'], ['VILLAGE', 'village'], ['Danger Grade', 'dangerGrade'], ['核定补助金额（元）', 'approvedYuan'], ['补助金额【万元】', 'approvedYuan'],
    ['竣工验收日期(年月日)', 'acceptedOn'],
    // payments, with and without a number
    ['发放日期', 'payments.?.paidOn'], ['发放金额', 'payments.?.amountYuan'], ['领取人', 'payments.?.payeeName'], ['发放方式', 'payments.?.channel'],
    ['发放金额2', 'payments.1.amountYuan'], ['发放金额（二）', 'payments.1.amountYuan'], ['第二次发放金额', 'payments.1.amountYuan'], ['2次发放金额', 'payments.1.amountYuan'],
    ['领取人３', 'payments.2.payeeName'], ['发放方式（第三次）', 'payments.2.channel'], ['第6次发放日期', 'payments.5.paidOn'], ['第一次发放日期', 'payments.0.paidOn'],
    ['Payment date 2', 'payments.1.paidOn'],
    // archive items: name or alias, optionally prefixed 档案 / 档案资料
    ['档案-申请', 'archive.application'], ['档案资料（鉴定）', 'archive.appraisal'], ['审批表', 'archive.approval'], ['档案：验收', 'archive.acceptance'],
    ['拨付凭证', 'archive.payment_voucher'], ['Application', 'archive.application'],
    // not the register's
    ['序号', null], ['备注', null], ['家庭人口', null], ['', null],
  ];
  for (const [header, field] of cases) t.equal(fieldOf(header), field, header);
  t.equal(matchHeader('补助金额【万元】', campaign)?.tenThousand, true, '万元 in the header');
  t.equal(matchHeader('核定补助金额（元）', campaign)?.tenThousand, false);
});

t.test('a CSV with variant headers reads every field, including two payments and the archive', async (t) => {
  const header = ['序号', '所在村', '村民小组', '户主（必填）', '*公民身份号码：', '联系 电话', '对象类型', '鉴定等级', '整治方式', '实施年度', '补助金额(万元)',
    '竣工验收日期', '村公示起', '村公示止', '镇级公示开始', '镇级公示结束', '发放日期', '发放金额', '领取人', '发放方式', '发放日期2', '发放金额（二）', '第二次领取人',
    '2次发放方式', '档案-申请', '档案资料（鉴定）', '审批表', '验收', '拨付凭证', '代领原因', '备注'];
  const row = ['1', '古路', '二组', '张德明', ID1, '138 0013 8000', '建档立卡贫困户', 'D级', '拆除重建', '2019年', '3.5', '2019/10/20', '2019-06-01', '2019-06-08',
    '2019年6月10日', '2019年6月17日', '2019-11-01', '20000', '张德明', '一卡通', '2020-01-15', '15000元', '张小明', '现金', '有', '√', '是', '有', 'Y', '户主外出务工', '无'];
  const [only, ...rest] = await readAll(csv([header, row]), 'csv');
  t.same(rest, []);
  t.equal(only!.row, 2);
  t.same(inputOf(only), {
    village: 'gulu', villageGroup: '二组', headName: '张德明', idNumber: ID1, phone: '13800138000', householdType: 'registered_poor', dangerGrade: 'D',
    method: 'rebuild', programmeYear: 2019, approvedYuan: '35000.00', acceptedOn: '2019-10-20', postedVillageFrom: '2019-06-01', postedVillageTo: '2019-06-08',
    postedTownFrom: '2019-06-10', postedTownTo: '2019-06-17',
    archive: { application: true, appraisal: true, approval: true, acceptance: true, payment_voucher: true }, proxyReason: '户主外出务工',
    payments: [
      { paidOn: '2019-11-01', amountYuan: '20000.00', payeeName: '张德明', channel: '一卡通' },
      { paidOn: '2020-01-15', amountYuan: '15000.00', payeeName: '张小明', channel: '现金' },
    ],
  });

  const english = [['Village', 'Group', 'Head of household', 'ID number', 'Household type', 'Danger grade', 'Method', 'Year', 'Approved amount', 'Payment date', 'Payment amount', 'Payee'],
    ['Caoping Village', '3', 'Li Hua', ID2, 'Minimum-living-allowance household', 'c', 'Repaired and reinforced', '2020', '12000', '2020-12-01', '12000', 'Li Hua']];
  const en = inputOf((await readAll(csv(english), 'csv'))[0]);
  t.match(en, { village: 'caoping', householdType: 'dibao', dangerGrade: 'C', method: 'repair', payments: [{ amountYuan: '12000.00' }] }, 'English headers and values');
});

t.test('GBK (GB18030) CSV, as Excel on Chinese Windows saves it', async (t) => {
  const bytes = encodeGbk(csvText([REQUIRED_HEADER, requiredRow(ID1, { 户主姓名: '欧阳淑珍', 村: '银花村' })]));
  t.notOk(isValidUtf8(bytes), 'the bytes are not UTF-8');
  const input = inputOf((await readAll(bytes, 'csv'))[0]);
  t.equal(input.headName, '欧阳淑珍');
  t.equal(input.village, 'yinhua');
  t.equal(input.householdType, 'dibao');
});

t.test('tab-separated, quoted fields with commas and line breaks, CRLF, BOM, UTF-16 "Unicode text"', async (t) => {
  const rows = [REQUIRED_HEADER, requiredRow(ID1, { 户主姓名: '张德明' }), requiredRow(ID2, { 核定补助金额: '15,000' })];
  const tsv = Buffer.from('\uFEFF' + csvText(rows, '\t'));
  const read = await readAll(tsv, 'csv');
  t.same(read.map((r) => r.row), [2, 3]);
  t.equal(inputOf(read[1]).approvedYuan, '15000.00', 'a comma inside a tab-separated cell is part of the cell');

  const quoted = csv([[...REQUIRED_HEADER, '代领原因'], [...requiredRow(ID1), '户主住院，\r\n由女儿"代领"']]);
  t.equal(inputOf((await readAll(quoted, 'csv'))[0]).proxyReason, '户主住院，\n由女儿"代领"');

  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csvText(rows, '\t'), 'utf16le')]);
  t.equal(detectKind(utf16, '台账.txt'), 'csv');
  t.same((await readAll(utf16, 'csv')).map((r) => inputOf(r).idNumber), [ID1, ID2]);
});

t.test('full-width digits in ID numbers, amounts, years, dates and phones', async (t) => {
  const fw = (s: string) => s.replace(/[0-9X.\-]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
  const header = [...REQUIRED_HEADER, '联系电话', '竣工验收日期'];
  const input = inputOf((await readAll(csv([header, [...requiredRow(fw(ID1), { 年度: '２０２０', 核定补助金额: '１５０００．５' }), fw('139-0000-1111'), fw('2020-11-05')]]), 'csv'))[0]);
  t.match(input, { idNumber: ID1, programmeYear: 2020, approvedYuan: '15000.50', phone: '13900001111', acceptedOn: '2020-11-05' });
});

t.test('amounts: 万元, 元, ￥, thousands commas, a 万元 header; in CSV text and XLSX numbers', async (t) => {
  const amounts: [string, string][] = [['1.5万元', '15000.00'], ['1.5万', '15000.00'], ['15,000', '15000.00'], ['￥15000元', '15000.00'], ['15000.5', '15000.50'], ['0', '0.00']];
  const rows = amounts.map(([a], i) => requiredRow(idNumber(`5001121960010100${i}`), { 核定补助金额: a }));
  t.same((await readAll(csv([REQUIRED_HEADER, ...rows]), 'csv')).map((r) => inputOf(r).approvedYuan), amounts.map(([, v]) => v));

  const wan = REQUIRED_HEADER.map((h) => (h === '核定补助金额' ? '核定补助金额（万元）' : h));
  const inWan = await readAll(csv([wan, requiredRow(ID1, { 核定补助金额: '1.2' }), requiredRow(ID2, { 核定补助金额: '12000元' })]), 'csv');
  t.same(inWan.map((r) => inputOf(r).approvedYuan), ['12000.00', '12000.00'], 'bare numbers under a 万元 header are 万元; a unit in the cell wins');

  const book = await xlsx([[...wan, '发放日期', '发放金额', '领取人'], [...requiredRow(ID1).slice(0, 6), 2019, 3.5, '2019-12-01', 35000, '张德明']]);
  const x = inputOf((await readAll(book, 'xlsx'))[0]);
  t.equal(x.approvedYuan, '35000.00', 'a number cell under (万元)');
  t.equal(x.payments[0]!.amountYuan, '35000.00');
  t.equal(x.programmeYear, 2019, 'a number cell for the year');
});

t.test('dates: Chinese, ISO, slashes, dots, 8 digits; XLSX date cells, serial numbers and numbers', async (t) => {
  const typed = ['2019年10月20日', '2019-10-20', '2019/10/20', '2019.10.20', '20191020', '2019 年 10 月 20 日'];
  const header = [...REQUIRED_HEADER, '竣工验收日期'];
  const rows = typed.map((d, i) => [...requiredRow(idNumber(`5001121960010100${i}`)), d]);
  t.same((await readAll(csv([header, ...rows]), 'csv')).map((r) => inputOf(r).acceptedOn), typed.map(() => '2019-10-20'));

  const cells = [new Date(Date.UTC(2020, 0, 1)), new Date('2020-01-01T00:00:00+08:00'), 43831, '2020年1月1日'];
  const book = await xlsx([header, ...cells.map((c, i) => [...requiredRow(idNumber(`5001121960010100${i}`)), c])], { dateColumns: [9] });
  t.same((await readAll(book, 'xlsx')).map((r) => inputOf(r).acceptedOn), cells.map(() => '2020-01-01'),
    'date cells at UTC and at Shanghai midnight, a date-formatted serial, text');
  const numbers = [43831, 43831.75, 20200101];
  const plain = await xlsx([header, ...numbers.map((n, i) => [...requiredRow(idNumber(`5001121960010100${i}`)), n])]);
  t.same((await readAll(plain, 'xlsx')).map((r) => inputOf(r).acceptedOn), numbers.map(() => '2020-01-01'),
    'numbers in a date column: an Excel serial (with a time of day), 20200101');
  const mac = await xlsx([header, [...requiredRow(ID1), 42369]], { date1904: true });
  t.equal(inputOf((await readAll(mac, 'xlsx'))[0]).acceptedOn, '2020-01-01', 'a serial in a workbook counting from 1904');
});

t.test('a date that does not exist, and nonsense dates, are problems on their column', async (t) => {
  const header = [...REQUIRED_HEADER, '竣工验收日期', '发放日期', '发放金额', '领取人'];
  const rows = [
    [...requiredRow(ID1), '2023-02-30', '2023-03-01', '15000', '张德明'],
    [...requiredRow(ID2), '2023/13/01', '2023年2月29日', '15000', '张德明'],
    [...requiredRow(ID3), '去年秋天', '2023-03-01', '15000', '张德明'],
  ];
  const read = await readAll(csv([header, ...rows]), 'csv');
  t.same(problemsOf(read[0]), [{ row: 2, column: '竣工验收日期', letter: 'I', field: 'acceptedOn', code: 'errors.households.date' }]);
  t.match(problemsOf(read[1]), [{ field: 'acceptedOn', letter: 'I' }, { row: 3, column: '发放日期', letter: 'J', field: 'payments.0.paidOn', code: 'errors.households.date' }]);
  t.match(problemsOf(read[2]), [{ field: 'acceptedOn', code: 'errors.households.date' }]);
});

t.test('negative, unreadable and absurd amounts', async (t) => {
  const header = [...REQUIRED_HEADER, '发放日期', '发放金额', '领取人'];
  const rows = [
    [...requiredRow(ID1, { 核定补助金额: '-500' }), '2020-01-01', '0', '张德明'],
    [...requiredRow(ID2, { 核定补助金额: '99999999' }), '2020-01-01', '1.2亿', '张德明'],
    [...requiredRow(ID3, { 核定补助金额: '' }), '', '', ''],
  ];
  const read = await readAll(csv([header, ...rows]), 'csv');
  t.match(problemsOf(read[0]), [
    { field: 'approvedYuan', column: '核定补助金额', letter: 'H', code: 'errors.households.amount' },
    { field: 'payments.0.amountYuan', letter: 'J', code: 'errors.households.amountRange' },
  ]);
  t.match(problemsOf(read[1]), [
    { field: 'approvedYuan', code: 'errors.households.amountRange', params: { max: 10_000_000 } },
    { field: 'payments.0.amountYuan', code: 'errors.households.amount' },
  ]);
  t.same(problemsOf(read[2]).map((p) => [p.field, p.code]), [['approvedYuan', 'errors.households.required']], 'an empty payment group is no payment');
});

t.test('ID numbers: a wrong check digit, a wrong length, a birth date that is not one, a number cell', async (t) => {
  const wrong = ID1.slice(0, 17) + (ID1[17] === '1' ? '2' : '1');
  const read = await readAll(csv([REQUIRED_HEADER, requiredRow(wrong), requiredRow(ID1.slice(0, 17)), requiredRow(idNumber('50011219551332003'))]), 'csv');
  t.same(problemsOf(read[0]), [{ row: 2, column: '身份证号', letter: 'C', field: 'idNumber', code: 'errors.households.id.checkDigit' }]);
  t.match(problemsOf(read[1]), [{ field: 'idNumber', code: 'errors.households.id.format' }]);
  t.match(problemsOf(read[2]), [{ field: 'idNumber', code: 'errors.households.id.birthDate' }]);

  const book = await xlsx([REQUIRED_HEADER, [...requiredRow().slice(0, 2), Number(ID1.slice(0, 17) + '0'), ...requiredRow().slice(3)]]);
  t.same(problemsOf((await readAll(book, 'xlsx'))[0]), [{ row: 2, column: '身份证号', letter: 'C', field: 'idNumber', code: 'errors.households.import.idNumberAsNumber' }],
    'Excel keeps 15 digits of a number: never read as an ID, even if the check digit happened to fit');
});

t.test('missing required columns, incomplete payment groups, duplicate and too many columns', async (t) => {
  const without = (names: string[]) => [REQUIRED_HEADER.filter((h) => !names.includes(h)), requiredRow().filter((_, i) => !names.includes(REQUIRED_HEADER[i]!))];
  await t.rejects(readAll(csv(without(['户主姓名', '危房等级'])), 'csv'), { code: 'missingColumns', params: { columns: ['户主姓名', '危房等级'], list: '户主姓名、危房等级' } });
  await t.rejects(readAll(csv([[...REQUIRED_HEADER, '发放金额2'], [...requiredRow(), '100']]), 'csv'), { code: 'missingColumns', params: { columns: ['发放日期2', '领取人2'] } });
  await t.rejects(readAll(csv([[...REQUIRED_HEADER, '身份证号码'], [...requiredRow(), ID2]]), 'csv'), { code: 'duplicateColumn', params: { columns: ['身份证号', '身份证号码'] } });
  await t.rejects(readAll(csv([[...REQUIRED_HEADER, '发放日期7', '发放金额7', '领取人7'], requiredRow()]), 'csv'), { code: 'tooManyPayments', params: { max: 6 } });
  const weak = inputOf((await readAll(csv([[...REQUIRED_HEADER, '姓名'], [...requiredRow(), '别的名字']]), 'csv'))[0]);
  t.equal(weak.headName, '张德明', 'a weak alias (姓名) yields to the strong name (户主姓名)');
  // The same three payment columns twice, as sheets with a merged heading above them have them.
  const twice = await readAll(csv([[...REQUIRED_HEADER, '发放日期', '发放金额', '领取人', '发放日期', '发放金额', '领取人'],
    [...requiredRow(), '2020-01-01', '100', '张德明', '2020-02-01', '200', '张小明']]), 'csv');
  t.same(inputOf(twice[0]).payments.map((p) => p.amountYuan), ['100.00', '200.00']);
});

t.test('formula cells: the cached result when there is one, else the formula as plain text', async (t) => {
  const header = [...REQUIRED_HEADER, '代领原因'];
  const row = ['', { formula: 'HYPERLINK("http://evil.example","点我")' }, ID1, '低保户', { formula: '"C"&"级"', result: 'C级' }, '修缮加固', 2019, { formula: 'A1*2', result: 15000 },
    { formula: 'cmd|\' /C calc\'!A0' }];
  row[0] = { formula: '"古路"&"村"', result: '古路村' };
  const input = inputOf((await readAll(await xlsx([header, row as never]), 'xlsx'))[0]);
  t.equal(input.headName, '=HYPERLINK("http://evil.example","点我")', 'kept as text, never evaluated');
  t.equal(input.proxyReason, "=cmd|' /C calc'!A0");
  t.match(input, { village: 'gulu', dangerGrade: 'C', approvedYuan: '15000.00' }, 'results used');
  const typed = inputOf((await readAll(csv([header, [...requiredRow(), '=1+1']]), 'csv'))[0]);
  t.equal(typed.proxyReason, '=1+1', 'a CSV cell starting with = is text');
  const rich = await xlsx([REQUIRED_HEADER, [{ richText: [{ text: '古路' }, { font: { bold: true }, text: '村' }] }, { text: '张德明', hyperlink: 'http://x.example' }, ...requiredRow().slice(2)]]);
  t.match(inputOf((await readAll(rich, 'xlsx'))[0]), { village: 'gulu', headName: '张德明' }, 'rich text and hyperlink cells');
});

t.test('row numbers and column letters as the spreadsheet shows them', async (t) => {
  const filler = Array.from({ length: 20 }, (_, i) => `备用${i + 1}`);
  const header = ['序号', ...filler, ...REQUIRED_HEADER];
  const book = await xlsx([['古路村危房改造对象户台账'], [], ['填报单位：古路村'], header,
    ['1', ...filler.map(() => ''), ...requiredRow(ID1)], ['2', ...filler.map(() => ''), ...requiredRow(ID2.slice(0, 17) + 'Z')]]);
  const read = await readAll(book, 'xlsx');
  t.same(read.map((r) => r.row), [5, 6], 'title, blank and info rows above the header are skipped, numbering kept');
  t.same(problemsOf(read[1]), [{ row: 6, column: '身份证号', letter: 'X', field: 'idNumber', code: 'errors.households.id.format' }]);
  const wide = await readAll(csv([[...filler, '备注1', '备注2', '备注3', '备注4', '备注5', '备注6', ...REQUIRED_HEADER], [...filler.map(() => ''), '', '', '', '', '', '', ...requiredRow(ID1, { 年度: '2010' })]]), 'csv');
  t.match(problemsOf(wide[0]), [{ field: 'programmeYear', letter: 'AG', column: '年度', code: 'errors.households.year' }]);
});

t.test('the same household twice in one file: village, ID number and year', async (t) => {
  const rows = [
    requiredRow(ID1),
    requiredRow(ID2),
    requiredRow(ID1.toLowerCase().replace(/^5/, '５'), { 村: 'gulu' }),
    requiredRow(ID1, { 年度: '2020' }),
    requiredRow(ID1, { 村: '草坪村' }),
  ];
  const read = await readAll(csv([REQUIRED_HEADER, ...rows]), 'csv');
  t.same(read.map((r) => 'input' in r), [true, true, false, true, true]);
  t.same(problemsOf(read[2]), [{ row: 4, column: '身份证号', letter: 'C', field: 'idNumber', code: 'errors.households.import.duplicateRow', params: { first: 2 } }]);
});

t.test('blank rows, rows with only a sequence number and a totals line are skipped', async (t) => {
  const header = ['序号', ...REQUIRED_HEADER];
  const text = csvText([header, ['1', ...requiredRow(ID1)]]) + '\r\n,,,,,,,,\r\n' + csvText([['2', ...requiredRow(ID2)], ['3'], ['合计', '', '', '', '', '', '', '', '30000'], [' ', '\u3000']]);
  const read = await readAll(Buffer.from(text), 'csv');
  t.same(read.map((r) => [r.row, 'input' in r]), [[2, true], [5, true]]);
  const book = await xlsx([header, ['1', ...requiredRow(ID1)], [], [], ['2', ...requiredRow(ID2)], ['3', '', '']]);
  t.same((await readAll(book, 'xlsx')).map((r) => r.row), [2, 5]);
  const numbered = await xlsx([header, header.map((_, i) => i + 1), ['1', ...requiredRow(ID1)]]);
  t.same((await readAll(numbered, 'xlsx')).map((r) => [r.row, 'input' in r]), [[3, true]], 'a row of column numbers (1 2 3 …) under the header');
  const circled = csv([header, header.map((_, i) => String.fromCharCode(0x2460 + i)), ['1', ...requiredRow(ID1)]]);
  t.same((await readAll(circled, 'csv')).map((r) => r.row), [3], '① ② ③ …');
});

t.test('a two-row header: payment and archive columns under merged headings', async (t) => {
  const top = ['序号', '村', '户主姓名', '身份证号', '农户类型', '危房等级', '改造方式', '年度', '补助标准', '第一次发放', '', '', '第二次发放', '', '', '档案资料', ''];
  const sub = ['', '', '', '', '', '', '', '', '', '日期', '金额', '领取人', '日期', '金额', '领取人', '申请', '鉴定'];
  const data = ['1', ...requiredRow(ID1), '2019-11-01', '10000', '张德明', '2020-01-05', '5000', '张德明', '有', '无'];
  const read = await readAll(await xlsx([top, sub, data]), 'xlsx');
  t.equal(read[0]!.row, 3);
  t.match(inputOf(read[0]), { payments: [{ paidOn: '2019-11-01', amountYuan: '10000.00' }, { paidOn: '2020-01-05', amountYuan: '5000.00' }], archive: { application: true, appraisal: false } });
  const bad = await readAll(await xlsx([top, sub, [...data.slice(0, 13), '五千', ...data.slice(14)]]), 'xlsx');
  t.same(problemsOf(bad[0]).map((p) => [p.column, p.letter, p.field]), [['第二次发放 金额', 'N', 'payments.1.amountYuan']]);
});

t.test('more than maxRows households stops the file; maxRows exactly passes', async (t) => {
  const limits = { ...DEFAULT_IMPORT_LIMITS, maxRows: 5 };
  const rows = (n: number) => Array.from({ length: n }, (_, i) => requiredRow(idNumber(`500112196001010${String(i).padStart(2, '0')}`)));
  t.equal((await readAll(await xlsx([REQUIRED_HEADER, ...rows(5)]), 'xlsx', limits)).length, 5);
  let seen = 0;
  await t.rejects(
    (async () => {
      for await (const _ of readHouseholdRows(await xlsx([REQUIRED_HEADER, ...rows(6)]), 'xlsx', campaign, limits)) seen++;
    })(),
    { code: 'tooManyRows', params: { max: 5 } },
  );
  t.equal(seen, 5, 'stopped at the sixth, having streamed five');
  await t.rejects(readAll(csv([REQUIRED_HEADER, ...rows(6)]), 'csv', limits), { code: 'tooManyRows' });
  const flood = Buffer.from(csvText([REQUIRED_HEADER, ...rows(2)]) + ',,,\r\n'.repeat(1100));
  await t.rejects(readAll(flood, 'csv', limits), { code: 'tooManyRows' }, 'blank rows count too: a million of them cost no more than maxRows');
  const far = Array.from({ length: 300 }, (_, i) => (i === 299 ? '远处的格子' : null));
  const wide = await readAll(await xlsx([REQUIRED_HEADER, [...requiredRow(ID1), ...far.slice(8)], far]), 'xlsx');
  t.same(wide.map((r) => r.row), [2], 'cells past column 256 are not read; a row holding only those is blank');
});

t.test('file-level errors: too large, empty, no header, not a workbook, malformed CSV and XLSX', async (t) => {
  const good = csv([REQUIRED_HEADER, requiredRow()]);
  await t.rejects(readAll(good, 'csv', { maxBytes: good.length - 1, maxRows: 10 }), { code: 'tooLarge' });
  await t.rejects(readAll(Buffer.alloc(0), 'csv'), { code: 'empty' });
  await t.rejects(readAll(Buffer.from('\r\n\r\n'), 'csv'), { code: 'empty' });
  await t.rejects(readAll(csv([REQUIRED_HEADER]), 'csv'), { code: 'empty' }, 'a header and no households');
  await t.rejects(readAll(csv([['姓名', '住址'], ['张三', '一组']]), 'csv'), { code: 'noHeader' });
  const late = [...Array.from({ length: 10 }, (_, i) => [`说明${i}`]), REQUIRED_HEADER, requiredRow()];
  await t.rejects(readAll(csv(late), 'csv'), { code: 'noHeader', params: { rows: 10 } }, 'the header must be within the first ten rows');
  await t.rejects(readAll(zip([{ name: 'word/document.xml', data: deflateRawSync('<w:document/>') }]), 'xlsx'), { code: 'notCsvOrXlsx' });
  await t.rejects(readAll(Buffer.from(csvText([REQUIRED_HEADER]) + '古路村,"张德明,'), 'csv'), { code: 'malformed' }, 'a quote never closed');
  const book = await xlsx([REQUIRED_HEADER, requiredRow()]);
  await t.rejects(readAll(book.subarray(0, book.length - 100), 'xlsx'), { code: 'malformed' }, 'a truncated XLSX');
  const err = await readAll(Buffer.alloc(0), 'csv').catch((e: unknown) => e);
  t.ok(err instanceof ImportFileError);
  t.equal((err as ImportFileError).messageKey, 'errors.households.import.empty');
});

t.test('detectKind: zip magic and the name', async (t) => {
  const book = await xlsx([REQUIRED_HEADER]);
  t.equal(detectKind(book, '台账.xlsx'), 'xlsx');
  t.equal(detectKind(book, '台账.XLSX'), 'xlsx');
  t.equal(detectKind(book, '台账.csv'), null, 'a zip is not a CSV whatever its name');
  t.equal(detectKind(Buffer.from('村,户主姓名'), '台账.csv'), 'csv');
  t.equal(detectKind(encodeGbk('村,户主姓名'), '台账.CSV'), 'csv');
  t.equal(detectKind(Buffer.from('村,户主姓名'), '台账.xlsx'), null, 'text named .xlsx');
  t.equal(detectKind(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), '台账.xls'), null, 'legacy .xls');
  t.equal(detectKind(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0, 0]), '台账.csv'), null);
  t.equal(detectKind(Buffer.from('%PDF-1.7\n\0\0'), 'scan.csv'), null, 'binary named .csv');
  t.equal(detectKind(Buffer.from('村,户主姓名'), '台账.pdf'), null);
});

t.test('the sample files in docs/samples read without a problem and hold the same households', async (t) => {
  const read = async (kind: 'csv' | 'xlsx') => readAll(readFileSync(new URL(`../../docs/samples/households.${kind}`, import.meta.url)), kind);
  const [fromCsv, fromXlsx] = await Promise.all([read('csv'), read('xlsx')]);
  t.equal(fromCsv.length, 8);
  t.same(fromCsv.flatMap(problemsOf), [], 'CSV: no problems');
  t.same(fromXlsx.flatMap(problemsOf), [], 'XLSX: no problems');
  t.same(fromXlsx.map(inputOf), fromCsv.map(inputOf), 'the same eight households');
  t.ok(fromCsv.some((r) => inputOf(r).payments.length === 2), 'several payments');
  t.ok(fromCsv.some((r) => inputOf(r).proxyReason), 'a payment collected by someone else, with its reason');
});

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
