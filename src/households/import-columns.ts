import type { Campaign, RegisterListItem } from '../campaign/schema.js';
import { MAX_PAYMENTS } from './schema.js';

// The column names a village's sheet may use, matched leniently: full-width or half-width,
// spaces, asterisks, "(必填)", trailing colons, a unit in brackets, English names in any case.
// Strong names decide a column; weak ones (姓名, 电话, 等级…) only when no strong one is present.

export type ScalarField =
  | 'village' | 'villageGroup' | 'headName' | 'idNumber' | 'phone' | 'householdType' | 'dangerGrade' | 'method'
  | 'programmeYear' | 'approvedYuan' | 'acceptedOn' | 'postedVillageFrom' | 'postedVillageTo' | 'postedTownFrom'
  | 'postedTownTo' | 'proxyReason';
export type PaymentPart = 'paidOn' | 'amountYuan' | 'payeeName' | 'channel';

export type ColumnRole =
  | { kind: 'field'; field: ScalarField; strong: boolean }
  | { kind: 'archive'; key: string }
  /** index: 0-based payment; null when the header carries no number (the first free one). */
  | { kind: 'payment'; part: PaymentPart; index: number | null };

export interface HeaderMatch {
  role: ColumnRole;
  /** The header said the amounts are in 万元: a bare number in this column is ten thousand yuan. */
  tenThousand: boolean;
}

const posted = (level: string[], edge: string[], en: string) => [
  ...level.flatMap((l) => edge.flatMap((e) => [`${l}公示${e}`, `${l}公示${e}日期`, `${l}公示${e}时间`])),
  en.toLowerCase(),
];
const FROM = ['开始', '起', '起始'];
const TO = ['结束', '止', '截止'];

export const FIELD_NAMES: Record<ScalarField, { label: string; strong: string[]; weak?: string[] }> = {
  village: { label: '村', strong: ['村', '村名', '所在村', '行政村', '村别', '村(社区)', '村社区', 'village', 'villagename'] },
  villageGroup: { label: '组', strong: ['组', '村民小组', '社', '组别', '小组', '组(社)', '村民小组(社)', '组社', 'group', 'villagegroup'] },
  headName: { label: '户主姓名', strong: ['户主姓名', '户主', '户主名字', '户主名', 'headname', 'headofhousehold', 'householdhead'], weak: ['姓名', 'name'] },
  idNumber: { label: '身份证号', strong: ['身份证号', '身份证号码', '公民身份号码', '户主身份证号', '户主身份证号码', '身份证', 'idnumber', 'idno', 'id'] },
  phone: { label: '联系电话', strong: ['联系电话', '手机', '手机号', '手机号码', '联系方式', 'phone', 'phonenumber', 'mobile', 'telephone'], weak: ['电话'] },
  householdType: { label: '农户类型', strong: ['农户类型', '户类型', '对象类型', '农户属性', '户别', 'householdtype'], weak: ['类型', 'type'] },
  dangerGrade: { label: '危房等级', strong: ['危房等级', '鉴定等级', '危险等级', '房屋危险等级', 'dangergrade'], weak: ['等级', 'grade'] },
  method: { label: '改造方式', strong: ['改造方式', '整治方式', '改造类型', '整治类型', '改造方法', 'method', 'renovationmethod'] },
  programmeYear: { label: '年度', strong: ['年度', '实施年度', '项目年度', '改造年度', 'programmeyear', 'programyear', 'year'], weak: ['年份'] },
  approvedYuan: {
    label: '核定补助金额',
    strong: ['核定补助金额', '补助金额', '核定金额', '核定补助资金', '补助资金', 'approvedyuan', 'approvedamount', 'subsidy', 'subsidyamount'],
    weak: ['补助标准'],
  },
  acceptedOn: { label: '竣工验收日期', strong: ['竣工验收日期', '验收日期', '竣工验收时间', '验收时间', 'acceptedon', 'acceptancedate'] },
  postedVillageFrom: { label: '村级公示开始', strong: posted(['村级', '村'], FROM, 'postedVillageFrom') },
  postedVillageTo: { label: '村级公示结束', strong: posted(['村级', '村'], TO, 'postedVillageTo') },
  postedTownFrom: { label: '镇级公示开始', strong: posted(['镇级', '镇', '乡镇', '乡镇级'], FROM, 'postedTownFrom') },
  postedTownTo: { label: '镇级公示结束', strong: posted(['镇级', '镇', '乡镇', '乡镇级'], TO, 'postedTownTo') },
  proxyReason: { label: '代领原因', strong: ['代领原因', '代领理由', '代领说明', 'proxyreason'] },
};

