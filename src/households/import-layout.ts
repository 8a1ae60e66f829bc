import type { Campaign } from '../campaign/schema.js';
import {
  archiveGroup,
  FIELD_NAMES,
  type HeaderContext,
  type HeaderMatch,
  MAX_PAYMENTS,
  matchHeader,
  PAYMENT_NAMES,
  paymentGroup,
  type PaymentPart,
  REQUIRED_FIELDS,
} from './import-columns.js';
import { ImportFileError } from './import-errors.js';

// Where the header is and what each column holds. The header is the first row (of the first ten
// with anything in them) naming at least three known columns. A second header row is recognised
// when the sheet groups columns under merged headings (第一次发放 → 日期 | 金额 | 领取人, or
// 档案资料 → 申请 | 鉴定): its cells then name the columns, the heading above gives the payment's
// number or says they are archive items.

export const HEADER_SEARCH_ROWS = 10;
export const MIN_HEADER_MATCHES = 3;
/** Columns past this are not read: a register has a few dozen, and a cell at XFD should cost nothing. */
export const MAX_COLUMNS = 256;

export type Cell = string | number | Date | null;

export interface Column {
  /** 0-based position in the row. */
  index: number;
  /** As the spreadsheet names it: A, B, … AA. */
  letter: string;
  /** The header as the file writes it (both rows of a two-row header). */
  header: string;
  /** The schema path: 'village', 'archive.application', 'payments.1.amountYuan'. */
  field: string;
  /** The same, taken apart once for the row loop. */
  target: { kind: 'field'; key: string } | { kind: 'archive'; key: string } | { kind: 'payment'; slot: number; part: PaymentPart };
  /** How a number or date cell in it is read. */
  kind: 'date' | 'amount' | 'text';
  tenThousand: boolean;
}

const DATE_FIELDS = /^(acceptedOn|postedVillageFrom|postedVillageTo|postedTownFrom|postedTownTo|payments\.\d+\.paidOn)$/;
const AMOUNT_FIELDS = /^(approvedYuan|payments\.\d+\.amountYuan)$/;

export interface Layout {
  columns: Column[];
  byField: Map<string, Column>;
  /** Payments the sheet has columns for (the highest number). */
  paymentSlots: number;
}

