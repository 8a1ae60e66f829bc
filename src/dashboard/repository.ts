import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

// The dashboard's own counts. A merged duplicate is left out (merged_into_id IS NULL), as the
// queue filters; counts.ts shapes the rows for the page.

type Db = Kysely<Database>;

export interface DimensionCountRow {
  /** GROUPING(category, village, channel, month): a 1 bit for each column a row is not grouped by. */
  g: number;
  category: string;
  /** '' is "not given". */
  village: string;
  channel: string;
  /** YYYY-MM, in China. */
  month: string;
  n: string;
}

/** One scan for every lead dimension: (category, village), category, channel, month. */
export async function countLeadDimensions(db: Db): Promise<DimensionCountRow[]> {
  const { rows } = await sql<DimensionCountRow>`
    SELECT GROUPING(category, village, channel, month) AS g, category, village, channel, month, count(*) AS n
      FROM (SELECT category, coalesce(village, '') AS village, channel,
                   to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month
              FROM reports WHERE merged_into_id IS NULL) r
     GROUP BY GROUPING SETS ((category, village), (category), (channel), (month))`.execute(db);
  return rows;
}

/** Leads past their deadline on `today` (a day in China). */
export async function countOverdueLeads(db: Db, today: string): Promise<number> {
  const row = await db
    .selectFrom('reports')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('merged_into_id', 'is', null)
    .where('due_on', '<', today)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
