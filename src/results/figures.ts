import { chinaDate } from '../calendar/work-calendar.js';
import { CATEGORIES } from '../reports/schema.js';
import { RESULT_MEASURES, type ResultMeasure, type ResultRow } from './repository.js';
import { suppressSmallCounts, type Cell } from './suppression.js';

type Figures = Record<ResultMeasure, number>;

export interface PublicFigures {
  /** The last day (in China) whose reports are counted. */
  asOf: string;
  total: Figures;
  categories: ({ id: string } & Figures)[];
  /** Reports received per village, small counts suppressed; null: not published (too few). */
  villages: { id: string; cell: Cell }[] | null;
}

/**
 * The figures cover the reports received up to the end of last month (China time), not up to
 * today: a table that changes the day after someone was seen going to the township office tells
 * the village who reported. Published monthly, each change mixes a month of reports.
 */
export function figuresCutoff(now: Date): { before: Date; asOf: string } {
  const month = chinaDate(now).slice(0, 7);
  const before = new Date(`${month}-01T00:00:00+08:00`);
  return { before, asOf: chinaDate(new Date(before.getTime() - 1)) };
}

const zero = (): Figures => ({ received: 0, accepted: 0, concluded: 0, substantiated: 0 });

function add(into: Figures, row: ResultRow) {
  for (const m of RESULT_MEASURES) into[m] += row[m];
}

/** Leads naming no village, "other", or a village no longer listed count under 'other'. */
export function publicFigures(rows: readonly ResultRow[], villageIds: readonly string[], asOf: string): PublicFigures {
  const total = zero();
  const byCategory = new Map<string, Figures>(CATEGORIES.map((c) => [c, zero()]));
  const received = new Map<string, number>([...villageIds, 'other'].map((v) => [v, 0]));
  for (const row of rows) {
    add(total, row);
    add(byCategory.get(row.category)!, row);
    const village = received.has(row.village) && row.village !== '' ? row.village : 'other';
    received.set(village, received.get(village)! + row.received);
  }
  const ids = [...received.keys()];
  const cells = suppressSmallCounts(ids.map((id) => received.get(id)!));
  return {
    asOf,
    total,
    categories: CATEGORIES.map((id) => ({ id, ...byCategory.get(id)! })),
    villages: cells && ids.map((id, i) => ({ id, cell: cells[i]! })),
  };
}