export function columnLetter(index: number): string {
  let s = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

export const cellText = (cell: Cell | undefined): string =>
  cell === null || cell === undefined ? '' : cell instanceof Date ? cell.toISOString() : String(cell).trim();

interface HeaderCell {
  index: number;
  header: string;
  match: HeaderMatch;
}

/** How many cells of a row name a known column: the header test. */
export function countHeaderMatches(cells: readonly Cell[], campaign: Campaign): number {
  return cells.slice(0, MAX_COLUMNS).reduce<number>((n, c) => n + (cellText(c) && matchHeader(cellText(c), campaign) ? 1 : 0), 0);
}

/**
 * The header cells of a one- or two-row header; `below` is the row under the header, used when it
 * is a second header row. Returns the cells and whether `below` was consumed.
 */
export function headerCells(top: readonly Cell[], below: readonly Cell[] | null, campaign: Campaign): { cells: HeaderCell[]; twoRows: boolean } {
  const single: HeaderCell[] = [];
  top.slice(0, MAX_COLUMNS).forEach((c, index) => {
    const match = cellText(c) ? matchHeader(cellText(c), campaign) : null;
    if (match) single.push({ index, header: cellText(c), match });
  });
  if (!below) return { cells: single, twoRows: false };

  const combined: HeaderCell[] = [];
  let group: { label: string; context: HeaderContext } | null = null;
  let subs = 0;
  const width = Math.min(MAX_COLUMNS, Math.max(top.length, below.length));
  for (let index = 0; index < width; index++) {
    const above = cellText(top[index]);
    const sub = cellText(below[index]);
    const own = above ? matchHeader(above, campaign) : null;
    if (above) {
      const pay = own ? null : paymentGroup(above);
      group = pay ? { label: above, context: { payment: pay.index } } : !own && archiveGroup(above) ? { label: above, context: { archive: true } } : null;
    }
    if (own && !sub) {
      combined.push({ index, header: above, match: own });
      continue;
    }
    if (!sub) continue;
    const match = matchHeader(sub, campaign, group?.context ?? null);
    if (match && !own) {
      subs++;
      combined.push({ index, header: group ? `${group.label} ${sub}` : sub, match });
    } else if (own) {
      combined.push({ index, header: above, match: own });
    }
  }
  return subs >= 2 ? { cells: combined, twoRows: true } : { cells: single, twoRows: false };
}

/** Each header cell to its schema path, or a file-level error (duplicate, missing, too many payments). */
export function resolveLayout(cells: HeaderCell[]): Layout {
  const byField = new Map<string, Column>();
  const strength = new Map<string, boolean>();
  const column = (c: HeaderCell, field: string): Column => {
    const [head, key, part] = field.split('.');
    const target: Column['target'] =
      head === 'payments' ? { kind: 'payment', slot: Number(key), part: part as PaymentPart } : head === 'archive' ? { kind: 'archive', key: key! } : { kind: 'field', key: field };
    const kind = DATE_FIELDS.test(field) ? 'date' : AMOUNT_FIELDS.test(field) ? 'amount' : 'text';
    return { index: c.index, letter: columnLetter(c.index), header: c.header, field, target, kind, tenThousand: c.match.tenThousand };
  };
  const put = (c: HeaderCell, field: string, strong = true) => {
    const other = byField.get(field);
    if (other) {
      if (strength.get(field) && !strong) return;
      if (strength.get(field) === strong) throw new ImportFileError('duplicateColumn', { columns: [other.header, c.header], list: `${other.header}、${c.header}` });
    }
    byField.set(field, column(c, field));
    strength.set(field, strong);
  };
  const tooMany = (index: number) => {
    if (index >= MAX_PAYMENTS) throw new ImportFileError('tooManyPayments', { max: MAX_PAYMENTS });
  };

  const unnumbered: HeaderCell[] = [];
  for (const c of cells) {
    const role = c.match.role;
    if (role.kind === 'field') put(c, role.field, role.strong);
    else if (role.kind === 'archive') put(c, `archive.${role.key}`);
    else if (role.index === null) unnumbered.push(c);
    else {
      tooMany(role.index);
      put(c, `payments.${role.index}.${role.part}`);
    }
  }
  // Unnumbered payment columns are the first payment; repeated (日期 金额 领取人 日期 金额 领取人)
  // they are the next ones, each taking the first payment that lacks that column.
  for (const c of unnumbered) {
    const part = (c.match.role as { part: PaymentPart }).part;
    let index = 0;
    while (byField.has(`payments.${index}.${part}`)) index++;
    tooMany(index);
    put(c, `payments.${index}.${part}`);
  }

  let paymentSlots = 0;
  for (const field of byField.keys()) {
    const m = /^payments\.(\d+)\./.exec(field);
    if (m) paymentSlots = Math.max(paymentSlots, Number(m[1]) + 1);
  }
  const missing = REQUIRED_FIELDS.filter((f) => !byField.has(f)).map((f) => FIELD_NAMES[f].label);
  for (let i = 0; i < paymentSlots; i++) {
    if (![...byField.keys()].some((f) => f.startsWith(`payments.${i}.`))) continue;
    for (const part of ['paidOn', 'amountYuan', 'payeeName'] as const) {
      if (!byField.has(`payments.${i}.${part}`)) missing.push(`${PAYMENT_NAMES[part].label}${i > 0 ? i + 1 : ''}`);
    }
  }
  if (missing.length) throw new ImportFileError('missingColumns', { columns: missing, list: missing.join('、') });
  const columns = [...byField.values()].sort((a, b) => a.index - b.index);
  return { columns, byField, paymentSlots };
}
