import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { HouseholdsTable } from '../../db/schema-households.js';
import type { FlagSettings } from './kinds.js';

// The flags' queries (the repository's part that computes them), in the database, over a scope:
// the households a change touched, every household sharing an ID number with one of them (the
// duplicate flag counts them all), and every household of the peer groups (village, type, grade,
// method, year) any of those is in, so a peer comparison always sees its whole group. A flag whose
// condition holds is raised once (its detail kept current); one whose condition stopped holding
// is resolved, never deleted; one staff cleared stays cleared, with its note, while the condition
// holds (migrations/014_households.sql).

type Db = Kysely<Database> | Transaction<Database>;

/** The households' columns the flags read. */
const SCOPE_COLUMNS = [
  'id', 'village', 'id_hash', 'head_name', 'household_type', 'danger_grade', 'method', 'programme_year', 'approved_yuan', 'accepted_on',
  'posted_village_from', 'posted_village_to', 'posted_town_from', 'posted_town_to', 'archive', 'proxy_reason',
] as const;
/** Flags raised per statement, about (slices are ranges of households). */
const RAISE_SLICE = 50_000;
/** A peer group: households of one village, type, grade, method and year are paid alike. */
const GROUP = 'village, household_type, danger_grade, method, programme_year';

/** What a changed household was before the change: its old ID number and peer group are recomputed too. */
export type PriorKeys = Pick<HouseholdsTable, 'id_hash' | 'village' | 'household_type' | 'danger_grade' | 'method' | 'programme_year'>;

/**
 * Brings the flags of every household in `villages` (null: every village) up to date, with the
 * scope's other households (above). Returns how many flags were raised and resolved.
 */
export function refreshFlags(db: Db, villages: readonly string[] | null, settings: FlagSettings) {
  const seed = villages === null ? null : sql`SELECT id FROM households WHERE village = ANY(${[...villages]}::text[])`;
  return refresh(db, seed, [], villages ?? null, settings);
}

/**
 * The same for the households given (an import's created and changed rows, one edited record),
 * with what the changed ones were before (`prior`).
 */
export function refreshHouseholdFlags(db: Db, households: readonly string[], settings: FlagSettings, prior: readonly PriorKeys[] = []) {
  return refresh(db, sql`SELECT unnest(${[...households]}::bigint[]) AS id`, prior, [], settings);
}

export interface RefreshCounts {
  raised: number;
  resolved: number;
}

