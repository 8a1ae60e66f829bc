import { createHmac } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { storeAttachments, type FilesToStore } from '../attachments/service.js';
import { recordAudit } from '../audit/service.js';
import { generateCode, hashCode } from '../lib/codes.js';
import type { Database, NewReport, ReportStatus } from '../db/schema.js';
import { firstStep, type LeadRules } from '../leads/deadlines.js';
import { insertEvent } from '../leads/repository.js';
import { seal, unseal } from '../lib/seal.js';
import type { Actor } from '../staff/access.js';
import { findReceipt, insertReport, insertReportWithReceipt, type InsertedReport } from './repository.js';
import type { ReportInput } from './schema.js';
import type { ReportKeys } from './service.js';

// Storing a new report: from the public form and the API (submitReport), or typed in by staff
// (submitIntake). The status lookups and the keys are in ./service.ts.

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
