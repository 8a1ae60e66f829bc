import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

// Hand-written to match migrations/; test/db/schema.test.ts compares it with information_schema.

/** A timestamptz with a database default: read as Date, optional on insert. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type Category = 'funds' | 'policy' | 'duty' | 'integrity';
export type ReportStatus =
  | 'received'
  | 'verifying'
  | 'investigating'
  | 'concluded'
  | 'not_accepted'
  | 'transferred'
  | 'merged';

export interface ReportsTable {
  id: Generated<string>;
  code_hash: Buffer;
  channel: Generated<string>;
  category: Category;
  typical_form: string | null;
  village: string | null;
  subject: string | null;
  description: string;
  period_month: ColumnType<Date | null, string | null, string | null>;
  amount_yuan: ColumnType<string | null, string | null, string | null>;
  real_name: Generated<boolean>;
  identity_sealed: Buffer | null;
  status: Generated<ReportStatus>;
  submitted_at: Timestamp;
  status_changed_at: Timestamp;
}

export interface ReportUpdatesTable {
  id: Generated<string>;
  report_id: string;
  body: string;
  created_at: Timestamp;
}

export interface SubmissionReceiptsTable {
  token_hash: Buffer;
  input_hash: Buffer;
  report_id: string;
  sealed_code: Buffer;
  created_at: Timestamp;
}

export interface Database {
  reports: ReportsTable;
  report_updates: ReportUpdatesTable;
  submission_receipts: SubmissionReceiptsTable;
}

export type ReportRow = Selectable<ReportsTable>;
export type NewReport = Insertable<ReportsTable>;
