import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { HouseholdTables } from './schema-households.js';

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
  merged_into_id: string | null;
  identity_verified_at: Date | null;
  identity_verified_how: 'phone' | 'in_person' | null;
  feedback_given_at: Date | null;
  upward: Generated<boolean>;
  clearing_note: string | null;
  attention: Generated<number>; // 0 none, 1 the reporter wrote, 2 retaliation reported
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
  /** Password accepted, TOTP code not yet: reaches the code form and logout only. */
  mfa_pending: Generated<boolean>;
}

export interface StaffTotpTable {
  user_id: string;
  /** The base32 secret, sealed with AES-256-GCM (src/lib/seal.ts) under the 'totp-seal' key. */
  secret_sealed: Buffer;
  enabled: Generated<boolean>;
  /** The time step of the last accepted code (bigint, read as a string). */
  last_step: string | null;
  created_at: Timestamp;
  enabled_at: Date | null;
}

export interface SecuritySettingsTable {
  id: Generated<boolean>;
  mfa_required: Generated<boolean>;
  updated_at: Timestamp;
  updated_by: string | null;
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

export type EventKind = 'status' | 'note' | 'assign' | 'priority' | 'intake' | 'merge' | 'verify' | 'feedback' | 'handled';

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

export type MailKind = 'new_lead' | 'follow_up' | 'digest' | 'guessing';

/** Counts only: never anything from a report (migrations/005_mail_outbox.sql). */
export type MailPayload = { count?: number; overdue?: number; dueSoon?: number };

export interface MailOutboxTable {
  id: Generated<string>;
  kind: MailKind;
  recipient_id: string | null;
  payload: ColumnType<MailPayload, string | undefined, string>;
  dedup_key: string | null;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  sent_at: Date | null;
  last_error: string | null;
  created_at: Timestamp;
}

export type MessageKind = 'info' | 'answer' | 'retaliation' | 'question';

export interface ReportMessagesTable {
  id: Generated<string>;
  report_id: string;
  kind: MessageKind;
  body: string;
  staff_id: string | null;
  answered_at: Date | null;
  created_at: Timestamp;
}

export type AttachmentMime = 'image/jpeg' | 'image/png' | 'image/webp' | 'application/pdf';

export interface AttachmentsTable {
  id: Generated<string>;
  report_id: string;
  /** Null: sent with the report itself. */
  message_id: string | null;
  display_name: string;
  mime: AttachmentMime;
  size_bytes: number;
  /** SHA-256 of the cleaned bytes (what `sealed` opens to). */
  sha256: Buffer;
  /** AES-256-GCM (src/lib/seal.ts) under the 'attachment-seal' key. */
  sealed: Buffer;
  created_at: Timestamp;
}

export interface CalendarDaysTable {
  day: string; // 'YYYY-MM-DD'
  kind: 'holiday' | 'workday';
  note: string | null;
  updated_by: string | null;
  updated_at: Timestamp;
}

export type ProblemProgress = 'not_started' | 'in_progress' | 'done';

export interface ProblemRowsTable {
  id: Generated<string>;
  village: string;
  category: Category;
  problem: string;
  measures: string;
  progress: Generated<ProblemProgress>;
  deadline: string; // 'YYYY-MM-DD'
  source: 'lead' | 'self_check' | 'register';
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  done_at: Date | null;
}

export interface ProblemRowNotesTable {
  id: Generated<string>;
  row_id: string;
  at: Timestamp;
  actor_id: string | null;
  progress: ProblemProgress;
  note: string;
  lookback: Generated<boolean>;
}

export interface ProblemRowLeadsTable {
  row_id: string;
  report_id: string;
  linked_at: Timestamp;
}

/** One row of a filed list, frozen as it stood when filed. */
export interface FiledRow {
  id: string;
  category: Category;
  problem: string;
  measures: string;
  progress: ProblemProgress;
  progressNote: string | null;
  deadline: string;
}

export type FiledList = { rows: FiledRow[] };

export interface ProblemListFilingsTable {
  id: Generated<string>;
  village: string;
  month: string; // 'YYYY-MM-01'
  snapshot: ColumnType<FiledList, string, string>;
  secretary: string;
  resident_leader: string;
  clerk_name: string;
  filed_on: string; // 'YYYY-MM-DD'
  filed_by: string;
  created_at: Timestamp;
}

export interface LookbackDrawsTable {
  id: Generated<string>;
  seed: string;
  rate_percent: ColumnType<string, string | number, never>;
  minimum: number;
  candidate_count: number;
  candidate_digest: string;
  drawn_by: string;
  drawn_at: Timestamp;
  assignee_id: string | null;
}

export interface LookbackItemsTable {
  id: Generated<string>;
  draw_id: string;
  position: number;
  report_id: string | null;
  row_id: string | null;
  finding: 'held' | 'relapsed' | null;
  note: string | null;
  checked_by: string | null;
  checked_at: Date | null;
}

export type TypicalCaseStatus = 'pending' | 'published' | 'withdrawn';

export interface TypicalCasesTable {
  id: Generated<string>;
  report_id: string;
  title: string;
  summary: string;
  author_id: string;
  status: Generated<TypicalCaseStatus>;
  approved_by: string | null;
  approved_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One top-level field of the campaign file, as an admin set it (migrations/013_public_results.sql). */
export interface CampaignSettingsTable {
  field: string;
  value: ColumnType<Record<string, unknown> | unknown[], string, string>;
  updated_by: string | null;
  updated_at: Timestamp;
}

/** A one-time link to create the first admin (migrations/018_setup_link.sql): only the token's hash. */
export interface SetupLinksTable {
  token_hash: Buffer;
  created_at: Timestamp;
  expires_at: Date;
  used_at: Date | null;
  used_by: string | null;
}

export interface Database extends HouseholdTables {
  calendar_days: CalendarDaysTable;
  reports: ReportsTable;
  report_updates: ReportUpdatesTable;
  report_events: ReportEventsTable;
  report_messages: ReportMessagesTable;
  attachments: AttachmentsTable;
  submission_receipts: SubmissionReceiptsTable;
  staff_users: StaffUsersTable;
  staff_sessions: StaffSessionsTable;
  staff_totp: StaffTotpTable;
  security_settings: SecuritySettingsTable;
  audit_log: AuditLogTable;
  mail_outbox: MailOutboxTable;
  problem_rows: ProblemRowsTable;
  problem_row_notes: ProblemRowNotesTable;
  problem_row_leads: ProblemRowLeadsTable;
  problem_list_filings: ProblemListFilingsTable;
  lookback_draws: LookbackDrawsTable;
  lookback_items: LookbackItemsTable;
  typical_cases: TypicalCasesTable;
  campaign_settings: CampaignSettingsTable;
  setup_links: SetupLinksTable;
}

export type ReportRow = Selectable<ReportsTable>;
export type NewReport = Insertable<ReportsTable>;
export type StaffUser = Selectable<StaffUsersTable>;
