import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Insertable, type Selectable } from 'kysely';
import t from 'tap';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/schema.js';
import { publicTables, testDatabase } from '../support/app.js';

// The hand-written Database interface (src/db/schema.ts) against what the migrations create.
// EXPECTED mirrors the interface, and the compiler holds it to it: a table or column added to or
// removed from the interface, or a changed TypeScript type, nullability or insert-optionality,
// fails `tsc` until EXPECTED is updated; the test then holds EXPECTED to information_schema.

/** The PostgreSQL types a column read as V may have. */
type PgType<V> = V extends Buffer
  ? 'bytea'
  : V extends boolean
    ? 'boolean'
    : V extends number
      ? 'integer' | 'smallint'
      : V extends Date
        ? 'timestamp with time zone' | 'date'
        : V extends string
          ? 'text' | 'bigint' | 'numeric' | 'date'
          : V extends Record<string, unknown>
            ? 'jsonb'
            : never;

type ColumnOf<T, C extends keyof T> = {
  type: PgType<NonNullable<Selectable<T>[C & keyof Selectable<T>]>>;
  nullable: null extends Selectable<T>[C & keyof Selectable<T>] ? true : false;
  /** For NOT NULL columns: optional on insert exactly when the database has a default. */
  defaulted: null extends Selectable<T>[C & keyof Selectable<T>]
    ? null
    : {} extends Pick<Insertable<T>, C & keyof Insertable<T>>
      ? true
      : false;
};
type Expected = { [T in keyof Database]: { [C in keyof Database[T]]-?: ColumnOf<Database[T], C> } };

const col = <Ty extends string, N extends boolean, D extends boolean | null>(type: Ty, nullable: N, defaulted: D) => ({ type, nullable, defaulted });
const TS = 'timestamp with time zone' as const;

