import { sql, type Kysely } from 'kysely';
import type { Category, Database } from '../db/schema.js';

type Db = Kysely<Database>;

export const RESULT_MEASURES = ['received', 'accepted', 'concluded', 'substantiated'] as const;
export type ResultMeasure = (typeof RESULT_MEASURES)[number];

export interface ResultRow {
  category: Category;
  /** '' when the report names no village. */
  village: string;
  received: number;
  accepted: number;
  concluded: number;
  substantiated: number;
}

/**
 * Reports received before `before`, in their current state, per category and village. Accepted:
 * being verified, investigated, or concluded (a lead is concluded only after investigation);
 * substantiated: concluded as substantiated or partly substantiated. A duplicate merged into a case
 * counts as received; its case counts once in the later figures.
 */
export async function resultRows(db: Db, before: Date): Promise<ResultRow[]> {
  const { rows } = await sql<{ category: Category; village: string; received: string; accepted: string; concluded: string; substantiated: string }>`
    SELECT category, coalesce(village, '') AS village, count(*) AS received,
           count(*) FILTER (WHERE status IN ('verifying', 'investigating', 'concluded')) AS accepted,
           count(*) FILTER (WHERE status = 'concluded') AS concluded,
           count(*) FILTER (WHERE status = 'concluded' AND outcome IN ('substantiated', 'partly')) AS substantiated
      FROM reports
     WHERE received_at < ${before}
     GROUP BY category, coalesce(village, '')`.execute(db);
  return rows.map((r) => ({
    category: r.category,
    village: r.village,
    received: Number(r.received),
    accepted: Number(r.accepted),
    concluded: Number(r.concluded),
    substantiated: Number(r.substantiated),
  }));
}
