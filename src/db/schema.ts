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
  period_month: string | null; // 'YYYY-MM-01'
  amount_yuan: ColumnType<string | null, string | null, string | null>;
  real_name: Generated<boolean>;
  identity_sealed: Buffer | null;
  status: Generated<ReportStatus>;
  submitted_at: Timestamp;
  status_changed_at: Timestamp;
  received_at: Timestamp;
  recorded_by: string | null;
  assignee_id: string | null;
  priority: Generated<number>;
  outcome: 'substantiated' | 'partly' | 'unsubstantiated' | null;
  closing_note: string | null;
  due_on: string | null; // 'YYYY-MM-DD', a date in China
  version: Generated<number>;
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

export type StaffRole = 'admin' | 'investigator' | 'clerk' | 'viewer';

export interface StaffUsersTable {
  id: Generated<string>;
  username: string;
  role: StaffRole;
  email: string | null;
  password_hash: string;
  disabled: Generated<boolean>;
  failed_logins: Generated<number>;
  locked_until: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface StaffSessionsTable {
  id_hash: Buffer;
  user_id: string;
  csrf_token: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  report_id: string | null;
  target_user_id: string | null;
  detail: ColumnType<Record<string, unknown>, string | undefined, never>;
}

export type EventKind = 'status' | 'note' | 'assign' | 'priority' | 'intake';

export interface ReportEventsTable {
  id: Generated<string>;
  report_id: string;
  at: Timestamp;
  actor_id: string | null;
  kind: EventKind;
  from_status: ReportStatus | null;
  to_status: ReportStatus | null;
  body: string | null;
  detail: ColumnType<Record<string, unknown>, string | undefined, never>;
}

export interface Database {
  reports: ReportsTable;
  report_updates: ReportUpdatesTable;
  report_events: ReportEventsTable;
  submission_receipts: SubmissionReceiptsTable;
  staff_users: StaffUsersTable;
  staff_sessions: StaffSessionsTable;
  audit_log: AuditLogTable;
}

export type ReportRow = Selectable<ReportsTable>;
export type NewReport = Insertable<ReportsTable>;
export type StaffUser = Selectable<StaffUsersTable>;
