import { createHmac } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { storeAttachments, type FilesToStore } from '../attachments/service.js';
import { recordAudit } from '../audit/service.js';
import { generateCode, hashCode, parseCode } from '../lib/codes.js';
import type { Database, NewReport, ReportStatus } from '../db/schema.js';
import { firstStep, type LeadRules } from '../leads/deadlines.js';
import { insertEvent } from '../leads/repository.js';
import { enqueueGuessingNotice } from '../mail/repository.js';
import { threadEntries, type ThreadEntry } from '../messages/thread.js';
import { deriveKey } from '../lib/secret.js';
import { seal, sealBytes, unseal, unsealBytes } from '../lib/seal.js';
import type { Actor } from '../staff/access.js';
import { findPublicStatus, findReceipt, insertReport, insertReportWithReceipt, type InsertedReport } from './repository.js';
import type { ReportInput } from './schema.js';

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

export interface SubmitResult {
  id: string;
  code: string;
  status: ReportStatus;
  submittedAt: Date;
  /** True when this was a repeat of a submission already stored: the same code is shown again. */
  replayed: boolean;
}

function hmac(key: Buffer, ...parts: string[]): Buffer {
  return createHmac('sha256', key).update(parts.join('\0')).digest();
}

/** How a report reached us. */
export interface Intake {
  token?: string;
  channel?: string;
  receivedAt?: Date;
  recordedBy?: string;
}

function toRow(input: ReportInput, codeHash: Buffer, keys: ReportKeys, intake: Intake, first: { dueOn: string; upward: boolean }): NewReport {
  return {
    code_hash: codeHash,
    due_on: first.dueOn,
    upward: first.upward,
    ...(intake.channel ? { channel: intake.channel } : {}),
    ...(intake.receivedAt ? { received_at: intake.receivedAt } : {}),
    recorded_by: intake.recordedBy ?? null,
    category: input.category,
    typical_form: input.typicalForm ?? null,
    village: input.village ?? null,
    subject: input.subject ?? null,
    description: input.description,
    period_month: input.period ? `${input.period}-01` : null,
    amount_yuan: input.amount ?? null,
    real_name: input.realName !== undefined,
    // The identity is readable only with APP_SECRET; staff reveal it explicitly (the triage issue).
    identity_sealed: input.realName ? seal(keys.identity, JSON.stringify(input.realName)) : null,
  };
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && e.constraint === constraint;
}

/** What is stored with a new report in its transaction (nothing is, on a replay). */
type WithReport = (trx: Transaction<Database>, reportId: string) => Promise<void>;

/**
 * A report with files, or with a record of its own (an intake), is stored in one transaction with
 * them: the code is shown only once all are.
 */
async function insertTogether(
  db: Kysely<Database>,
  files: FilesToStore | undefined,
  withReport: WithReport | undefined,
  insert: (db: Kysely<Database>) => Promise<InsertedReport>,
) {
  if (!files?.files.length && !withReport) return insert(db);
  return db.transaction().execute(async (trx) => {
    const r = await insert(trx);
    if (files?.files.length) await storeAttachments(trx, r.id, null, files);
    await withReport?.(trx, r.id);
    return r;
  });
}

/**
 * Stores a report (and its files) and returns its tracking code, which exists nowhere else from
 * now on: the database keeps only its keyed hash. With a submission token (carried by the form
 * page), a repeat of the same submission, files included, finds the first report and returns the
 * same code.
 */
export async function submitReport(
  db: Kysely<Database>,
  keys: ReportKeys,
  rules: LeadRules,
  input: ReportInput,
  intake: Intake,
  files?: FilesToStore,
): Promise<SubmitResult> {
  return storeReport(db, keys, rules, input, intake, files, undefined);
}

/**
 * A lead a staff member typed in (phone, reception day, letter…): the report as the public form
 * stores it, its intake event and its audit row, in one transaction, so no lead exists without the
 * record of who took it. Idempotent by the page's token like the form: a repeat stores nothing.
 */
export async function submitIntake(
  db: Kysely<Database>,
  staff: Actor,
  keys: ReportKeys,
  rules: LeadRules,
  input: ReportInput,
  intake: Intake & { channel: string },
): Promise<SubmitResult> {
  const withIntake: WithReport = async (trx, reportId) => {
    await insertEvent(trx, { reportId, actorId: staff.userId, kind: 'intake', detail: { channel: intake.channel } });
    await recordAudit(trx, { actorId: staff.userId, action: 'lead.intake', reportId });
  };
  return storeReport(db, keys, rules, input, { ...intake, recordedBy: staff.userId }, undefined, withIntake);
}

async function storeReport(
  db: Kysely<Database>,
  keys: ReportKeys,
  rules: LeadRules,
  input: ReportInput,
  intake: Intake,
  files: FilesToStore | undefined,
  withReport: WithReport | undefined,
): Promise<SubmitResult> {
  const { token } = intake;
  // The first deadline runs from the day the report reached us (a letter may arrive days before
  // it is typed in), and is shorter when it names the town's own leadership.
  const first = firstStep(rules, input, intake.receivedAt ?? new Date());
  for (let attempt = 0; attempt < 3; attempt++) {
    const code = generateCode();
    const row = toRow(input, hashCode(keys.code, code), keys, intake, first);
    try {
      if (!token) {
        const r = await insertTogether(db, files, withReport, (q) => insertReport(q, row));
        return { id: r.id, code, status: 'received', submittedAt: r.submittedAt, replayed: false };
      }
      const tokenHash = hmac(keys.token, 'token', token);
      const fileDigests = files?.files.map((f) => `${f.sha256.toString('hex')} ${f.name}`) ?? [];
      const inputHash = hmac(keys.token, 'input', token, JSON.stringify(input), ...fileDigests);
      // Only the reporter's page knows the token, so only a repeat from it can reopen the code.
      const receiptKey = hmac(keys.receipt, token);
      // Insert first: a repeat is rare, and its conflict on the token sends it round the loop to
      // find the receipt, so the common case costs one statement.
      const existing = attempt === 0 ? undefined : await findReceipt(db, tokenHash);
      if (existing?.input_hash.equals(inputHash)) {
        return {
          id: existing.report_id,
          code: unseal(receiptKey, existing.sealed_code),
          status: existing.status,
          submittedAt: existing.submitted_at,
          replayed: true,
        };
      }
      // Same token, different content: the reporter went back and wrote another report.
      if (existing) return await storeReport(db, keys, rules, input, { ...intake, token: undefined }, files, withReport);
      const receipt = { tokenHash, inputHash, sealedCode: seal(receiptKey, code) };
      const r = await insertTogether(db, files, withReport, (q) => insertReportWithReceipt(q, row, receipt));
      return { id: r.id, code, status: 'received', submittedAt: r.submittedAt, replayed: false };
    } catch (err) {
      // A concurrent repeat of the same submission won the race: loop to find its receipt.
      if (isUniqueViolation(err, 'submission_receipts_pkey')) continue;
      // Two codes colliding is a 2^-63 event, but costs nothing to handle.
      if (isUniqueViolation(err, 'reports_code_hash_key')) continue;
      throw err;
    }
  }
  throw new Error('could not store the report after 3 attempts');
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
