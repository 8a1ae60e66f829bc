import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { countByStatus } from '../leads/repository.js';
import { progressByVillage } from '../problems/repository.js';
import { countLeadDimensions, countOverdueLeads } from './repository.js';

type Db = Kysely<Database>;

export interface DashboardCounts {
  /** 'category|village' → n; village '' is "not given". */
  categoryVillage: Map<string, number>;
  category: Map<string, number>;
  channel: Map<string, number>;
  month: Map<string, number>;
  status: Record<string, number>;
  overdueLeads: number;
  problems: Awaited<ReturnType<typeof progressByVillage>>;
}

/**
 * The dashboard's figures, counted exactly as the queue filters: a merged duplicate is left out
 * (merged_into_id IS NULL) everywhere except by status, where the queue shows the merged ones under
 * their own status. One scan for the lead dimensions; `today` (China) decides what is overdue.
 */
export async function dashboardCounts(db: Db, today: string): Promise<DashboardCounts> {
  const [rows, status, overdueLeads, problems] = await Promise.all([countLeadDimensions(db), countByStatus(db), countOverdueLeads(db, today), progressByVillage(db, today)]);
  const out: DashboardCounts = {
    categoryVillage: new Map(),
    category: new Map(),
    channel: new Map(),
    month: new Map(),
    status,
    overdueLeads,
    problems,
  };
  // GROUPING() has a 1 bit for each column a row is not grouped by: category, village, channel, month.
  for (const r of rows) {
    const n = Number(r.n);
    if (r.g === 0b0011) out.categoryVillage.set(`${r.category}|${r.village}`, n);
    else if (r.g === 0b0111) out.category.set(r.category, n);
    else if (r.g === 0b1101) out.channel.set(r.channel, n);
    else if (r.g === 0b1110) out.month.set(r.month, n);
  }
  return out;
}