async function refresh(db: Db, seed: RawBuilder<unknown> | null, prior: readonly PriorKeys[], villages: readonly string[] | null, settings: FlagSettings): Promise<RefreshCounts> {
  if (!db.isTransaction) return db.transaction().execute((trx) => refresh(trx, seed, prior, villages, settings));
  // Each step's result is a temporary table with only the columns the next steps read, analysed
  // before it is read: as one statement, the planner guessed the flags holding at ~200 million rows
  // for ~26,000 and spent seconds on a plan of that size (docs/PERFORMANCE.md).
  const step = (query: RawBuilder<unknown>) => query.execute(db);
  // The steps' costs at a register's size pass jit_above_cost, and compiling their plans took
  // longer than running them. For this transaction only; PGlite (no JIT) accepts it as a no-op.
  await step(sql`SET LOCAL jit = off`);
  const scopeColumns = sql.raw(SCOPE_COLUMNS.map((c) => `h.${c}`).join(', '));
  await step(sql`CREATE TEMP TABLE flag_scope ON COMMIT DROP AS SELECT ${scopeColumns} FROM households h WITH NO DATA`);
  if (seed === null) {
    await step(sql`INSERT INTO flag_scope SELECT ${scopeColumns} FROM households h`);
  } else {
    await step(sql`CREATE TEMP TABLE flag_seed (id bigint NOT NULL) ON COMMIT DROP`);
    await step(sql`INSERT INTO flag_seed ${seed}`);
    await step(sql`ANALYZE flag_seed`);
    await step(sql`CREATE TEMP TABLE flag_groups ON COMMIT DROP AS SELECT ${sql.raw(GROUP)} FROM households WITH NO DATA`);
    await step(sql`
      INSERT INTO flag_groups
      SELECT ${sql.raw(GROUP)} FROM households WHERE id IN (SELECT id FROM flag_seed)
      UNION
      SELECT ${sql.raw(GROUP)} FROM households WHERE id_hash IN (
        SELECT h.id_hash FROM households h WHERE h.id IN (SELECT id FROM flag_seed)
        UNION ALL SELECT decode(x, 'hex') FROM unnest(${prior.map((p) => p.id_hash.toString('hex'))}::text[]) x)
      UNION
      SELECT * FROM unnest(${prior.map((p) => p.village)}::text[], ${prior.map((p) => p.household_type)}::text[],
        ${prior.map((p) => p.danger_grade)}::text[], ${prior.map((p) => p.method)}::text[], ${prior.map((p) => p.programme_year)}::smallint[])`);
    await step(sql`ANALYZE flag_groups`);
    await step(sql`INSERT INTO flag_scope SELECT ${scopeColumns} FROM households h JOIN flag_groups USING (${sql.raw(GROUP)})`);
  }
  await step(sql`ANALYZE flag_scope`);
  await step(sql`
    CREATE TEMP TABLE flag_paid ON COMMIT DROP AS
    SELECT p.household_id, sum(p.amount_yuan) AS total, min(p.paid_on) AS first_paid,
           min(p.payee_name) FILTER (WHERE p.payee_name <> s.head_name) AS proxy_payee
    FROM household_payments p JOIN flag_scope s ON s.id = p.household_id
    GROUP BY p.household_id`);
  await step(sql`ANALYZE flag_paid`);
  // Counted over the whole register: a duplicate may be anywhere.
  await step(sql`
    CREATE TEMP TABLE flag_duplicates ON COMMIT DROP AS
    SELECT o.id_hash, count(*) AS n FROM households o WHERE o.id_hash IN (SELECT id_hash FROM flag_scope)
    GROUP BY o.id_hash HAVING count(*) > 1`);
  await step(sql`ANALYZE flag_duplicates`);
  await step(sql`CREATE TEMP TABLE flag_holding (household_id bigint NOT NULL, kind text NOT NULL, detail jsonb NOT NULL) ON COMMIT DROP`);
  await step(sql`
    INSERT INTO flag_holding (household_id, kind, detail)
    WITH standard AS (
      SELECT DISTINCT ON (k.household_type, k.danger_grade, k.method, k.programme_year)
             k.household_type, k.danger_grade, k.method, k.programme_year, st.amount_yuan
      FROM (SELECT DISTINCT household_type, danger_grade, method, programme_year FROM flag_scope) k
      JOIN subsidy_standards st ON st.household_type = k.household_type AND st.danger_grade = k.danger_grade AND st.method = k.method
        AND k.programme_year BETWEEN st.year_from AND st.year_to
      ORDER BY k.household_type, k.danger_grade, k.method, k.programme_year, st.year_from DESC, st.id DESC
    ), peers AS (
      SELECT s.village, s.household_type, s.danger_grade, s.method, s.programme_year,
             min(p.total) AS low, max(p.total) AS high, count(*) AS n
      FROM flag_scope s JOIN flag_paid p ON p.household_id = s.id
      GROUP BY s.village, s.household_type, s.danger_grade, s.method, s.programme_year
      HAVING min(p.total) <> max(p.total)
    )
      SELECT s.id, 'duplicate_id', jsonb_build_object('records', d.n)
      FROM flag_scope s JOIN flag_duplicates d USING (id_hash)
      UNION ALL
      SELECT s.id, 'off_standard', jsonb_build_object('amount', coalesce(p.total, s.approved_yuan), 'standard', st.amount_yuan)
      FROM flag_scope s JOIN standard st USING (household_type, danger_grade, method, programme_year) LEFT JOIN flag_paid p ON p.household_id = s.id
      WHERE coalesce(p.total, s.approved_yuan) <> st.amount_yuan
      UNION ALL
      SELECT s.id, 'off_approved', jsonb_build_object('paid', p.total, 'approved', s.approved_yuan)
      FROM flag_scope s JOIN flag_paid p ON p.household_id = s.id
      WHERE p.total <> s.approved_yuan
      UNION ALL
      SELECT s.id, 'peer_difference', jsonb_build_object('paid', p.total, 'low', g.low, 'high', g.high, 'peers', g.n)
      FROM flag_scope s JOIN flag_paid p ON p.household_id = s.id
      JOIN peers g USING (village, household_type, danger_grade, method, programme_year)
      UNION ALL
      SELECT s.id, 'paid_before_acceptance', jsonb_build_object('paidOn', p.first_paid, 'acceptedOn', s.accepted_on)
      FROM flag_scope s JOIN flag_paid p ON p.household_id = s.id
      WHERE s.accepted_on IS NOT NULL AND p.first_paid < s.accepted_on
      UNION ALL
      SELECT s.id, 'paid_without_acceptance', jsonb_build_object('paidOn', p.first_paid)
      FROM flag_scope s JOIN flag_paid p ON p.household_id = s.id
      WHERE s.accepted_on IS NULL
      UNION ALL
      SELECT s.id, 'proxy_payee', jsonb_build_object('payee', p.proxy_payee)
      FROM flag_scope s JOIN flag_paid p ON p.household_id = s.id
      WHERE p.proxy_payee IS NOT NULL AND s.proxy_reason IS NULL
      UNION ALL
      SELECT s.id, 'not_posted', jsonb_build_object('village', s.posted_village_from IS NOT NULL, 'town', s.posted_town_from IS NOT NULL)
      FROM flag_scope s
      WHERE s.posted_village_from IS NULL OR s.posted_town_from IS NULL
      UNION ALL
      SELECT s.id, 'posting_short', jsonb_build_object('village', v.days, 'town', t.days, 'min', ${settings.postingMinDays}::int)
      FROM flag_scope s
      CROSS JOIN LATERAL (SELECT CASE WHEN s.posted_village_from IS NOT NULL THEN coalesce(s.posted_village_to - s.posted_village_from + 1, 0) END AS days) v
      CROSS JOIN LATERAL (SELECT CASE WHEN s.posted_town_from IS NOT NULL THEN coalesce(s.posted_town_to - s.posted_town_from + 1, 0) END AS days) t
      WHERE v.days < ${settings.postingMinDays}::int OR t.days < ${settings.postingMinDays}::int
      UNION ALL
      SELECT s.id, 'archive_missing', jsonb_build_object('missing', m.items)
      FROM flag_scope s
      JOIN LATERAL (
        SELECT jsonb_agg(item ORDER BY ord) AS items
        FROM unnest(${[...settings.archiveItems]}::text[]) WITH ORDINALITY AS a(item, ord)
        WHERE coalesce((s.archive ->> item)::boolean, false) = false
      ) m ON m.items IS NOT NULL
      UNION ALL
      SELECT s.id, 'named_in_lead', jsonb_build_object('leads', count(*))
      FROM flag_scope s JOIN household_leads l ON l.household_id = s.id
      GROUP BY s.id`);
  await step(sql`ANALYZE flag_holding`);
  // Raised in slices of households, so that no statement runs into the app's statement timeout
  // when a refresh of a million households raises half a million flags.
  const bounds = (
    await sql<{ last: string }>`
      SELECT max(household_id) AS last FROM (SELECT household_id, ntile(greatest(1, (SELECT count(*) FROM flag_holding) / ${RAISE_SLICE})::int)
        OVER (ORDER BY household_id) AS part FROM flag_holding) x GROUP BY part ORDER BY 1`.execute(db)
  ).rows.map((r) => r.last);
  let raised = 0;
  for (const [i, last] of bounds.entries()) {
    const r = await sql<{ n: string }>`
      WITH raised AS (
        INSERT INTO household_flags (household_id, kind, detail)
        SELECT household_id, kind, detail FROM flag_holding WHERE household_id > ${i === 0 ? '0' : bounds[i - 1]!}::bigint AND household_id <= ${last}::bigint
        ON CONFLICT (household_id, kind) WHERE resolved_at IS NULL
        DO UPDATE SET detail = EXCLUDED.detail WHERE household_flags.detail IS DISTINCT FROM EXCLUDED.detail
        RETURNING (xmax = 0) AS inserted
      )
      SELECT count(*) FILTER (WHERE inserted) AS n FROM raised`.execute(db);
    raised += Number(r.rows[0]!.n);
  }
  const resolved = await sql<{ n: string }>`
    WITH resolved AS (
      UPDATE household_flags f SET resolved_at = now()
      WHERE f.resolved_at IS NULL AND f.household_id IN (SELECT id FROM flag_scope)
        AND NOT EXISTS (SELECT 1 FROM flag_holding x WHERE x.household_id = f.household_id AND x.kind = f.kind)
      RETURNING 1
    )
    SELECT count(*) AS n FROM resolved`.execute(db);
  // A village left with no household (an edit moved its last one) is among those asked for.
  const touched = villages === null ? null : (await sql<{ village: string }>`SELECT DISTINCT village FROM flag_scope`.execute(db)).rows.map((r) => r.village);
  // Dropped now, so that another refresh in the same transaction starts afresh.
  await step(sql`DROP TABLE flag_scope, flag_paid, flag_duplicates, flag_holding${seed === null ? sql`` : sql`, flag_seed, flag_groups`}`);
  await recountVillages(db, touched === null ? null : [...new Set([...villages!, ...prior.map((p) => p.village), ...touched])]);
  return { raised, resolved: Number(resolved.rows[0]!.n) };
}

