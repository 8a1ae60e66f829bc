import type { Campaign, Locale } from '../campaign/schema.js';
import type { Translate } from '../i18n/index.js';
import type { RecheckField } from './schema.js';

// What the register says for each field a re-check compares, in words: the draw's page, the
// printed A4 sheet the checker takes to the household, and the XLSX all show it from here.

export interface RegisterView {
  household_type: string;
  danger_grade: string;
  method: string;
  approved_yuan: string;
  accepted_on: string | null;
  posted_village_from: string | null;
  posted_village_to: string | null;
  posted_town_from: string | null;
  posted_town_to: string | null;
  archive: Record<string, boolean>;
  proxy_reason: string | null;
}

export interface PaymentView {
  paid_on: string;
  amount_yuan: string;
  payee_name: string;
}

const listName = (items: Campaign['register']['methods'], key: string, locale: Locale) => items.find((i) => i.key === key)?.name[locale] ?? key;
const range = (from: string | null, to: string | null) => (from ? `${from} – ${to ?? ''}`.trim() : '—');

export function registerValues(h: RegisterView, payments: readonly PaymentView[], campaign: Campaign, locale: Locale, t: Translate): Record<RecheckField, string> {
  const sep = locale === 'zh-CN' ? '；' : '; ';
  const listSep = locale === 'zh-CN' ? '、' : ', ';
  const missing = campaign.register.archiveItems.filter((i) => h.archive[i.key] !== true).map((i) => i.name[locale]);
  const payees = [...new Set(payments.map((p) => p.payee_name))].join(listSep);
  return {
    householdType: listName(campaign.register.householdTypes, h.household_type, locale),
    dangerGrade: t('rechecks.grade', { grade: h.danger_grade }),
    method: listName(campaign.register.methods, h.method, locale),
    approvedYuan: h.approved_yuan,
    payments: payments.length ? payments.map((p) => `${p.paid_on} ${p.amount_yuan}`).join(sep) : '—',
    payeeName: payees ? (h.proxy_reason ? `${payees}（${h.proxy_reason}）` : payees) : '—',
    acceptedOn: h.accepted_on ?? '—',
    posting: `${t('households.levels.village')} ${range(h.posted_village_from, h.posted_village_to)}${sep}${t('households.levels.town')} ${range(h.posted_town_from, h.posted_town_to)}`,
    archive: missing.length ? t('rechecks.archiveMissing', { items: missing.join(listSep) }) : t('rechecks.archiveComplete'),
  };
}

/** A recorded field's result in words: matches, differs, or not checked. */
export const resultWord = (t: Translate, fields: Record<string, boolean> | null, field: RecheckField) =>
  fields && field in fields ? t(fields[field] ? 'rechecks.result.match' : 'rechecks.result.differ') : t('rechecks.result.unchecked');

export interface XlsxDraw {
  info: [string, string][];
  header: string[];
  rows: string[][];
}

/** A draw and its results as a workbook: the items on the first sheet, how it was drawn on the second. */
export async function drawToXlsx(d: XlsxDraw, names: { items: string; info: string }): Promise<Buffer> {
  // Loaded with the first export, as the problem list's: exceljs is large.
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(names.items.slice(0, 31), { pageSetup: { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 } });
  // Every cell a string: a name such as "=HYPERLINK(…)" stays text, never a formula.
  ws.addRow(d.header).font = { bold: true };
  for (const row of d.rows) ws.addRow(row.map(String));
  ws.columns.forEach((c) => (c.width = 14));
  const info = wb.addWorksheet(names.info.slice(0, 31));
  for (const [label, value] of d.info) info.addRow([label, String(value)]);
  info.getColumn(1).width = 18;
  info.getColumn(2).width = 70;
  return Buffer.from(await wb.xlsx.writeBuffer());
}

