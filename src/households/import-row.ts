import type { z } from 'zod';
import type { Campaign } from '../campaign.js';
import { columnLabel } from './import-columns.js';
import type { SourceRow } from './import-csv.js';
import type { RowProblem } from './import-file.js';
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

export function buildRaw(source: SourceRow, layout: Layout, ctx: RowContext): BuiltRow {
  ctx.village ??= villageLookup(ctx.campaign);
  const date1904 = ctx.date1904();
  const value = (field: string) => {
    const column = layout.byField.get(field);
    return column ? cellValue(source.cells[column.index], column, date1904) : undefined;
  };
  const raw: BuiltRow['raw'] = { archive: {}, payments: [] };
  for (const column of layout.columns) {
    const [head, key] = column.field.split('.');
    if (head === 'payments') continue;
    if (head === 'archive') raw.archive[key!] = value(column.field)!;
    else raw[column.field] = value(column.field);
  }
  if (typeof raw.village === 'string') raw.village = ctx.village(raw.village) ?? raw.village;

  const paymentSlots: number[] = [];
  for (let i = 0; i < layout.paymentSlots; i++) {
    const parts = PARTS.map((p) => value(`payments.${i}.${p}`) ?? '');
    if (parts.every((p) => p.trim() === '')) continue;
    paymentSlots.push(i);
    raw.payments.push(Object.fromEntries(PARTS.map((p, j) => [p, parts[j]!])));
  }
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
