import type { FiledRow } from '../db/schema.js';

// Each village files its problem list to the center every month by the 20th (the template's
// footnote: 此表每月20日前报送至村建中心). Pure functions: "today" is always passed in.

export const FILING_DAY = 20;

export type FilingState = 'on_time' | 'late' | 'missing' | 'pending';

/** The last day a month's list is on time: 'YYYY-MM-20'. */
export const dueDay = (month: string) => `${month}-${String(FILING_DAY).padStart(2, '0')}`;

/**
 * Filed by the 20th: on time; filed after it: late; not filed and the 20th has passed: missing
 * (late); not filed and still time: pending.
 */
export function filingState(month: string, filedOn: string | null, today: string): FilingState {
  if (filedOn) return filedOn <= dueDay(month) ? 'on_time' : 'late';
  return today > dueDay(month) ? 'missing' : 'pending';
}

const shiftMonth = (month: string, by: number) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + by, 1)).toISOString().slice(0, 7);
};
export const previousMonth = (month: string) => shiftMonth(month, -1);
export const nextMonth = (month: string) => shiftMonth(month, 1);

export interface ListChanges {
  added: number;
  removed: number;
  /** Rows whose progress moved (to done included). */
  progressed: number;
  completed: number;
}

/** What changed between last month's list and this one, row by row (rows keep their id). */
export function diffLists(previous: readonly FiledRow[], current: readonly FiledRow[]): ListChanges {
  const before = new Map(previous.map((r) => [r.id, r]));
  const now = new Set(current.map((r) => r.id));
  let added = 0;
  let progressed = 0;
  let completed = 0;
  for (const row of current) {
    const old = before.get(row.id);
    if (!old) {
      added++;
      continue;
    }
    if (old.progress !== row.progress) {
      progressed++;
      if (row.progress === 'done') completed++;
    }
  }
  return { added, removed: previous.filter((r) => !now.has(r.id)).length, progressed, completed };
}