const EXPECTED: Expected = {
  reports: {
    id: col('bigint', false, true),
    code_hash: col('bytea', false, false),
    channel: col('text', false, true),
    category: col('text', false, false),
    typical_form: col('text', true, null),
    village: col('text', true, null),
    subject: col('text', true, null),
    description: col('text', false, false),
    period_month: col('date', true, null),
    amount_yuan: col('numeric', true, null),
    real_name: col('boolean', false, true),
    identity_sealed: col('bytea', true, null),
    status: col('text', false, true),
    submitted_at: col(TS, false, true),
    status_changed_at: col(TS, false, true),
    received_at: col(TS, false, true),
    recorded_by: col('bigint', true, null),
    assignee_id: col('bigint', true, null),
    priority: col('smallint', false, true),
    outcome: col('text', true, null),
    closing_note: col('text', true, null),
    due_on: col('date', true, null),
    version: col('integer', false, true),
    merged_into_id: col('bigint', true, null),
    identity_verified_at: col(TS, true, null),
    identity_verified_how: col('text', true, null),
    feedback_given_at: col(TS, true, null),
    upward: col('boolean', false, true),
    clearing_note: col('text', true, null),
    attention: col('smallint', false, true),
  },
  calendar_days: {
    day: col('date', false, false),
    kind: col('text', false, false),
    note: col('text', true, null),
    updated_by: col('bigint', true, null),
    updated_at: col(TS, false, true),
  },
  report_events: {
    id: col('bigint', false, true),
    report_id: col('bigint', false, false),
    at: col(TS, false, true),
    actor_id: col('bigint', true, null),
    kind: col('text', false, false),
    from_status: col('text', true, null),
    to_status: col('text', true, null),
    body: col('text', true, null),
    detail: col('jsonb', false, true),
  },
  report_updates: {
    id: col('bigint', false, true),
    report_id: col('bigint', false, false),
    body: col('text', false, false),
    created_at: col(TS, false, true),
  },
  submission_receipts: {
    token_hash: col('bytea', false, false),
    input_hash: col('bytea', false, false),
    report_id: col('bigint', false, false),
    sealed_code: col('bytea', false, false),
    created_at: col(TS, false, true),
  },
  staff_users: {
    id: col('bigint', false, true),
    username: col('text', false, false),
    role: col('text', false, false),
    email: col('text', true, null),
    password_hash: col('text', false, false),
    disabled: col('boolean', false, true),
    failed_logins: col('integer', false, true),
    locked_until: col(TS, true, null),
    created_at: col(TS, false, true),
    updated_at: col(TS, false, true),
  },
  staff_sessions: {
    id_hash: col('bytea', false, false),
    user_id: col('bigint', false, false),
    csrf_token: col('text', false, false),
    created_at: col(TS, false, true),
    last_seen_at: col(TS, false, true),
    mfa_pending: col('boolean', false, true),
  },
  staff_totp: {
    user_id: col('bigint', false, false),
    secret_sealed: col('bytea', false, false),
    enabled: col('boolean', false, true),
    last_step: col('bigint', true, null),
    created_at: col(TS, false, true),
    enabled_at: col(TS, true, null),
  },
  security_settings: {
    id: col('boolean', false, true),
    mfa_required: col('boolean', false, true),
    updated_at: col(TS, false, true),
    updated_by: col('bigint', true, null),
  },
  audit_log: {
    id: col('bigint', false, true),
    at: col(TS, false, true),
    actor_id: col('bigint', true, null),
    actor_name: col('text', true, null),
    action: col('text', false, false),
    report_id: col('bigint', true, null),
    target_user_id: col('bigint', true, null),
    detail: col('jsonb', false, true),
  },
  report_messages: {
    id: col('bigint', false, true),
    report_id: col('bigint', false, false),
    kind: col('text', false, false),
    body: col('text', false, false),
    staff_id: col('bigint', true, null),
    answered_at: col(TS, true, null),
    created_at: col(TS, false, true),
  },
  attachments: {
    id: col('bigint', false, true),
    report_id: col('bigint', false, false),
    message_id: col('bigint', true, null),
    display_name: col('text', false, false),
    mime: col('text', false, false),
    size_bytes: col('integer', false, false),
    sha256: col('bytea', false, false),
    sealed: col('bytea', false, false),
    created_at: col(TS, false, true),
  },
  problem_rows: {
    id: col('bigint', false, true),
    village: col('text', false, false),
    category: col('text', false, false),
    problem: col('text', false, false),
    measures: col('text', false, false),
    progress: col('text', false, true),
    deadline: col('date', false, false),
    source: col('text', false, false),
    created_by: col('bigint', false, false),
    created_at: col(TS, false, true),
    updated_at: col(TS, false, true),
    done_at: col(TS, true, null),
  },
  problem_row_notes: {
    id: col('bigint', false, true),
    row_id: col('bigint', false, false),
    at: col(TS, false, true),
    actor_id: col('bigint', true, null),
    progress: col('text', false, false),
    note: col('text', false, false),
    lookback: col('boolean', false, true),
  },
  problem_row_leads: {
    row_id: col('bigint', false, false),
    report_id: col('bigint', false, false),
    linked_at: col(TS, false, true),
  },
  problem_list_filings: {
    id: col('bigint', false, true),
    village: col('text', false, false),
    month: col('date', false, false),
    snapshot: col('jsonb', false, false),
    secretary: col('text', false, false),
    resident_leader: col('text', false, false),
    clerk_name: col('text', false, false),
    filed_on: col('date', false, false),
    filed_by: col('bigint', false, false),
    created_at: col(TS, false, true),
  },
  lookback_draws: {
    id: col('bigint', false, true),
    seed: col('text', false, false),
    rate_percent: col('numeric', false, false),
    minimum: col('integer', false, false),
    candidate_count: col('integer', false, false),
    candidate_digest: col('text', false, false),
    drawn_by: col('bigint', false, false),
    drawn_at: col(TS, false, true),
    assignee_id: col('bigint', true, null),
  },
  lookback_items: {
    id: col('bigint', false, true),
    draw_id: col('bigint', false, false),
    position: col('integer', false, false),
    report_id: col('bigint', true, null),
    row_id: col('bigint', true, null),
    finding: col('text', true, null),
    note: col('text', true, null),
    checked_by: col('bigint', true, null),
    checked_at: col(TS, true, null),
  },
  typical_cases: {
    id: col('bigint', false, true),
    report_id: col('bigint', false, false),
    title: col('text', false, false),
    summary: col('text', false, false),
    author_id: col('bigint', false, false),
    status: col('text', false, true),
    approved_by: col('bigint', true, null),
    approved_at: col(TS, true, null),
    created_at: col(TS, false, true),
    updated_at: col(TS, false, true),
  },
  households: {
    id: col('bigint', false, true),
    village: col('text', false, false),
    village_group: col('text', false, true),
    head_name: col('text', false, false),
    id_sealed: col('bytea', false, false),
    id_hash: col('bytea', false, false),
    id_masked: col('text', false, false),
    phone: col('text', true, null),
    household_type: col('text', false, false),
    danger_grade: col('text', false, false),
    method: col('text', false, false),
    programme_year: col('smallint', false, false),
    approved_yuan: col('numeric', false, false),
    accepted_on: col('date', true, null),
    posted_village_from: col('date', true, null),
    posted_village_to: col('date', true, null),
    posted_town_from: col('date', true, null),
    posted_town_to: col('date', true, null),
    archive: col('jsonb', false, true),
    proxy_reason: col('text', true, null),
    content_digest: col('bytea', false, false),
    version: col('integer', false, true),
    created_by: col('bigint', true, null),
    created_at: col(TS, false, true),
    updated_at: col(TS, false, true),
  },
  household_payments: {
    id: col('bigint', false, true),
    household_id: col('bigint', false, false),
    position: col('smallint', false, false),
    paid_on: col('date', false, false),
    amount_yuan: col('numeric', false, false),
    payee_name: col('text', false, false),
    channel: col('text', false, true),
  },
  household_history: {
    id: col('bigint', false, true),
    household_id: col('bigint', false, false),
    at: col(TS, false, true),
    actor_id: col('bigint', true, null),
    source: col('text', false, false),
    import_id: col('bigint', true, null),
    changes: col('jsonb', false, false),
  },
  subsidy_standards: {
    id: col('bigint', false, true),
    household_type: col('text', false, false),
    danger_grade: col('text', false, false),
    method: col('text', false, false),
    year_from: col('smallint', false, false),
    year_to: col('smallint', false, false),
    amount_yuan: col('numeric', false, false),
    updated_by: col('bigint', true, null),
    updated_at: col(TS, false, true),
  },
  household_flags: {
    id: col('bigint', false, true),
    household_id: col('bigint', false, false),
    kind: col('text', false, false),
    detail: col('jsonb', false, true),
    raised_at: col(TS, false, true),
    resolved_at: col(TS, true, null),
    cleared_at: col(TS, true, null),
    cleared_by: col('bigint', true, null),
    clear_note: col('text', true, null),
  },
  household_leads: {
    household_id: col('bigint', false, false),
    report_id: col('bigint', false, false),
    linked_by: col('bigint', false, false),
    linked_at: col(TS, false, true),
  },
  household_imports: {
    id: col('bigint', false, true),
    file_digest: col('bytea', false, false),
    file_kind: col('text', false, false),
    file_sealed: col('bytea', true, null),
    row_count: col('integer', false, true),
    summary: col('jsonb', false, true),
    status: col('text', false, true),
    uploaded_by: col('bigint', false, false),
    uploaded_at: col(TS, false, true),
    committed_at: col(TS, true, null),
  },
  household_village_counts: {
    village: col('text', false, false),
    households: col('integer', false, false),
    flagged: col('integer', false, false),
    kinds: col('jsonb', false, true),
    counted_at: col(TS, false, true),
  },
  recheck_draws: {
    id: col('bigint', false, true),
    kind: col('text', false, false),
    seed: col('text', false, false),
    rate_percent: col('numeric', false, false),
    minimum_per_village: col('integer', false, false),
    candidate_count: col('integer', false, false),
    candidate_digest: col('text', false, false),
    forced_flagged: col('boolean', false, true),
    drawn_by: col('bigint', false, false),
    drawn_at: col(TS, false, true),
    programme_year: col('smallint', true, null),
  },
  recheck_items: {
    id: col('bigint', false, true),
    draw_id: col('bigint', false, false),
    household_id: col('bigint', false, false),
    position: col('integer', false, false),
    forced: col('boolean', false, true),
    method: col('text', true, null),
    checked_on: col('date', true, null),
    checker_id: col('bigint', true, null),
    fields: col('jsonb', true, null),
    note: col('text', true, null),
    recorded_at: col(TS, true, null),
  },
  problem_row_households: {
    row_id: col('bigint', false, false),
    household_id: col('bigint', false, false),
    recheck_item_id: col('bigint', true, null),
    linked_at: col(TS, false, true),
  },
  campaign_settings: {
    field: col('text', false, false),
    value: col('jsonb', false, false),
    updated_by: col('bigint', true, null),
    updated_at: col(TS, false, true),
  },
  setup_links: {
    token_hash: col('bytea', false, false),
    created_at: col(TS, false, true),
    expires_at: col(TS, false, false),
    used_at: col(TS, true, null),
    used_by: col('bigint', true, null),
  },
  mail_outbox: {
    id: col('bigint', false, true),
    kind: col('text', false, false),
    recipient_id: col('bigint', true, null),
    payload: col('jsonb', false, true),
    dedup_key: col('text', true, null),
    attempts: col('integer', false, true),
    next_attempt_at: col(TS, true, null),
    sent_at: col(TS, true, null),
    last_error: col('text', true, null),
    created_at: col(TS, false, true),
  },
};

