import { CompiledQuery, type Kysely } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { Database, NewReport, ReportStatus, MessageKind } from '../db/schema.js';
import { NEW_LEAD_NOTICE } from '../mail/repository.js';

type Db = Kysely<Database>;

export interface InsertedReport {
  id: string;
  submittedAt: Date;
}

/**
 * The report and its "new lead waiting" notice in one statement (a data-modifying CTE): the notice
 * cannot be lost or sent for a report that was not stored.
 */
export async function insertReport(db: Db, row: NewReport): Promise<InsertedReport> {
  const r = await db
    .with('notice', (q) => q.insertInto('mail_outbox').values(NEW_LEAD_NOTICE))
    .insertInto('reports')
    .values(row)
    .returning(['id', 'submitted_at'])
    .executeTakeFirstOrThrow();
  return { id: r.id, submittedAt: r.submitted_at };
}

/**
 * The report, its receipt and its new-lead notice in one statement (a data-modifying CTE): atomic
 * without an explicit transaction, and one round trip. A concurrent duplicate token fails the
 * whole statement.
 */
export async function insertReportWithReceipt(
  db: Db,
  row: NewReport,
  receipt: { tokenHash: Buffer; inputHash: Buffer; sealedCode: Buffer },
): Promise<InsertedReport> {
  const r = await db
    .with('notice', (q) => q.insertInto('mail_outbox').values(NEW_LEAD_NOTICE))
    .with('r', (q) => q.insertInto('reports').values(row).returning(['id', 'submitted_at']))
    .insertInto('submission_receipts')
    .columns(['token_hash', 'input_hash', 'sealed_code', 'report_id', 'created_at'])
    .expression((eb) =>
      eb
        .selectFrom('r')
        .select((s) => [
          s.val(receipt.tokenHash).as('token_hash'),
          s.val(receipt.inputHash).as('input_hash'),
          s.val(receipt.sealedCode).as('sealed_code'),
          'r.id',
          'r.submitted_at',
        ]),
    )
    .returning(['report_id', 'created_at'])
    .executeTakeFirstOrThrow();
  return { id: r.report_id, submittedAt: r.created_at };
}

export async function findReceipt(db: Db, tokenHash: Buffer) {
  return db
    .selectFrom('submission_receipts as s')
    .innerJoin('reports as r', 'r.id', 's.report_id')
    .select(['s.report_id', 's.input_hash', 's.sealed_code', 'r.submitted_at', 'r.status'])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function deleteReceiptsBefore(db: Db, before: Date): Promise<number> {
  const r = await db.deleteFrom('submission_receipts').where('created_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export interface PublicStatusRow {
  id: string;
  merged_into_id: string | null;
  status: ReportStatus;
  submitted_at: Date;
  status_changed_at: Date;
  updates: { body: string; created_at: string }[];
  /** The names of the files sent with this report and its messages (never their contents). */
  files: { display_name: string }[];
  /** This report's own conversation with staff, oldest first (src/messages/thread.ts threadEntries). */
  messages: { kind: MessageKind; body: string; created_at: string; answered_at: string | null }[];
}

export type StatusKey = { codeHash: Buffer } | { id: string };

/** The lookup's query (exported for the bench's bare page route, limit B′, to send the same SQL). */
export function publicStatusQuery(db: Db, where: StatusKey) {
  return db
    .selectFrom('reports as r')
    .select((eb) => [
      'r.id',
      'r.merged_into_id',
      'r.status',
      'r.submitted_at',
      'r.status_changed_at',
      jsonArrayFrom(
        eb.selectFrom('report_updates as u').select(['u.body', 'u.created_at']).whereRef('u.report_id', '=', 'r.id').orderBy('u.created_at'),
      ).as('updates'),
      jsonArrayFrom(eb.selectFrom('attachments as a').select('a.display_name').whereRef('a.report_id', '=', 'r.id').orderBy('a.id')).as('files'),
      jsonArrayFrom(
        eb
          .selectFrom('report_messages as m')
          .select(['m.kind', 'm.body', 'm.created_at', 'm.answered_at'])
          .whereRef('m.report_id', '=', 'r.id')
          .orderBy('m.id'),
      ).as('messages'),
    ])
    .where((eb) => ('id' in where ? eb('r.id', '=', where.id) : eb('r.code_hash', '=', where.codeHash)));
}

// The lookup is the portal's busiest query: its SQL (one text per key, with the key as its only
// parameter) is built once rather than on every request (docs/PERFORMANCE.md). Every lookup still
// reads the database.
const publicStatusSql: { id?: string; codeHash?: string } = {};

/** Everything the reporter may see, in one indexed query whether or not the code exists (one round trip per lookup). */
export async function findPublicStatus(db: Db, where: StatusKey): Promise<PublicStatusRow | undefined> {
  const key = 'id' in where ? 'id' : 'codeHash';
  const text = (publicStatusSql[key] ??= publicStatusQuery(db, where).compile().sql);
  const r = await db.executeQuery<PublicStatusRow>(CompiledQuery.raw(text, ['id' in where ? where.id : where.codeHash]));
  return r.rows[0];
}
