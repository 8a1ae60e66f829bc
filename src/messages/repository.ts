import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, MessageKind, ReportStatus } from '../db/schema.js';

type Db = Kysely<Database>;

/** The reporter's own thread, oldest first (by id: times are kept to the hour): never who on the staff asked. */
export function findReporterThread(db: Db, reportId: string) {
  return db
    .selectFrom('report_messages')
    .select(['kind', 'body', 'answered_at', 'created_at'])
    .where('report_id', '=', reportId)
    .orderBy('id')
    .execute();
}

/**
 * A lead's thread as staff see it: its own messages and those of the duplicates merged into it,
 * oldest first, with who asked each question.
 */
export function findLeadThread(db: Db, leadId: string) {
  return db
    .selectFrom('report_messages as m')
    .leftJoin('staff_users as s', 's.id', 'm.staff_id')
    .select(['m.id', 'm.report_id', 'm.kind', 'm.body', 'm.answered_at', 'm.created_at', 's.username as asker'])
    .where((eb) =>
      eb.or([
        eb('m.report_id', '=', leadId),
        eb('m.report_id', 'in', eb.selectFrom('reports').select('id').where('merged_into_id', '=', leadId)),
      ]),
    )
    .orderBy('m.id')
    .execute();
}

/**
 * The lead's status, its row locked until the transaction ends: messages to one lead queue up, and
 * a status change waits for them. (No key update: inserts referencing the lead are not held up.)
 */
export async function lockLeadStatus(trx: Transaction<Database>, leadId: string): Promise<ReportStatus | undefined> {
  const row = await trx.selectFrom('reports').select('status').where('id', '=', leadId).forNoKeyUpdate().executeTakeFirst();
  return row?.status;
}

export function findOldestOpenQuestion(trx: Transaction<Database>, reportId: string) {
  return trx
    .selectFrom('report_messages')
    .select('id')
    .where('report_id', '=', reportId)
    .where('kind', '=', 'question')
    .where('answered_at', 'is', null)
    .orderBy('id')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
}

export async function insertMessage(
  trx: Transaction<Database>,
  m: { reportId: string; kind: MessageKind; body: string; staffId?: string },
): Promise<string> {
  const row = await trx
    .insertInto('report_messages')
    .values({ report_id: m.reportId, kind: m.kind, body: m.body, staff_id: m.staffId ?? null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function markAnswered(trx: Transaction<Database>, questionId: string): Promise<void> {
  await trx.updateTable('report_messages').set({ answered_at: sql<Date>`now()` }).where('id', '=', questionId).execute();
}

/**
 * The reporter wrote: the lead goes to the top of the queue (1), a report of retaliation above
 * everything and at high priority (2). Attention never drops here, only when staff handle it; the
 * version moves on, so a page opened before the message cannot mark it handled unseen.
 */
export async function raiseAttention(trx: Transaction<Database>, leadId: string, level: 1 | 2): Promise<void> {
  await trx
    .updateTable('reports')
    .set((eb) => ({
      attention: sql<number>`greatest(attention, ${level})`,
      version: eb('version', '+', 1),
      ...(level === 2 ? { priority: 1 } : {}),
    }))
    .where('id', '=', leadId)
    .execute();
}
