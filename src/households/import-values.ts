import type { Campaign } from '../campaign/schema.js';
import { toHalfWidth } from '../lib/text.js';
import type { Cell, Column } from './import-layout.js';

// A cell, as the sheet holds it, to the text the household schema reads. Dates and numbers need
// the column: a number in a date column is an Excel serial date (or 20230512 typed as a number),
// in an amount column under a "(万元)" header it is ten thousand yuan.

const DAY_MS = 86_400_000;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000; // UTC+8 all year since 1991

/**
 * The XLSX reader gives a date cell as a Date; the day is taken in Asia/Shanghai. A cell holding a
 * date-time of 16:00 or later (Excel's clock time is read as UTC, as exceljs did) is read as the next day:
 * register dates are days, and the sheets seen carry no time.
 */
export function shanghaiDate(d: Date): string {
  const t = d.getTime();
  return Number.isNaN(t) ? '' : new Date(t + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** An Excel serial day number (1900 system, or 1904) from 2000 to 2100, else null. */
export function excelSerialDate(n: number, date1904 = false): string | null {
  const day = Math.floor(n);
  if (date1904 ? day < 35064 || day > 71588 : day < 36526 || day > 73050) return null;
  // 1900 system: day 1 is 1900-01-01 and Excel counts a 29 February 1900 that never was, so from
  // day 61 on, day 0 falls on 1899-12-30.
  const epoch = date1904 ? Date.UTC(1904, 0, 1) : Date.UTC(1899, 11, 30);
  return new Date(epoch + day * DAY_MS).toISOString().slice(0, 10);
}

const plainNumber = (n: number) => (Number.isInteger(n) ? String(n) : String(Math.round(n * 1e6) / 1e6));

export function cellValue(cell: Cell | undefined, column: Column, date1904: boolean): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string' && column.kind !== 'amount') return cell;
  if (column.kind === 'date') {
    if (cell instanceof Date) return shanghaiDate(cell);
    if (typeof cell === 'number') return (Number.isInteger(cell) && cell >= 20000101 && cell <= 21001231 ? String(cell) : excelSerialDate(cell, date1904)) ?? plainNumber(cell);
    return cell;
  }
  if (column.kind === 'amount' && column.tenThousand) {
    const text = typeof cell === 'number' ? plainNumber(cell) : cell instanceof Date ? '' : cell;
    return /^[\d.,，\s]+$/.test(toHalfWidth(text).trim()) ? `${text.trim()}万元` : text;
  }
  if (cell instanceof Date) return shanghaiDate(cell);
  return typeof cell === 'number' ? plainNumber(cell) : cell;
}

/** A village cell: its id, or its name in either language, with or without 村 / Village. */
export function villageLookup(campaign: Campaign): (cell: string) => string | null {
  const norm = (s: string) => toHalfWidth(s).normalize('NFKC').replace(/\s+/g, '').toLowerCase();
  const bare = (s: string) => norm(s).replace(/(村民委员会|村委会|村|village)$/, '');
  const ids = new Map<string, string>();
  for (const v of campaign.villages) {
    for (const name of [v.id, v.name['zh-CN'], v.name.en]) {
      ids.set(norm(name), v.id);
      if (bare(name)) ids.set(bare(name), v.id);
    }
  }
  // A village's cells repeat down the sheet: remember what each spelling gave (a few hundred at most).
  const seen = new Map<string, string | null>();
  return (cell) => {
    let id = seen.get(cell);
    if (id === undefined) {
      id = ids.get(norm(cell)) ?? ids.get(bare(cell)) ?? null;
      if (seen.size < 1000) seen.set(cell, id);
    }
    return id;
  };
}
