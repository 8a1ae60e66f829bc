import { createHash, createHmac } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { recordAudit } from '../audit/service.js';
import type { Campaign } from '../campaign/schema.js';
import type { Database } from '../db/schema.js';
import { sealBytes, unsealSlices } from '../lib/seal.js';
import { deriveKey } from '../lib/secret.js';
import type { FlagSettings } from './flags/kinds.js';
import { DEFAULT_IMPORT_LIMITS, detectKind, ImportFileError, readHouseholdRows, type ImportLimits, type RowProblem } from './import-file.js';
import { hashIdNumber, maskIdNumber, openIdNumber, storedIdNumber, type IdKeys } from './id-number.js';
import {
  analyzeRegister,
  clearFlag,
  estimatedHouseholds,
  closeImport,
  findByKeys,
  findPaymentsOf,
  insertHistories,
  insertHouseholds,
  replacePaymentsOf,
  type HistoryEntry,
  findPendingImport,
  readSealedFile,
  findHousehold,
  findPayments,
  findSealedId,
  insertHistory,
  insertHousehold,
  insertImport,
  refreshFlags,
  refreshHouseholdFlags,
  recountVillages,
  type PriorKeys,
  villageOf,
  replacePayments,
  deleteLeadLink,
  exportHouseholds,
  exportHouseholdsSealed,
  type RegisterFilter,
  deleteStandard,
  insertLeadLink,
  updateHousehold,
  upsertStandard,
  type NewHousehold,
  type StoredHousehold,
} from './repository.js';
import type { HouseholdInput, PaymentInput } from './schema.js';

// The register's changes, one function per use case: each takes the staff member, owns its
// transaction, writes the household's history and the audit row in it, and brings the flags of the
// villages it touched up to date before committing. ID numbers enter the history masked only.

type Db = Kysely<Database>;
type Trx = Transaction<Database>;

export function householdKeys(secret: string): IdKeys {
  return { seal: deriveKey(secret, 'household-id-seal'), hash: deriveKey(secret, 'household-id-hash') };
}

export function flagSettings(campaign: Campaign): FlagSettings {
  return { postingMinDays: campaign.register.postingMinDays, archiveItems: campaign.register.archiveItems.map((i) => i.key) };
}

/**
 * A keyed digest of the whole record: an import of the same file changes nothing. Keyed, because
 * the record holds the ID number and a plain hash of few unknowns could be searched.
 */
function contentDigest(keys: IdKeys, input: HouseholdInput): Buffer {
  return createHmac('sha256', keys.hash).update(`household:${JSON.stringify(input)}`).digest();
}

function toRow(keys: IdKeys, input: HouseholdInput): Omit<NewHousehold, 'created_by'> {
  return {
    village: input.village,
    village_group: input.villageGroup,
    head_name: input.headName,
    ...storedIdNumber(keys, input.idNumber),
    phone: input.phone,
    household_type: input.householdType,
    danger_grade: input.dangerGrade,
    method: input.method,
    programme_year: input.programmeYear,
    approved_yuan: input.approvedYuan,
    accepted_on: input.acceptedOn,
    posted_village_from: input.postedVillageFrom,
    posted_village_to: input.postedVillageTo,
    posted_town_from: input.postedTownFrom,
    posted_town_to: input.postedTownTo,
    archive: JSON.stringify(input.archive),
    proxy_reason: input.proxyReason,
    content_digest: contentDigest(keys, input),
  };
}

// Compared one by one for the history; the ID number by its hash, written masked.
const FIELDS = [
  ['village', 'village'], ['villageGroup', 'village_group'], ['headName', 'head_name'], ['phone', 'phone'],
  ['householdType', 'household_type'], ['dangerGrade', 'danger_grade'], ['method', 'method'], ['programmeYear', 'programme_year'],
  ['approvedYuan', 'approved_yuan'], ['acceptedOn', 'accepted_on'], ['postedVillageFrom', 'posted_village_from'],
  ['postedVillageTo', 'posted_village_to'], ['postedTownFrom', 'posted_town_from'], ['postedTownTo', 'posted_town_to'],
  ['proxyReason', 'proxy_reason'],
] as const satisfies readonly (readonly [keyof HouseholdInput, keyof StoredHousehold])[];

