import type { Campaign, Locale } from '../campaign/schema.js';
import { toCsv } from '../lib/csv.js';
import type { Category, FiledRow } from '../db/schema.js';
import type { Translate } from '../i18n/index.js';
import { CATEGORIES } from '../reports/schema.js';

// The problem list in the layout of the seed's attachment (附件: 问题清单): the title; a line with
// 填报单位 and 填报时间; six columns 序号 · 问题类别 · 自查问题 · 整改措施 · 整改进度 · 完成时限, with
// the four categories always present, numbered 1–4, and each category's problems numbered 1., 2.…;
// the three signature lines; the footnote about filing by the 20th. The print page, the XLSX and
// the CSV are all drawn from this one model.

export interface SheetItem {
  number: string; // '1.'
  problem: string;
  measures: string;
  progress: string;
  deadline: string;
}

export interface SheetGroup {
  number: number;
  category: Category;
  name: string;
  /** Never empty: a category without problems keeps one blank line, as on the template. */
  items: SheetItem[];
}

export interface Sheet {
  title: string;
  unitLabel: string;
  unit: string;
  dateLabel: string;
  date: string;
  headers: string[];
  groups: SheetGroup[];
  signatures: { label: string; name: string }[];
  footnote: string;
}

const dayFormats: Record<Locale, Intl.DateTimeFormat> = {
  'zh-CN': new Intl.DateTimeFormat('zh-CN', { dateStyle: 'long', timeZone: 'UTC' }),
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }),
};
export const formatDay = (iso: string, locale: Locale) => dayFormats[locale].format(new Date(`${iso}T00:00:00Z`));

export function buildSheet(opts: {
  campaign: Campaign;
  locale: Locale;
  t: Translate;
  village: string;
  rows: readonly FiledRow[];
  /** 'YYYY-MM-DD': the filing's date, or today for the list as it stands. */
  date: string;
  signers: { secretary: string; residentLeader: string; clerkName: string } | null;
}): Sheet {
  const { campaign, locale, t } = opts;
  const village = campaign.villages.find((v) => v.id === opts.village);
  const blank: SheetItem = { number: '', problem: '', measures: '', progress: '', deadline: '' };
  return {
    title: t('staff.problems.sheet.title', { town: campaign.town?.[locale] ?? '', campaign: campaign.name[locale] }),
    unitLabel: t('staff.problems.sheet.unit'),
    unit: village ? village.name[locale] : opts.village,
    dateLabel: t('staff.problems.sheet.date'),
    date: formatDay(opts.date, locale),
    headers: ['no', 'category', 'problem', 'measures', 'progress', 'deadline'].map((h) => t(`staff.problems.sheet.columns.${h}`)),
    groups: CATEGORIES.map((category, i) => {
      const items = opts.rows
        .filter((r) => r.category === category)
        .map((r, j) => ({
          number: `${j + 1}.`,
          problem: r.problem,
          measures: r.measures,
          progress: r.progressNote ? `${t(`staff.problems.progress.${r.progress}`)}: ${r.progressNote}` : t(`staff.problems.progress.${r.progress}`),
          deadline: formatDay(r.deadline, locale),
        }));
      return { number: i + 1, category, name: t(`category.${category}.name`), items: items.length ? items : [blank] };
    }),
    signatures: [
      { label: t('staff.problems.sheet.secretary'), name: opts.signers?.secretary ?? '' },
      { label: t('staff.problems.sheet.residentLeader'), name: opts.signers?.residentLeader ?? '' },
      { label: t('staff.problems.sheet.clerk'), name: opts.signers?.clerkName ?? '' },
    ],
    footnote: t('staff.problems.sheet.footnote'),
  };
}

const csvLines = (sheet: Sheet) =>
  sheet.groups.flatMap((g) =>
    g.items.map((item) => [String(g.number), g.name, `${item.number} ${item.problem}`.trim(), item.measures, item.progress, item.deadline]),
  );

/** One line per problem under the six headers; CSV cannot merge, so each line repeats its category. */
export function sheetToCsv(sheet: Sheet): string {
  return toCsv([sheet.headers, ...csvLines(sheet)]);
}