interface DbColumn {
  table_name: string;
  column_name: string;
  data_type: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
  is_identity: 'YES' | 'NO';
}

const migrationFiles = () => readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();

t.test('every table and column of the interface exists with a compatible type, and nothing more', async (t) => {
  const database = await testDatabase(t);
  const { rows } = await sql<DbColumn>`
    SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity
    FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`.execute(database.db);

  const tables = Object.keys(EXPECTED).sort();
  t.same(await publicTables(database.db), [...tables, 'schema_migrations'].sort(), 'the same tables (plus the migrations record)');
  for (const table of tables) {
    const expected = EXPECTED[table as keyof Database] as Record<string, { type: string; nullable: boolean; defaulted: boolean | null }>;
    const actual = rows.filter((r) => r.table_name === table);
    t.same(actual.map((r) => r.column_name).sort(), Object.keys(expected).sort(), `${table}: the same columns`);
    for (const c of actual) {
      const want = expected[c.column_name];
      if (!want) continue;
      const name = `${table}.${c.column_name}`;
      t.equal(c.data_type, want.type, `${name}: ${want.type}`);
      t.equal(c.is_nullable === 'YES', want.nullable, `${name}: ${want.nullable ? 'nullable' : 'NOT NULL'}`);
      if (want.defaulted !== null) {
        const hasDefault = c.column_default !== null || c.is_identity === 'YES';
        t.equal(hasDefault, want.defaulted, `${name}: ${want.defaulted ? 'has a default' : 'must be given on insert'}`);
      }
    }
  }
  t.notOk(rows.some((r) => /(^|_)(ip|addr|address|agent|user_agent|remote|forwarded)(_|$)/.test(r.column_name)), 'no column for a client address or user agent');
});

