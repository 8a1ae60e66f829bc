import type { z } from 'zod';
import type { Campaign } from '../campaign/schema.js';
import { columnLabel } from './import-columns.js';
import type { SourceRow } from './import-csv.js';
import type { RowProblem } from './import-errors.js';
import type { Layout } from './import-layout.js';
import { cellValue, villageLookup } from './import-values.js';
import type { HouseholdSchema } from './schema.js';

// One sheet row → the raw record the household schema validates, and the schema's issues back to
// the columns they came from (payments.1.amountYuan → the second payment's amount column).

export interface RowContext {
  campaign: Campaign;
  schema: HouseholdSchema;
  date1904: () => boolean;
  village?: (cell: string) => string | null;
}

export interface BuiltRow {
  raw: Record<string, unknown> & { archive: Record<string, string>; payments: Record<string, string>[] };
  /** payments[k] of the raw record is payment number paymentSlots[k] (0-based) of the sheet. */
  paymentSlots: number[];
  /** The ID number cell holds a number: Excel keeps 15 digits, so its last ones are already lost. */
  numericId: boolean;
}

const PARTS = ['paidOn', 'amountYuan', 'payeeName', 'channel'] as const;

/** The raw record of one row, or null when none of the register's columns holds anything. */
export function buildRaw(source: SourceRow, layout: Layout, ctx: RowContext): BuiltRow | null {
  ctx.village ??= villageLookup(ctx.campaign);
  const date1904 = ctx.date1904();
  const raw: BuiltRow['raw'] = { archive: {}, payments: [] };
  const slots: (Record<string, string> | undefined)[] = [];
  let blank = true;
  for (const column of layout.columns) {
    const value = cellValue(source.cells[column.index], column, date1904);
    const filled = value.trim() !== '';
    blank &&= !filled;
    const target = column.target;
    if (target.kind === 'field') raw[target.key] = value;
    else if (target.kind === 'archive') raw.archive[target.key] = value;
    else if (filled || slots[target.slot]) (slots[target.slot] ??= { paidOn: '', amountYuan: '', payeeName: '', channel: '' })[target.part] = value;
  }
  if (blank) return null;
  if (typeof raw.village === 'string') raw.village = ctx.village(raw.village) ?? raw.village;

  // A payment counts when any of its cells holds something; its missing cells are empty.
  const paymentSlots: number[] = [];
  slots.forEach((payment, slot) => {
    if (!payment || PARTS.every((p) => payment[p]!.trim() === '')) return;
    paymentSlots.push(slot);
    raw.payments.push(payment);
  });
  const idColumn = layout.byField.get('idNumber');
  const numericId = idColumn !== undefined && typeof source.cells[idColumn.index] === 'number';
  return { raw, paymentSlots, numericId };
}

export function toProblems(issues: readonly z.core.$ZodIssue[], row: number, layout: Layout, built: BuiltRow, campaign: Campaign): RowProblem[] {
  return issues.map((issue) => {
    const [head, a, b] = issue.path;
    let field = String(head ?? '');
    if (head === 'payments' && typeof a === 'number') field = `payments.${built.paymentSlots[a] ?? a}${b === undefined ? '' : `.${String(b)}`}`;
    else if (head === 'archive' && a !== undefined) field = `archive.${String(a)}`;
    const column = layout.byField.get(field);
    const params = (issue as { params?: Record<string, unknown> }).params;
    return {
      row,
      column: column?.header ?? columnLabel(field, campaign),
      letter: column?.letter ?? '',
      field,
      code: issue.message,
      ...(params ? { params } : {}),
    };
  });
}