type Payment = { paid_on: string; amount_yuan: string; payee_name: string; channel: string };
const paymentText = (p: Payment) => `${p.paid_on} ${p.amount_yuan} ${p.payee_name}${p.channel ? ` (${p.channel})` : ''}`;
const inputPaymentText = (p: PaymentInput) => paymentText({ paid_on: p.paidOn, amount_yuan: p.amountYuan, payee_name: p.payeeName, channel: p.channel });

function changesOf(keys: IdKeys, before: StoredHousehold, payments: Payment[], after: HouseholdInput): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  for (const [field, column] of FIELDS) {
    const old = before[column] ?? null;
    const now = after[field] ?? null;
    if (String(old) !== String(now)) changes[field] = [old, now];
  }
  if (!hashIdNumber(keys, after.idNumber).equals(before.id_hash)) changes.idNumber = [before.id_masked, maskIdNumber(after.idNumber)];
  const archive = before.archive as Record<string, boolean>;
  for (const [item, present] of Object.entries(after.archive)) {
    if ((archive[item] ?? false) !== present) changes[`archive.${item}`] = [archive[item] ?? false, present];
  }
  const oldPayments = payments.map(paymentText).join('; ');
  const newPayments = after.payments.map(inputPaymentText).join('; ');
  if (oldPayments !== newPayments) changes.payments = [oldPayments, newPayments];
  return changes;
}

/** The households an import created or changed, and what the changed ones were: the flag refresh's scope. */
type Touched = { households: string[]; prior: PriorKeys[] };

/** Rows stored per round of statements: large enough that a 100,000-row file takes 100 rounds, small enough for any statement's parameter limit. */
export const IMPORT_BATCH = 1000;

const keyOf = (village: string, idHash: Buffer, year: number) => `${village}|${idHash.toString('hex')}|${year}`;

/**
 * One batch of imported records by their keys (unique within a file: the reader refuses a repeat):
 * each created, updated (with its history) or left as it was, in a few statements for the batch.
 */
async function storeBatch(
  trx: Trx,
  keys: IdKeys,
  actorId: string,
  inputs: HouseholdInput[],
  importId: string | null,
  summary: ImportSummary,
  touched: Touched,
): Promise<void> {
  const rows = inputs.map((input) => toRow(keys, input));
  const existing = new Map(
    (await findByKeys(trx, rows.map((r) => ({ village: r.village, idHash: r.id_hash, year: r.programme_year })))).map((h) => [keyOf(h.village, h.id_hash, h.programme_year), h]),
  );
  const fresh: number[] = [];
  const changed: { i: number; before: StoredHousehold }[] = [];
  rows.forEach((row, i) => {
    const before = existing.get(keyOf(row.village, row.id_hash, row.programme_year));
    if (!before) fresh.push(i);
    else if (before.content_digest.equals(row.content_digest)) summary.unchanged += 1;
    else changed.push({ i, before });
  });

  const created = await insertHouseholds(trx, fresh.map((i) => ({ ...rows[i]!, created_by: actorId })));
  const idOf = new Map(created.map((c) => [keyOf(c.village, c.id_hash, c.programme_year), c.id]));
  const payments: { householdId: string; payments: PaymentInput[] }[] = [];
  const history: HistoryEntry[] = [];
  for (const i of fresh) {
    const row = rows[i]!;
    const householdId = idOf.get(keyOf(row.village, row.id_hash, row.programme_year))!;
    payments.push({ householdId, payments: inputs[i]!.payments });
    history.push({ householdId, actorId, source: 'import', importId, changes: { created: true } });
  }

  // Changed records are few (a corrected file): each updated by itself, their history and payments batched.
  const oldPayments = new Map<string, Payment[]>();
  for (const p of await findPaymentsOf(trx, changed.map((c) => c.before.id))) oldPayments.set(p.household_id, [...(oldPayments.get(p.household_id) ?? []), p]);
  for (const { i, before } of changed) {
    const changes = changesOf(keys, before, oldPayments.get(before.id) ?? [], inputs[i]!);
    await updateHousehold(trx, before.id, before.version, rows[i]!);
    payments.push({ householdId: before.id, payments: inputs[i]!.payments });
    history.push({ householdId: before.id, actorId, source: 'import', importId, changes });
  }
  await replacePaymentsOf(trx, payments, changed.map((c) => c.before.id));
  await insertHistories(trx, history);
  for (const c of created) touched.households.push(c.id);
  for (const { before } of changed) {
    touched.households.push(before.id);
    touched.prior.push(before);
  }
  summary.created += fresh.length;
  summary.updated += changed.length;
}