t.test('migrations are recorded once and applying them again changes nothing', async (t) => {
  const database = await testDatabase(t);
  // Start from an empty schema so that the whole history is applied here.
  await sql`DROP SCHEMA public CASCADE`.execute(database.db);
  await sql`CREATE SCHEMA public`.execute(database.db);
  t.same(await migrate(database.pool), migrationFiles(), 'a fresh database gets every migration, in order');
  const recorded = await sql<{ name: string; applied_at: Date }>`SELECT name, applied_at FROM schema_migrations ORDER BY name`.execute(database.db);
  t.same(recorded.rows.map((r) => r.name), migrationFiles(), 'each is recorded in schema_migrations');
  t.ok(recorded.rows.every((r) => r.applied_at instanceof Date), 'with the time it was applied');

  const columnsBefore = await sql`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`.execute(database.db);
  t.same(await migrate(database.pool), [], 'a second run applies nothing');
  t.same(await migrate(database.pool), [], 'nor a third');
  const columnsAfter = await sql`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`.execute(database.db);
  t.same(columnsAfter.rows, columnsBefore.rows, 'the schema is unchanged');
  const again = await sql<{ n: string }>`SELECT count(*) AS n FROM schema_migrations`.execute(database.db);
  t.equal(Number(again.rows[0]!.n), migrationFiles().length, 'and nothing is recorded twice');
});

t.test('a failing migration leaves the schema as it was', async (t) => {
  const database = await testDatabase(t);
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  for (const f of migrationFiles()) writeFileSync(join(dir, f), '-- already applied\n');
  writeFileSync(join(dir, '900_good.sql'), 'CREATE TABLE scratch_good (id int);');
  writeFileSync(join(dir, '901_bad.sql'), 'CREATE TABLE scratch_bad (id int); SELECT no_such_function();');
  const before = await publicTables(database.db);
  await t.rejects(migrate(database.pool, dir), /no_such_function/);
  t.same(await publicTables(database.db), before, 'neither the good nor the bad migration left a table');
  const recorded = await sql<{ name: string }>`SELECT name FROM schema_migrations`.execute(database.db);
  t.notOk(recorded.rows.some((r) => r.name.startsWith('90')), 'and neither is recorded');
});
