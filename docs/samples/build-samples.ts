// Writes households.csv and households.xlsx beside this file: one village's register (古路村, eight
// households, 2017–2023) in the layouts villages send, as a model for imports and for the tests.
// The two files hold the same households written differently — the CSV as text typed by hand
// (Chinese dates, 万元, full-width digits), the XLSX as Excel keeps it (date cells, numbers, a
// 万元 column, ✓/× for the archive). Run: npx tsx docs/samples/build-samples.ts
// The ID numbers are made up (valid check digits, nobody's number on purpose).
import { writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { checkCharacter } from '../../src/households/id-number.js';

const id = (first17: string) => first17 + checkCharacter(first17);
const fullWidth = (s: string) => s.replace(/[0-9.]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

interface Payment { on: string; yuan: number; payee: string; channel: string }
interface Household {
  group: string; name: string; id: string; phone: string; type: string; grade: string; method: string; year: number;
  wan: number; accepted: string; village: [string, string]; town: [string, string]; payments: Payment[];
  proxy: string; archive: boolean[];
}

const H: Household[] = [
  { group: '一组', name: '张德明', id: id('50011219550312003'), phone: '13896541207', type: '建档立卡贫困户', grade: 'D级', method: '拆除重建', year: 2017, wan: 3.5,
    accepted: '2017-11-20', village: ['2017-06-01', '2017-06-08'], town: ['2017-06-12', '2017-06-19'],
    payments: [{ on: '2017-12-05', yuan: 21000, payee: '张德明', channel: '一卡通' }, { on: '2018-01-10', yuan: 14000, payee: '张德明', channel: '一卡通' }], proxy: '', archive: [true, true, true, true, true] },
  { group: '一组', name: '李秀英', id: id('50011219620708004'), phone: '023-67166230', type: '低保户', grade: 'C级', method: '修缮加固', year: 2018, wan: 1.5,
    accepted: '2018-09-15', village: ['2018-05-02', '2018-05-09'], town: ['2018-05-14', '2018-05-21'],
    payments: [{ on: '2018-10-08', yuan: 15000, payee: '李秀英', channel: '一卡通' }], proxy: '', archive: [true, true, true, true, true] },
  { group: '二组', name: '王长贵', id: id('50011219481120005'), phone: '', type: '分散供养特困人员', grade: 'D级', method: '拆除重建', year: 2018, wan: 4,
    accepted: '2018-12-01', village: ['2018-05-02', '2018-05-09'], town: ['2018-05-14', '2018-05-21'],
    payments: [{ on: '2018-12-20', yuan: 20000, payee: '王小军', channel: '一卡通' }, { on: '2019-03-15', yuan: 20000, payee: '王小军', channel: '一卡通' }],
    proxy: '户主年老行动不便，由儿子代领', archive: [true, true, true, true, true] },
  { group: '二组', name: '陈玉兰', id: id('50011219700215006'), phone: '15923318864', type: '贫困残疾人家庭', grade: 'C级', method: '修缮加固', year: 2019, wan: 1.2,
    accepted: '2019-10-20', village: ['2019-04-08', '2019-04-15'], town: ['2019-04-18', '2019-04-25'],
    payments: [{ on: '2019-11-06', yuan: 12000, payee: '陈玉兰', channel: '一卡通' }], proxy: '', archive: [true, true, true, true, false] },
  { group: '三组', name: '刘国华', id: id('50011219660930007'), phone: '13708352219', type: '边缘易致贫户', grade: 'C级', method: '修缮加固', year: 2020, wan: 0.8,
    accepted: '2020-10-30', village: ['2020-05-11', '2020-05-18'], town: ['2020-05-20', '2020-05-27'],
    payments: [{ on: '2020-11-20', yuan: 8000, payee: '刘国华', channel: '一卡通' }], proxy: '', archive: [true, true, true, true, true] },
  { group: '三组', name: '赵桂芳', id: id('50011219581104008'), phone: '', type: '低保户', grade: 'D级', method: '拆除重建', year: 2021, wan: 3.5,
    accepted: '2021-11-25', village: ['2021-04-06', '2021-04-13'], town: ['2021-04-15', '2021-04-22'],
    payments: [{ on: '2021-12-10', yuan: 20000, payee: '赵桂芳', channel: '一卡通' }, { on: '2022-02-18', yuan: 15000, payee: '赵桂芳', channel: '一卡通' }], proxy: '', archive: [true, true, true, true, true] },
  { group: '四组', name: '周明远', id: id('50011219750621009'), phone: '18223476051', type: '建档立卡贫困户', grade: 'C级', method: '置换', year: 2022, wan: 2,
    accepted: '2022-09-28', village: ['2022-03-07', '2022-03-14'], town: ['2022-03-16', '2022-03-23'],
    payments: [{ on: '2022-10-17', yuan: 20000, payee: '周明远', channel: '转账' }], proxy: '', archive: [true, true, true, true, true] },
  { group: '四组', name: '吴淑珍', id: id('50011219530817010'), phone: '13594026638', type: '其他', grade: 'C级', method: '修缮加固', year: 2023, wan: 0.6,
    accepted: '2023-09-12', village: ['2023-04-10', '2023-04-17'], town: ['2023-04-19', '2023-04-26'],
    payments: [{ on: '2023-10-09', yuan: 6000, payee: '吴淑珍', channel: '一卡通' }], proxy: '', archive: [true, true, false, true, true] },
];

const ARCHIVE = ['申请', '鉴定', '审批', '验收', '拨付凭证'];
const chinese = (iso: string) => { const [y, m, d] = iso.split('-').map(Number); return `${y}年${m}月${d}日`; };
const utcDate = (iso: string) => new Date(`${iso}T00:00:00Z`);

// The CSV: UTF-8 with a BOM (what Excel needs to open it right), typed the way clerks type.
const csvHeader = ['序号', '村', '组', '户主姓名', '身份证号', '联系电话', '农户类型', '危房等级', '改造方式', '年度', '核定补助金额', '竣工验收日期',
  '村级公示开始', '村级公示结束', '镇级公示开始', '镇级公示结束', '发放日期', '发放金额', '领取人', '发放方式', '发放日期2', '发放金额2', '领取人2', '发放方式2',
  '代领原因', ...ARCHIVE.map((a) => `档案-${a}`), '备注'];
const csvRows = H.map((h, i) => {
  const pay = [0, 1].flatMap((k) => { const p = h.payments[k]; return p ? [k ? p.on.replace(/-/g, '/') : chinese(p.on), p.yuan.toLocaleString('en'), p.payee, p.channel] : ['', '', '', '']; });
  return [String(i + 1), '古路村', h.group, h.name, i === 3 ? fullWidth(h.id) : h.id, h.phone,
    h.type, h.grade, h.method, i % 2 ? fullWidth(String(h.year)) : `${h.year}年`, i % 2 ? `${h.wan * 10000}元` : `${fullWidth(String(h.wan))}万元`,
    chinese(h.accepted), h.village[0], h.village[1], chinese(h.town[0]), chinese(h.town[1]), ...pay, h.proxy, ...h.archive.map((a) => (a ? '有' : '无')), ''];
});
const quote = (c: string) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
const csv = '\uFEFF' + [csvHeader, ...csvRows].map((r) => r.map(quote).join(',')).join('\r\n') + '\r\n';
writeFileSync(new URL('households.csv', import.meta.url), csv);

// The XLSX: a title line, then the header; dates as date cells, amounts as numbers.
const wb = new ExcelJS.Workbook();
const ws = wb.addWorksheet('古路村');
ws.addRow(['古路镇古路村农村危房改造对象户台账（2017年以来）']);
ws.mergeCells(1, 1, 1, 12);
const header = ['序号', '村名', '村民小组', '户主姓名', '身份证号码', '联系电话', '农户类型', '危房等级', '改造方式', '实施年度', '核定补助金额（万元）', '竣工验收日期',
  '村公示起', '村公示止', '镇公示起', '镇公示止', '第一次发放日期', '第一次发放金额', '第一次领取人', '第一次发放方式', '第二次发放日期', '第二次发放金额', '第二次领取人', '第二次发放方式',
  '代领原因', ...ARCHIVE.map((a) => `档案资料（${a}）`)];
ws.addRow(header).font = { bold: true };
H.forEach((h, i) => {
  const pay = [0, 1].flatMap((k) => { const p = h.payments[k]; return p ? [utcDate(p.on), p.yuan, p.payee, p.channel] : [null, null, null, null]; });
  ws.addRow([i + 1, '古路村', h.group, h.name, h.id, h.phone || null, h.type, h.grade, h.method, h.year, h.wan, utcDate(h.accepted),
    ...[...h.village, ...h.town].map(utcDate), ...pay, h.proxy || null, ...h.archive.map((a) => (a ? '√' : '×'))]);
});
for (const c of [12, 13, 14, 15, 16, 17, 21]) ws.getColumn(c).numFmt = 'yyyy"年"m"月"d"日"';
ws.getColumn(5).numFmt = '@';
ws.columns.forEach((col) => { col.width = 12; });
ws.getColumn(5).width = 21;
writeFileSync(new URL('households.xlsx', import.meta.url), Buffer.from(await wb.xlsx.writeBuffer()));