export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
}

/**
 * Commits the rows of an import, all or nothing: every row is stored or none is, and the flags of
 * the villages it touched are brought up to date in the same transaction.
 */
export async function commitImport(
  db: Db,
  keys: IdKeys,
  settings: FlagSettings,
  actorId: string,
  rows: AsyncIterable<HouseholdInput> | Iterable<HouseholdInput>,
): Promise<ImportSummary> {
  return db.transaction().execute((trx) => storeAll(trx, keys, settings, actorId, rows, null));
}

async function storeAll(
  trx: Trx,
  keys: IdKeys,
  settings: FlagSettings,
  actorId: string,
  rows: AsyncIterable<HouseholdInput> | Iterable<HouseholdInput>,
  importId: string | null,
): Promise<ImportSummary> {
  const summary: ImportSummary = { created: 0, updated: 0, unchanged: 0 };
  const touched: Touched = { households: [], prior: [] };
  let batch: HouseholdInput[] = [];
  // An import into an empty or small register outgrows the statistics its statements are planned
  // with: the key lookup was planned for a near-empty table and scanned the whole of it for every
  // batch (85 s for 100,000 rows into an empty register, 2026-12-07). So the statistics are
  // refreshed each time the rows created reach the register's size as last estimated.
  let analyzeAt = Math.max(IMPORT_BATCH, await estimatedHouseholds(trx));
  const store = async (rows: HouseholdInput[]) => {
    await storeBatch(trx, keys, actorId, rows, importId, summary, touched);
    if (summary.created >= analyzeAt) {
      await analyzeRegister(trx);
      analyzeAt = 2 * summary.created;
    }
  };
  // The next batch is read (parsed and checked, CPU in this process) while the database stores the
  // last one: one batch in flight at a time, in order, on the transaction's connection. Its outcome
  // is held as a value (the error, or null) so a failure waits for the loop without going unhandled.
  let inFlight: Promise<unknown> = Promise.resolve(null);
  const settled = async () => {
    const failure = await inFlight;
    if (failure) throw failure;
  };
  try {
    for await (const input of rows) {
      batch.push(input);
      if (batch.length === IMPORT_BATCH) {
        await settled();
        inFlight = store(batch).then(() => null, (err: unknown) => err ?? new Error('import batch failed'));
        batch = [];
      }
    }
  } finally {
    // Also when the file stopped reading clean: the batch in flight settles before the rollback.
    await settled();
  }
  await store(batch);
  if (touched.households.length > 0) await refreshHouseholdFlags(trx, touched.households, settings, touched.prior);
  await recordAudit(trx, { actorId, action: 'household.import', detail: { importId, ...summary } });
  return summary;
}

/** What a file's preview found: the rows it holds, every row's problems, or why the file is refused. */
export type ImportPreview =
  | { kind: 'refused'; error: ImportFileError }
  | { kind: 'problems'; rows: number; problems: RowProblem[]; more: number }
  | { kind: 'ready'; rows: number; importId: string };

/** Problems listed on the preview page; past this many the page says how many more. */
const SHOWN_PROBLEMS = 500;

/**
 * Reads an uploaded file through: a file with any problem is refused with all of them (nothing is
 * stored); a clean one is kept sealed until the commit, which reads it again.
 */
export async function previewImport(
  db: Db,
  keys: IdKeys,
  campaign: Campaign,
  actorId: string,
  file: { bytes: Buffer; name: string },
  limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
): Promise<ImportPreview> {
  const kind = detectKind(file.bytes, file.name);
  if (!kind) return { kind: 'refused', error: new ImportFileError('notCsvOrXlsx') };
  const problems: RowProblem[] = [];
  let count = 0;
  let rows = 0;
  try {
    for await (const row of readHouseholdRows(file.bytes, kind, campaign, limits)) {
      rows += 1;
      if ('input' in row) continue;
      count += row.problems.length;
      if (problems.length < SHOWN_PROBLEMS) problems.push(...row.problems.slice(0, SHOWN_PROBLEMS - problems.length));
    }
  } catch (err) {
    if (err instanceof ImportFileError) return { kind: 'refused', error: err };
    throw err;
  }
  if (rows === 0) return { kind: 'refused', error: new ImportFileError('empty') };
  if (count > 0) return { kind: 'problems', rows, problems, more: count - problems.length };
  const importId = await insertImport(db, {
    digest: createHash('sha256').update(file.bytes).digest(),
    kind,
    sealed: sealBytes(keys.seal, file.bytes),
    rows,
    uploadedBy: actorId,
  });
  return { kind: 'ready', rows, importId };
}