/** Every village's list in one file: the same lines, each led by its unit (填报单位). */
export function sheetsToCsv(sheets: readonly Sheet[]): string {
  if (sheets.length === 1) return sheetToCsv(sheets[0]!);
  const header = [sheets[0]?.unitLabel.replace(/[:：]\s*$/, '') ?? '', ...(sheets[0]?.headers ?? [])];
  const lines = sheets.flatMap((sheet) => csvLines(sheet).map((line) => [sheet.unit, ...line]));
  return toCsv([header, ...lines]);
}

export const XLSX_LAYOUT = { titleRow: 1, infoRow: 2, headerRow: 3, firstDataRow: 4 } as const;

/** The sheet as an XLSX workbook: A4 landscape, the merged cells of the template. */
export function sheetToXlsx(sheet: Sheet): Promise<Buffer> {
  return sheetsToXlsx([sheet]);
}

/** Several villages' lists as one workbook, one worksheet each. */
export async function sheetsToXlsx(sheets: readonly Sheet[]): Promise<Buffer> {
  // Loaded with the first export: it adds ~28 MB to every instance that never makes one.
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  sheets.forEach((sheet, i) => addWorksheet(wb, sheet, i));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

type Workbook = import('exceljs').Workbook;

function addWorksheet(wb: Workbook, sheet: Sheet, index: number) {
  const ws = wb.addWorksheet(sheet.unit.slice(0, 31) || `Sheet${index + 1}`, {
    pageSetup: { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 },
  });
  ws.columns = [{ width: 6 }, { width: 18 }, { width: 40 }, { width: 40 }, { width: 24 }, { width: 16 }];
  const thin = { style: 'thin' as const };
  const border = { top: thin, left: thin, bottom: thin, right: thin };
  const wrap = { wrapText: true, vertical: 'middle' as const };

  ws.mergeCells(XLSX_LAYOUT.titleRow, 1, XLSX_LAYOUT.titleRow, 6);
  const title = ws.getCell(XLSX_LAYOUT.titleRow, 1);
  title.value = sheet.title;
  title.font = { bold: true, size: 16 };
  title.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  ws.getRow(XLSX_LAYOUT.titleRow).height = 40;

  ws.mergeCells(XLSX_LAYOUT.infoRow, 1, XLSX_LAYOUT.infoRow, 3);
  ws.getCell(XLSX_LAYOUT.infoRow, 1).value = `${sheet.unitLabel}${sheet.unit}`;
  ws.mergeCells(XLSX_LAYOUT.infoRow, 4, XLSX_LAYOUT.infoRow, 6);
  ws.getCell(XLSX_LAYOUT.infoRow, 4).value = `${sheet.dateLabel}${sheet.date}`;

  const header = ws.getRow(XLSX_LAYOUT.headerRow);
  sheet.headers.forEach((h, i) => {
    const cell = header.getCell(i + 1);
    cell.value = h;
    cell.font = { bold: true };
    cell.alignment = { horizontal: 'center', vertical: 'middle' };
    cell.border = border;
  });

  let r: number = XLSX_LAYOUT.firstDataRow;
  for (const g of sheet.groups) {
    const first = r;
    for (const item of g.items) {
      const row = ws.getRow(r);
      row.values = [first === r ? g.number : null, first === r ? g.name : null, `${item.number} ${item.problem}`.trim(), item.measures, item.progress, item.deadline];
      for (let c = 1; c <= 6; c++) {
        row.getCell(c).border = border;
        row.getCell(c).alignment = c <= 2 ? { ...wrap, horizontal: 'center' } : wrap;
      }
      r++;
    }
    // 序号 and 问题类别 span the category's lines, as on the template.
    if (r - 1 > first) {
      ws.mergeCells(first, 1, r - 1, 1);
      ws.mergeCells(first, 2, r - 1, 2);
    }
  }

  r++;
  const signs = ws.getRow(r);
  sheet.signatures.forEach((s, i) => {
    ws.mergeCells(r, i * 2 + 1, r, i * 2 + 2);
    signs.getCell(i * 2 + 1).value = `${s.label}${s.name}`;
  });
  r += 2;
  ws.mergeCells(r, 1, r, 6);
  ws.getCell(r, 1).value = sheet.footnote;
}
