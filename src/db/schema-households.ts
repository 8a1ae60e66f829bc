import type { ColumnType, Generated, Selectable } from 'kysely';

// The household register's tables (migrations/014_households.sql), part of the one Database
// interface in schema.ts; test/db/schema.test.ts compares them with information_schema too.

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** numeric: read as a string ('12000.00'), written as a string or number. */
type Yuan = ColumnType<string, string | number, string | number>;
type Json<T> = ColumnType<T, string, string>;

export type DangerGrade = 'C' | 'D';
export type HouseholdFlagKind =
  | 'duplicate_id'
  | 'off_standard'
  | 'off_approved'
  | 'peer_difference'
  | 'paid_before_acceptance'
  | 'paid_without_acceptance'
  | 'proxy_payee'
  | 'not_posted'
  | 'posting_short'
  | 'archive_missing'
  | 'named_in_lead';
export type RecheckMethod = 'home_visit' | 'phone' | 'records' | 'site';

export interface HouseholdsTable {
  id: Generated<string>;
  village: string;
  village_group: Generated<string>;
  head_name: string;
  id_sealed: Buffer;
  id_hash: Buffer;
  id_masked: string;
  phone: string | null;
  household_type: string;
  danger_grade: DangerGrade;
  method: string;
  programme_year: number;
  approved_yuan: Yuan;
  accepted_on: string | null; // 'YYYY-MM-DD'
  posted_village_from: string | null;
  posted_village_to: string | null;
  posted_town_from: string | null;
  posted_town_to: string | null;
  archive: ColumnType<Record<string, boolean>, string | undefined, string>;
  proxy_reason: string | null;
  content_digest: Buffer;
  version: Generated<number>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface HouseholdPaymentsTable {
  id: Generated<string>;
  household_id: string;
  position: number;
  paid_on: string;
  amount_yuan: Yuan;
  payee_name: string;
  channel: Generated<string>;
}

export interface HouseholdHistoryTable {
  id: Generated<string>;
  household_id: string;
  at: Timestamp;
  actor_id: string | null;
  source: 'import' | 'edit' | 'flag' | 'recheck' | 'lead';
  import_id: string | null;
  changes: Json<Record<string, unknown>>;
}

export interface SubsidyStandardsTable {
  id: Generated<string>;
  household_type: string;
  danger_grade: DangerGrade;
  method: string;
  year_from: number;
  year_to: number;
  amount_yuan: Yuan;
  updated_by: string | null;
  updated_at: Timestamp;
}

export interface HouseholdFlagsTable {
  id: Generated<string>;
  household_id: string;
  kind: HouseholdFlagKind;
  detail: ColumnType<Record<string, unknown>, string | undefined, string>;
  raised_at: Timestamp;
  resolved_at: Date | null;
  cleared_at: Date | null;
  cleared_by: string | null;
  clear_note: string | null;
}

export interface HouseholdLeadsTable {
  household_id: string;
  report_id: string;
  linked_by: string;
  linked_at: Timestamp;
}

export interface HouseholdImportsTable {
  id: Generated<string>;
  file_digest: Buffer;
  file_kind: 'csv' | 'xlsx';
  file_sealed: Buffer | null;
  row_count: Generated<number>;
  summary: ColumnType<Record<string, unknown>, string | undefined, string>;
  status: Generated<'preview' | 'committed' | 'discarded'>;
  uploaded_by: string;
  uploaded_at: Timestamp;
  committed_at: Date | null;
}

export interface RecheckDrawsTable {
  id: Generated<string>;
  kind: 'recheck' | 'spot_check';
  seed: string;
  rate_percent: ColumnType<string, string | number, never>;
  minimum_per_village: number;
  candidate_count: number;
  candidate_digest: string;
  forced_flagged: Generated<boolean>;
  drawn_by: string;
  drawn_at: Timestamp;
  programme_year: number | null;
}

export interface RecheckItemsTable {
  id: Generated<string>;
  draw_id: string;
  household_id: string;
  position: number;
  forced: Generated<boolean>;
  method: RecheckMethod | null;
  checked_on: string | null;
  checker_id: string | null;
  fields: ColumnType<Record<string, boolean> | null, string | null, string | null>;
  note: string | null;
  recorded_at: Date | null;
}

export interface ProblemRowHouseholdsTable {
  row_id: string;
  household_id: string;
  recheck_item_id: string | null;
  linked_at: Timestamp;
}

/** The register list's counts per village, recounted by the database (migrations/019). */
export interface HouseholdVillageCountsTable {
  village: string;
  households: number;
  flagged: number;
  kinds: ColumnType<Partial<Record<HouseholdFlagKind, number>>, string | undefined, string>;
  counted_at: ColumnType<Date, string | undefined, string>;
}

export interface HouseholdTables {
  households: HouseholdsTable;
  household_payments: HouseholdPaymentsTable;
  household_history: HouseholdHistoryTable;
  subsidy_standards: SubsidyStandardsTable;
  household_flags: HouseholdFlagsTable;
  household_leads: HouseholdLeadsTable;
  household_imports: HouseholdImportsTable;
  household_village_counts: HouseholdVillageCountsTable;
  recheck_draws: RecheckDrawsTable;
  recheck_items: RecheckItemsTable;
  problem_row_households: ProblemRowHouseholdsTable;
}

export type HouseholdRow = Selectable<HouseholdsTable>;
export type HouseholdFlagRow = Selectable<HouseholdFlagsTable>;