/** Payment columns; `short` names count only under a payment group's heading (第二次发放 → 金额). */
export const PAYMENT_NAMES: Record<PaymentPart, { label: string; strong: string[]; short: string[] }> = {
  paidOn: { label: '发放日期', strong: ['发放日期', '发放时间', '拨付日期', '拨付时间', '兑付日期', '兑现日期', '领取日期', 'paidon', 'paymentdate', 'datepaid'], short: ['日期', '时间'] },
  amountYuan: { label: '发放金额', strong: ['发放金额', '拨付金额', '兑付金额', '兑现金额', '实发金额', '发放资金', '领取金额', 'amountyuan', 'paymentamount', 'amountpaid'], short: ['金额', '资金'] },
  payeeName: { label: '领取人', strong: ['领取人', '领取人姓名', '领款人', '收款人', '收款人姓名', 'payeename', 'payee'], short: ['姓名', '签领人'] },
  channel: { label: '发放方式', strong: ['发放方式', '拨付方式', '发放渠道', '领取方式', '支付方式', 'channel', 'paymentchannel'], short: ['方式', '渠道'] },
};

export const REQUIRED_FIELDS: ScalarField[] = ['village', 'headName', 'idNumber', 'householdType', 'dangerGrade', 'method', 'programmeYear', 'approvedYuan'];

const CN_DIGITS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10 };
const NUMBER = '([0-9]+|[一二三四五六七八九十]+)';

/** 2 → 2, 二 → 2, 十二 → 12. */
export function parseOrdinal(s: string): number {
  if (/^[0-9]+$/.test(s)) return Number(s);
  if (s.length === 1) return CN_DIGITS[s]!;
  const [a, b] = [...s];
  return s.startsWith('十') ? 10 + (CN_DIGITS[b!] ?? 0) : (CN_DIGITS[a!] ?? 0) * 10 + (s.length > 2 ? (CN_DIGITS[s.slice(-1)] ?? 0) : 0);
}

const SUFFIXES = [/\((必填|必填项|选填|可选|可不填)\)$/, /\((年月日|年\/月\/日|yyyy-mm-dd|yyyy\/mm\/dd)\)$/, /\((有\/无|是\/否|√\/×)\)$/, /[:]+$/];

/** The header as compared: NFKC (full-width → half-width), no spaces or asterisks, lower case. */
export function normalizeHeader(raw: string): { name: string; tenThousand: boolean } {
  let s = raw
    .normalize('NFKC')
    .replace(/[\s\u200B-\u200D\u2060\uFEFF*]/g, '')
    .replace(/[【[〔]/g, '(')
    .replace(/[】\]〕]/g, ')')
    .toLowerCase();
  let tenThousand = false;
  for (let before = ''; before !== s; ) {
    before = s;
    for (const re of SUFFIXES) s = s.replace(re, '');
    const unit = /(?:\((?:单位:?)?(万元|元)\)|\/(万元|元))$/.exec(s);
    if (unit) {
      tenThousand ||= (unit[1] ?? unit[2]) === '万元';
      s = s.slice(0, unit.index);
    }
  }
  return { name: s, tenThousand };
}

const normalizedItem = (s: string) => normalizeHeader(s).name;

function findByName(items: readonly RegisterListItem[], name: string): RegisterListItem | undefined {
  return items.find((i) => [i.key, i.name['zh-CN'], i.name.en, ...i.aliases].some((n) => normalizedItem(n) === name));
}

function findPayment(name: string, short: boolean): PaymentPart | undefined {
  return (Object.keys(PAYMENT_NAMES) as PaymentPart[]).find((p) => PAYMENT_NAMES[p].strong.includes(name) || (short && PAYMENT_NAMES[p].short.includes(name)));
}