/**
 * Commits a previewed file, all or nothing, and drops the stored copy. Null when it was committed
 * or discarded already, or no longer reads clean (the lists changed since the preview).
 */
export async function commitPreviewedImport(
  db: Db,
  keys: IdKeys,
  campaign: Campaign,
  actorId: string,
  importId: string,
): Promise<ImportSummary | null> {
  const stale = new Error('the import no longer reads clean');
  try {
    return await db.transaction().execute(async (trx) => {
      const pending = await findPendingImport(trx, importId);
      if (!pending?.file_bytes) return null;
      // Opened as it is read: the sealed copy never exists whole beside the plain file.
      const bytes = await unsealSlices(keys.seal, pending.file_bytes, readSealedFile(trx, importId, pending.file_bytes));
      const kind = pending.file_kind;
      // Streamed into the transaction; a row that now has a problem rolls it all back.
      async function* inputs() {
        for await (const row of readHouseholdRows(bytes, kind, campaign)) {
          if (!('input' in row)) throw stale;
          yield row.input;
        }
      }
      const summary = await storeAll(trx, keys, flagSettings(campaign), actorId, inputs(), importId);
      await closeImport(trx, importId, 'committed', { ...summary });
      return summary;
    });
  } catch (err) {
    if (err === stale) return null;
    throw err;
  }
}

export async function discardImport(db: Db, importId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const pending = await findPendingImport(trx, importId);
    if (!pending) return false;
    await closeImport(trx, importId, 'discarded', {});
    return true;
  });
}

export type EditProblem = 'conflict' | 'duplicate' | 'missing';

/**
 * A staff member enters a household or corrects one (`id` and the `version` their form showed).
 * Returns the household's id, or why not: changed meanwhile, or another record already has this
 * ID number, village and year.
 */
export async function saveHousehold(
  db: Db,
  keys: IdKeys,
  settings: FlagSettings,
  actorId: string,
  input: HouseholdInput,
  existing?: { id: string; version: number },
): Promise<{ id: string } | { problem: EditProblem }> {
  try {
    return await db.transaction().execute(async (trx) => {
      const row = toRow(keys, input);
      if (!existing) {
        const id = await insertHousehold(trx, { ...row, created_by: actorId });
        await replacePayments(trx, id, input.payments);
        await insertHistory(trx, { householdId: id, actorId, source: 'edit', changes: { created: true } });
        await refreshHouseholdFlags(trx, [id], settings);
        await recordAudit(trx, { actorId, action: 'household.create', detail: { household: id } });
        return { id };
      }
      const before = await findHousehold(trx, existing.id);
      if (!before) return { problem: 'missing' as const };
      const changes = changesOf(keys, before, await findPayments(trx, existing.id), input);
      if (!(await updateHousehold(trx, existing.id, existing.version, row))) return { problem: 'conflict' as const };
      await replacePayments(trx, existing.id, input.payments);
      await insertHistory(trx, { householdId: existing.id, actorId, source: 'edit', changes });
      await refreshHouseholdFlags(trx, [existing.id], settings, [before]);
      await recordAudit(trx, { actorId, action: 'household.edit', detail: { household: existing.id, fields: Object.keys(changes) } });
      return { id: existing.id };
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') return { problem: 'duplicate' };
    throw err;
  }
}

/** The full ID number, for a staff member the matrix allows, with a reason: always on the record. */
export async function revealIdNumber(db: Db, keys: IdKeys, actorId: string, householdId: string, reason: string): Promise<string | null> {
  return db.transaction().execute(async (trx) => {
    const sealed = await findSealedId(trx, householdId);
    if (!sealed) return null;
    await recordAudit(trx, { actorId, action: 'household.id.reveal', detail: { household: householdId, reason } });
    return openIdNumber(keys, sealed);
  });
}

/** The stored ID number, for a correction that keeps it (never shown, so not a reveal). */
export async function currentIdNumber(db: Db, keys: IdKeys, householdId: string): Promise<string | null> {
  const sealed = await findSealedId(db, householdId);
  return sealed ? openIdNumber(keys, sealed) : null;
}

/** A refused reveal is on the record too. */
export async function recordRevealDenied(db: Db, actorId: string, householdId: string): Promise<void> {
  await recordAudit(db, { actorId, action: 'household.id.reveal.denied', detail: { household: householdId } });
}

/** Clears a live flag with a note; its history stays (the row is kept, with the note). */
export async function clearHouseholdFlag(db: Db, actorId: string, householdId: string, flagId: string, note: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const kind = await clearFlag(trx, flagId, householdId, actorId, note);
    if (!kind) return false;
    await recountVillages(trx, [(await villageOf(trx, householdId))!]);
    await insertHistory(trx, { householdId, actorId, source: 'flag', changes: { cleared: kind, note } });
    await recordAudit(trx, { actorId, action: 'household.flag.clear', detail: { household: householdId, flag: flagId, kind } });
    return true;
  });
}

