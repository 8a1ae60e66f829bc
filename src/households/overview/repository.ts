import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { HouseholdFlagKind, RecheckMethod } from '../../db/schema-households.js';
import { HOUSEHOLD_STATES } from '../repository.js';

// The register's figures: per village for the overview and the dashboard, and for the whole town
// for the 7月20日 self-check report. Counted exactly as the register's list filters
// (src/households/repository.ts), so every figure can link to the list that shows those households.

type Db = Kysely<Database>;

const { flagged: OPEN_FLAG, drawn: DRAWN, rechecked: RECHECKED, mismatch: MISMATCH } = HOUSEHOLD_STATES;

export interface VillageFigures {
  village: string;
  households: number;
  flagged: number;
  drawn: number;
  rechecked: number;
  mismatched: number;
}

/** Per village: households, those with an open flag, and those drawn, re-checked and found not to match. */
export async function figuresByVillage(db: Db): Promise<VillageFigures[]> {
  const r = await sql<VillageFigures>`
    SELECT h.village,
      count(*)::int AS households,
      count(*) FILTER (WHERE ${OPEN_FLAG})::int AS flagged,
      count(*) FILTER (WHERE ${DRAWN})::int AS drawn,
      count(*) FILTER (WHERE ${RECHECKED})::int AS rechecked,
      count(*) FILTER (WHERE ${MISMATCH})::int AS mismatched
    FROM households h
    GROUP BY h.village
    ORDER BY h.village`.execute(db);
  return r.rows;
}

export interface FlagFigures {
  village: string;
  kind: HouseholdFlagKind;
  /** Households this kind of flag was ever raised on. */
  raised: number;
  /** Of those, households where it is open now (neither resolved nor cleared). */
  open: number;
}

export async function flagsByVillage(db: Db): Promise<FlagFigures[]> {
  const r = await sql<FlagFigures>`
    SELECT h.village, f.kind,
      count(DISTINCT f.household_id)::int AS raised,
      count(DISTINCT f.household_id) FILTER (WHERE f.resolved_at IS NULL AND f.cleared_at IS NULL)::int AS open
    FROM household_flags f JOIN households h ON h.id = f.household_id
    GROUP BY h.village, f.kind
    ORDER BY h.village, f.kind`.execute(db);
  return r.rows;
}

/** Problem-list rows the register gave rise to (re-check mismatches), per village and progress. */
export async function registerRowsByVillage(db: Db) {
  const r = await sql<{ village: string; progress: 'not_started' | 'in_progress' | 'done'; n: number }>`
    SELECT village, progress, count(*)::int AS n FROM problem_rows WHERE source = 'register' GROUP BY village, progress`.execute(db);
  return r.rows;
}

export interface Breakdown {
  dimension: 'year' | 'type' | 'method' | 'all';
  key: string;
  households: number;
  approved: string;
  paid: string;
}

/** Households and amounts (approved, paid) by programme year, by household type, by method and in all. */
export async function breakdowns(db: Db): Promise<Breakdown[]> {
  const r = await sql<Breakdown>`
    SELECT CASE WHEN grouping(h.programme_year) = 0 THEN 'year' WHEN grouping(h.household_type) = 0 THEN 'type'
                WHEN grouping(h.method) = 0 THEN 'method' ELSE 'all' END AS dimension,
      coalesce(h.programme_year::text, h.household_type, h.method, '') AS key,
      count(*)::int AS households,
      coalesce(sum(h.approved_yuan), 0)::text AS approved,
      coalesce(sum(p.paid), 0)::text AS paid
    FROM households h
    LEFT JOIN (SELECT household_id, sum(amount_yuan) AS paid FROM household_payments GROUP BY household_id) p ON p.household_id = h.id
    GROUP BY GROUPING SETS ((h.programme_year), (h.household_type), (h.method), ())
    ORDER BY 1, 2`.execute(db);
  return r.rows;
}

/** Recorded re-checks by method, and draws by kind (with the last one's day in China). */
export async function recheckTotals(db: Db) {
  const [methods, draws] = await Promise.all([
    sql<{ method: RecheckMethod; n: number }>`
      SELECT method, count(*)::int AS n FROM recheck_items WHERE recorded_at IS NOT NULL GROUP BY method`.execute(db),
    sql<{ kind: 'recheck' | 'spot_check'; n: number; last: string }>`
      SELECT kind, count(*)::int AS n, to_char(max(drawn_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS last
      FROM recheck_draws GROUP BY kind`.execute(db),
  ]);
  return { methods: methods.rows, draws: draws.rows };
}

/** Leads in the queue (a merged duplicate counts once), those linked to a household, and the households named. */
export async function leadTotals(db: Db) {
  const r = await sql<{ leads: number; linked: number; households: number }>`
    SELECT (SELECT count(*)::int FROM reports WHERE merged_into_id IS NULL) AS leads,
      (SELECT count(DISTINCT report_id)::int FROM household_leads) AS linked,
      (SELECT count(DISTINCT household_id)::int FROM household_leads) AS households`.execute(db);
  return r.rows[0]!;
}
