import type { Campaign, Locale } from '../campaign/schema.js';
import type { HouseholdFlagKind } from '../db/schema-households.js';
import type { Translate } from '../i18n/index.js';

// The register's exports: one table, drawn for the masked CSV and XLSX and for the admins' unmasked
// XLSX alike. Which ID number a row carries (masked or full) is the caller's decision.

export interface ExportRow {
  village: string;
  village_group: string;
  head_name: string;
  household_type: string;
  danger_grade: string;
  method: string;
  programme_year: number;
  approved_yuan: string;
  flags: HouseholdFlagKind[] | null;
}

const COLUMNS = ['village', 'villageGroup', 'headName', 'idNumber', 'householdType', 'dangerGrade', 'method', 'programmeYear', 'approvedYuan'] as const;
type Cell = string | number;

export function registerTable<R extends ExportRow>(
  rows: readonly R[],
  idOf: (row: R) => string,
  view: { campaign: Campaign; locale: Locale; t: Translate },
): Cell[][] {
  const { campaign, locale, t } = view;
  const name = (items: Campaign['register']['methods'], key: string) => items.find((i) => i.key === key)?.name[locale] ?? key;
  const villageName = (id: string) => campaign.villages.find((v) => v.id === id)?.name[locale] ?? id;
  return [
    [...COLUMNS.map((f) => t(`households.fields.${f}`)), t('households.flagsTitle')],
    ...rows.map((r) => [
      villageName(r.village), r.village_group, r.head_name, idOf(r),
      name(campaign.register.householdTypes, r.household_type), r.danger_grade,
      name(campaign.register.methods, r.method), r.programme_year, Number(r.approved_yuan),
      (r.flags ?? []).map((k) => t(`households.flags.${k}.label`)).join(locale === 'zh-CN' ? '、' : '; '),
    ]),
  ];
}

/**
 * The table as a workbook: every text cell a plain string (never a formula, whatever it starts
 * with) and the ID column typed as text, so a spreadsheet keeps all 18 digits of a full ID number
 * instead of rounding it to a float.
 */
export async function registerXlsx(table: Cell[][]): Promise<Buffer> {
  // Loaded with the first export, as for the problem list (src/problems/sheet.ts).
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('households');
  ws.columns = [{ width: 12 }, { width: 8 }, { width: 12 }, { width: 22, style: { numFmt: '@' } }, { width: 16 }, { width: 6 }, { width: 12 }, { width: 8 }, { width: 12 }, { width: 30 }];
  for (const line of table) ws.addRow(line);
  ws.getRow(1).font = { bold: true };
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  return Buffer.from(await wb.xlsx.writeBuffer());
}
