import type { Kysely } from 'kysely';
import { storeAttachments, type FilesToStore } from '../attachments/service.js';
import { recordAudit } from '../audit/service.js';
import type { Database, ReportStatus } from '../db/schema.js';
import { findLead, insertEvent, updateLeadIfCurrent } from '../leads/repository.js';
import { enqueueFollowUpNotice } from '../mail/repository.js';
import { findOldestOpenQuestion, findReporterThread, insertMessage, lockLeadStatus, markAnswered, raiseAttention } from './repository.js';
import type { ReporterKind, ReporterMessage } from './schema.js';
import { threadEntries, type ThreadEntry } from './thread.js';

type Db = Kysely<Database>;

export async function reporterThread(db: Db, reportId: string): Promise<ThreadEntry[]> {
  return threadEntries(await findReporterThread(db, reportId));
}

export type MessageProblem = 'closed' | 'noQuestion' | 'tooEarly';

/** Why a reporter may not send this kind of message to a lead in this state; null when they may. */
export function messageProblem(status: ReportStatus, kind: ReporterKind, openQuestion: boolean): MessageProblem | null {
  // A transferred lead is handled elsewhere, and an upward one must keep nothing here.
  if (status === 'transferred') return 'closed';
  if (kind === 'answer' && !openQuestion) return 'noQuestion';
  if (kind === 'retaliation' && status !== 'concluded') return 'tooEarly';
  return null;
}

/** The kinds the status page offers for a lead in this state, the one to preselect first. */
export function offeredKinds(status: ReportStatus, thread: ThreadEntry[]): ReporterKind[] {
  const open = thread.some((e) => e.awaitingAnswer);
  return (['answer', 'info', 'retaliation'] as const).filter((k) => messageProblem(status, k, open) === null);
}

/**
 * Stores a reporter's message on their own report and brings the lead they follow (their own, or
 * the one it was merged into) back to the top of the queue, with a content-free notice to its
 * assignee — in one transaction, with the files sent along. An answer answers the oldest open question.
 */
export async function postReporterMessage(
  db: Db,
  where: { reportId: string; leadId: string },
  message: Pick<ReporterMessage, 'kind' | 'text'>,
  files?: FilesToStore,
): Promise<MessageProblem | null> {
  return db.transaction().execute(async (trx) => {
    const status = await lockLeadStatus(trx, where.leadId);
    if (!status) return 'closed';
    const question = message.kind === 'answer' ? await findOldestOpenQuestion(trx, where.reportId) : undefined;
    const problem = messageProblem(status, message.kind, question !== undefined);
    if (problem) return problem;
    const messageId = await insertMessage(trx, { reportId: where.reportId, kind: message.kind, body: message.text });
    if (files?.files.length) await storeAttachments(trx, where.reportId, messageId, files);
    if (question) await markAnswered(trx, question.id);
    await raiseAttention(trx, where.leadId, message.kind === 'retaliation' ? 2 : 1);
    await enqueueFollowUpNotice(trx, where.leadId);
    return null;
  });
}

/**
 * Staff ask the reporter a question, which they see the next time they look their code up. The
 * reporter's messages count as handled too, unless one arrived after the asker's page was loaded.
 * False when the lead is gone or was transferred (its reporter can no longer answer here).
 */
export async function askReporter(db: Db, actorId: string, leadId: string, version: number, body: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const lead = await findLead(trx, leadId);
    if (!lead || lead.status === 'transferred') return false;
    await insertMessage(trx, { reportId: leadId, kind: 'question', body, staffId: actorId });
    await updateLeadIfCurrent(trx, leadId, version, { attention: 0 });
    await recordAudit(trx, { actorId, action: 'lead.question', reportId: leadId });
    return true;
  });
}

/** The reporter's new messages were read and dealt with: the lead takes its usual place in the queue. */
export async function markHandled(db: Db, actorId: string, leadId: string, version: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const lead = await findLead(trx, leadId);
    if (!lead?.attention || !(await updateLeadIfCurrent(trx, leadId, version, { attention: 0 }))) return false;
    await insertEvent(trx, { reportId: leadId, actorId, kind: 'handled', detail: { attention: lead.attention } });
    await recordAudit(trx, { actorId, action: 'lead.handled', reportId: leadId, detail: { attention: lead.attention } });
    return true;
  });
}