export interface StandardInput {
  householdType: string;
  dangerGrade: 'C' | 'D';
  method: string;
  yearFrom: number;
  yearTo: number;
  amountYuan: string;
}

/** A subsidy standard (补助标准) added by an admin; every household's flags are brought up to date. */
export async function addStandard(db: Db, settings: FlagSettings, actorId: string, s: StandardInput): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await upsertStandard(trx, { ...s, updatedBy: actorId });
    await refreshFlags(trx, null, settings);
    await recordAudit(trx, { actorId, action: 'household.standard', detail: { ...s, change: 'add' } });
  });
}

export async function removeStandard(db: Db, settings: FlagSettings, actorId: string, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await deleteStandard(trx, id))) return false;
    await refreshFlags(trx, null, settings);
    await recordAudit(trx, { actorId, action: 'household.standard', detail: { standard: id, change: 'remove' } });
    return true;
  });
}

/**
 * Staff say a lead is about a household: the household's history and the audit log record it, and
 * its "named in a lead" flag is raised. False when the household or the lead does not exist.
 */
export async function linkLead(db: Db, settings: FlagSettings, actorId: string, leadId: string, householdId: string): Promise<boolean> {
  try {
    return await db.transaction().execute(async (trx) => {
      if (!(await insertLeadLink(trx, householdId, leadId, actorId))) return true;
      await insertHistory(trx, { householdId, actorId, source: 'lead', changes: { linked: leadId } });
      await refreshHouseholdFlags(trx, [householdId], settings);
      await recordAudit(trx, { actorId, action: 'household.lead.link', reportId: leadId, detail: { household: householdId } });
      return true;
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23503') return false;
    throw err;
  }
}

export async function unlinkLead(db: Db, settings: FlagSettings, actorId: string, leadId: string, householdId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await deleteLeadLink(trx, householdId, leadId))) return false;
    await insertHistory(trx, { householdId, actorId, source: 'lead', changes: { unlinked: leadId } });
    await refreshHouseholdFlags(trx, [householdId], settings);
    await recordAudit(trx, { actorId, action: 'household.lead.unlink', reportId: leadId, detail: { household: householdId } });
    return true;
  });
}

const filterDetail = (f: RegisterFilter) => ({ village: f.village ?? 'all', flag: f.flag ?? null, year: f.year ?? null, name: f.name ?? null });

/** The register as the list's filter shows it, ID numbers masked; the export is on the record. */
export async function exportRegister(db: Db, actorId: string, filter: RegisterFilter, format: 'csv' | 'xlsx') {
  return db.transaction().execute(async (trx) => {
    const rows = await exportHouseholds(trx, filter);
    await recordAudit(trx, { actorId, action: 'household.export', detail: { format, ...filterDetail(filter), rows: rows.length } });
    return rows;
  });
}

/**
 * The register with full ID numbers, for an admin with a reason: the one export that holds them,
 * so the audit row keeps the reason, the filter and how many households left.
 */
export async function exportRegisterUnmasked(db: Db, keys: IdKeys, actorId: string, filter: RegisterFilter, reason: string) {
  return db.transaction().execute(async (trx) => {
    const rows = await exportHouseholdsSealed(trx, filter);
    await recordAudit(trx, { actorId, action: 'household.export.unmasked', detail: { ...filterDetail(filter), reason, rows: rows.length } });
    return rows.map(({ id_sealed, ...row }) => ({ ...row, id_number: openIdNumber(keys, id_sealed) }));
  });
}
