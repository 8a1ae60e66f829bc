import type { Insertable, Kysely, Transaction } from 'kysely';
import type { AttachmentsTable, Database } from '../db/schema.js';

type Db = Kysely<Database>;

export async function insertAttachments(trx: Transaction<Database>, rows: Insertable<AttachmentsTable>[]): Promise<void> {
  if (rows.length > 0) await trx.insertInto('attachments').values(rows).execute();
}

/** A lead's files without their contents, in the order they were sent. */
export async function listAttachments(db: Db, reportId: string) {
  return db
    .selectFrom('attachments')
    .select(['id', 'message_id', 'display_name', 'mime', 'size_bytes', 'created_at'])
    .where('report_id', '=', reportId)
    .orderBy('id')
    .execute();
}

/** One file of one lead, still sealed, with the lead's assignee: found only under its own lead. */
export async function findAttachment(db: Db, reportId: string, id: string) {
  return db
    .selectFrom('attachments as a')
    .innerJoin('reports as r', 'r.id', 'a.report_id')
    .select(['a.id', 'a.display_name', 'a.mime', 'a.sha256', 'a.sealed', 'r.assignee_id'])
    .where('a.report_id', '=', reportId)
    .where('a.id', '=', id)
    .executeTakeFirst();
}