/**
 * The stored counts of `villages` (null: every village, and rows of villages that no longer hold a
 * household) taken again from the households and their open flags. The counts' rows are locked
 * first, so that of two transactions recounting a village the second counts after the first commits.
 */
export async function recountVillages(db: Db, villages: readonly string[] | null): Promise<void> {
  const wanted =
    villages === null
      ? sql`SELECT DISTINCT village FROM households UNION SELECT village FROM household_village_counts`
      : sql`SELECT DISTINCT unnest(${[...villages]}::text[])`;
  await sql`SELECT village FROM household_village_counts WHERE village IN (${wanted}) ORDER BY village FOR UPDATE`.execute(db);
  await sql`
    WITH v (village) AS (${wanted}),
    hh AS (
      SELECT h.village, count(*) AS n FROM households h WHERE h.village IN (SELECT village FROM v) GROUP BY h.village
    ), open AS (
      SELECT h.village, f.household_id, f.kind
      FROM household_flags f JOIN households h ON h.id = f.household_id
      WHERE f.resolved_at IS NULL AND f.cleared_at IS NULL AND h.village IN (SELECT village FROM v)
    ), flagged AS (
      SELECT village, count(DISTINCT household_id) AS n FROM open GROUP BY village
    ), kinds AS (
      SELECT village, jsonb_object_agg(kind, n) AS kinds FROM (SELECT village, kind, count(*) AS n FROM open GROUP BY village, kind) k GROUP BY village
    )
    INSERT INTO household_village_counts (village, households, flagged, kinds, counted_at)
    SELECT v.village, coalesce(hh.n, 0), coalesce(flagged.n, 0), coalesce(kinds.kinds, '{}'), now()
    FROM v LEFT JOIN hh USING (village) LEFT JOIN flagged USING (village) LEFT JOIN kinds USING (village)
    ON CONFLICT (village) DO UPDATE
      SET households = EXCLUDED.households, flagged = EXCLUDED.flagged, kinds = EXCLUDED.kinds, counted_at = EXCLUDED.counted_at`.execute(db);
}
