import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/service.js';
import { hashCode, parseCode } from '../lib/codes.js';
import type { Database, ReportStatus } from '../db/schema.js';
import { enqueueGuessingNotice } from '../mail/repository.js';
import { threadEntries, type ThreadEntry } from '../messages/thread.js';
import { deriveKey } from '../lib/secret.js';
import { sealBytes, unsealBytes } from '../lib/seal.js';
import { findPublicStatus } from './repository.js';

export interface ReportKeys {
  code: Buffer;
  token: Buffer;
  /** Signs the report form's token (./form-token.ts). */
  form: Buffer;
  receipt: Buffer;
  /** Seals the status page's view token. */
  statusView: Buffer;
  /** Seals the receipt page the language switch posts back (src/reports/receipt-page.ts). */
  receiptPage: Buffer;
  identity: Buffer;
}

export function reportKeys(secret: string): ReportKeys {
  return {
    code: deriveKey(secret, 'tracking-code'),
    token: deriveKey(secret, 'submission-token'),
    form: deriveKey(secret, 'form-token'),
    receipt: deriveKey(secret, 'receipt-seal'),
    statusView: deriveKey(secret, 'status-view-seal'),
    receiptPage: deriveKey(secret, 'receipt-page'),
    identity: deriveKey(secret, 'identity-seal'),
  };
}

export type StatusLookup =
  | { kind: 'invalid'; reason: 'format' | 'checkDigit' }
  | { kind: 'notFound' }
  | {
      kind: 'found';
      /**
       * Stands in for the code in the status page's message form, so the page never holds the code:
       * the report's id sealed with an expiry (VIEW_MINUTES), useless once the page is old.
       */
      view: string;
      /** The reporter's own report, which holds their messages. */
      reportId: string;
      /** The lead they follow: their own, or the one it was merged into. */
      leadId: string;
      /** Merged into another lead: status and answers are that lead's (the reporter's own answers too). */
      merged: boolean;
      status: ReportStatus;
      submittedAt: Date;
      statusChangedAt: Date;
      updates: { body: string; createdAt: Date }[];
      /** The names of the files this reporter sent (a merged case's other files are not theirs). */
      files: string[];
      /** The conversation with staff: this reporter's own, never another reporter's of a merged case. */
      thread: ThreadEntry[];
    };

/** How long a status page's message form stays usable: long enough to write a message slowly. */
export const VIEW_MINUTES = 60;

function viewToken(keys: ReportKeys, reportId: string, now: number): string {
  return sealBytes(keys.statusView, Buffer.from(`${reportId}.${now + VIEW_MINUTES * 60_000}`)).toString('base64url');
}

/** The report id a view token stands for, or null when it is forged, damaged or expired. */
function openView(keys: ReportKeys, view: string, now: number): string | null {
  try {
    const [id, until] = unsealBytes(keys.statusView, Buffer.from(view, 'base64url')).toString().split('.');
    return /^\d+$/.test(id ?? '') && Number(until) > now ? id! : null;
  } catch {
    return null;
  }
}

/**
 * Each public text once: a line staff wrote at one step and again as the answer (or a merged case's
 * update the reporter's own report also carries) is shown at its latest date only.
 */
export function onceEach<T extends { body: string }>(updates: readonly T[]): T[] {
  const last = new Map<string, number>();
  updates.forEach((u, i) => last.set(u.body.trim(), i));
  return updates.filter((u, i) => last.get(u.body.trim()) === i);
}

export async function lookupStatus(db: Kysely<Database>, keys: ReportKeys, input: string): Promise<StatusLookup> {
  const parsed = parseCode(input);
  if (!parsed.ok) return { kind: 'invalid', reason: parsed.reason };
  return statusOf(db, keys, { codeHash: hashCode(keys.code, parsed.code) });
}

/** The status behind a status page's view token; 'expired' once it is too old (or was never ours). */
export async function lookupStatusView(db: Kysely<Database>, keys: ReportKeys, view: string): Promise<StatusLookup | { kind: 'expired' }> {
  const id = openView(keys, view, Date.now());
  const found = id ? await statusOf(db, keys, { id }) : null;
  return found?.kind === 'found' ? found : { kind: 'expired' };
}

async function statusOf(db: Kysely<Database>, keys: ReportKeys, where: { codeHash: Buffer } | { id: string }): Promise<StatusLookup> {
  const row = await findPublicStatus(db, where);
  if (!row) return { kind: 'notFound' };
  // A duplicate's reporter follows the lead it was merged into, with their own code.
  const target = row.merged_into_id ? await findPublicStatus(db, { id: row.merged_into_id }) : undefined;
  const updates = onceEach(
    [...row.updates, ...(target?.updates ?? [])]
      .map((u) => ({ body: u.body, createdAt: new Date(u.created_at) }))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()),
  );
  return {
    kind: 'found',
    view: viewToken(keys, row.id, Date.now()),
    reportId: row.id,
    leadId: target?.id ?? row.id,
    merged: target !== undefined,
    status: target?.status ?? row.status,
    submittedAt: row.submitted_at,
    statusChangedAt: target?.status_changed_at ?? row.status_changed_at,
    updates,
    files: row.files.map((f) => f.display_name),
    thread: threadEntries(row.messages),
  };
}

/**
 * The portal-wide budget of unknown codes was passed this hour (src/plugins/limits.ts): staff get
 * one notice and the audit log one entry, whichever instance noticed first.
 */
export async function reportGuessing(db: Kysely<Database>, hourStart: Date, budget: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await enqueueGuessingNotice(trx, hourStart))) return;
    await recordAudit(trx, { actorId: null, action: 'lookups.guessing', detail: { hour: hourStart.toISOString(), budget } });
  });
}