function payment(name: string, index: number | null, short: boolean): ColumnRole | null {
  const part = findPayment(name, short);
  return part ? { kind: 'payment', part, index } : null;
}

/** A payment column with its number: 发放金额2, 发放金额（二）, 第二次发放金额, 2次发放金额, 第2笔金额. */
function numberedPayment(name: string): ColumnRole | null {
  const prefix = new RegExp(`^第?${NUMBER}[次笔](.+)$`).exec(name);
  if (prefix) return payment(prefix[2]!, parseOrdinal(prefix[1]!) - 1, true);
  const suffix = new RegExp(`^(.+?)(?:\\(第?${NUMBER}[次笔]?\\)|第?${NUMBER}[次笔]?)$`).exec(name);
  if (suffix) return payment(suffix[1]!, parseOrdinal(suffix[2] ?? suffix[3]!) - 1, false);
  return payment(name, null, false);
}

function archive(campaign: Campaign, name: string): ColumnRole | null {
  const rest = /^档案(?:资料)?(?:\((.+)\)|[-_:·—.]*(.+))$/.exec(name);
  const item = findByName(campaign.register.archiveItems, rest ? (rest[1] ?? rest[2]!) : name);
  return item ? { kind: 'archive', key: item.key } : null;
}

/** A payment group's heading in a two-row header: 第二次发放, 发放（二）, 2次拨付; null index: unnumbered. */
export function paymentGroup(label: string): { index: number | null } | null {
  const name = normalizeHeader(label).name;
  const before = new RegExp(`^第?${NUMBER}[次笔](?:补助|资金)?(?:发放|拨付|兑付|兑现)?(?:情况|信息)?$`).exec(name);
  if (before) return { index: parseOrdinal(before[1]!) - 1 };
  const after = new RegExp(`^(?:补助资金|资金|补助)?(?:发放|拨付|兑付|兑现)(?:情况|信息)?(?:\\(?第?${NUMBER}[次笔]?\\)?)?$`).exec(name);
  if (after) return { index: after[1] ? parseOrdinal(after[1]) - 1 : null };
  return null;
}

export const archiveGroup = (label: string) => /^档案(资料)?(情况|清单|目录|是否齐全)?$/.test(normalizeHeader(label).name);

export type HeaderContext = { payment: number | null } | { archive: true } | null;

/** What a header cell names, or null for a column the register does not keep (序号, 备注…). */
export function matchHeader(raw: string, campaign: Campaign, context: HeaderContext = null): HeaderMatch | null {
  const { name, tenThousand } = normalizeHeader(raw);
  if (!name) return null;
  const found = (role: ColumnRole | null) => (role ? { role, tenThousand } : null);
  if (context && 'payment' in context) {
    const own = numberedPayment(name);
    if (own?.kind === 'payment' && own.index !== null) return found(own);
    return found(payment(name, context.payment, true));
  }
  if (context && 'archive' in context) return found(archive(campaign, name));
  for (const field of Object.keys(FIELD_NAMES) as ScalarField[]) {
    const spec = FIELD_NAMES[field];
    if (spec.strong.includes(name)) return found({ kind: 'field', field, strong: true });
  }
  const paid = numberedPayment(name);
  if (paid) return found(paid);
  const item = archive(campaign, name);
  if (item) return found(item);
  for (const field of Object.keys(FIELD_NAMES) as ScalarField[]) {
    if (FIELD_NAMES[field].weak?.includes(name)) return found({ kind: 'field', field, strong: false });
  }
  return null;
}

/** The Chinese column name a message shows for a field path: 'payments.1.amountYuan' → 发放金额2. */
export function columnLabel(path: string, campaign: Campaign): string {
  const [head, a, b] = path.split('.');
  if (head === 'payments') return `${PAYMENT_NAMES[b as PaymentPart]?.label ?? ''}${Number(a) > 0 ? Number(a) + 1 : ''}`;
  if (head === 'archive') return `档案-${campaign.register.archiveItems.find((i) => i.key === a)?.name['zh-CN'] ?? a}`;
  return FIELD_NAMES[head as ScalarField]?.label ?? head ?? '';
}

export { MAX_PAYMENTS };
