import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, StaffRole } from '../db/schema.js';

type Db = Kysely<Database>;

export async function insertStaffUser(db: Db, u: { username: string; role: StaffRole; email: string | null; passwordHash: string }) {
  return db
    .insertInto('staff_users')
    .values({ username: u.username, role: u.role, email: u.email, password_hash: u.passwordHash })
    .returning(['id', 'username', 'role'])
    .executeTakeFirstOrThrow();
}

export function findStaffByUsername(db: Db, username: string) {
  return db.selectFrom('staff_users').selectAll().where('username', '=', username).executeTakeFirst();
}

export function findStaffById(db: Db, id: string) {
  return db.selectFrom('staff_users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listStaff(db: Db) {
  return db
    .selectFrom('staff_users')
    .select(['id', 'username', 'role', 'email', 'disabled', 'failed_logins', 'locked_until', 'created_at'])
    .orderBy('username')
    .execute();
}

export async function updateStaff(
  db: Db,
  id: string,
  changes: Partial<{ password_hash: string; disabled: boolean; failed_logins: number; locked_until: Date | null }>,
) {
  await db.updateTable('staff_users').set({ ...changes, updated_at: new Date() }).where('id', '=', id).execute();
}

/** Counts a failed login atomically and locks the account once it reaches maxFailures. */
export async function countFailedLogin(db: Db, id: string, maxFailures: number, lockUntil: Date) {
  return db
    .updateTable('staff_users')
    .set((eb) => ({
      failed_logins: eb('failed_logins', '+', 1),
      locked_until: eb.case().when('failed_logins', '>=', maxFailures - 1).then(lockUntil).else(eb.ref('locked_until')).end(),
    }))
    .where('id', '=', id)
    .returning('locked_until')
    .executeTakeFirst();
}

export async function insertSession(db: Db, s: { idHash: Buffer; userId: string; csrfToken: string; mfaPending?: boolean }) {
  await db
    .insertInto('staff_sessions')
    .values({ id_hash: s.idHash, user_id: s.userId, csrf_token: s.csrfToken, mfa_pending: s.mfaPending ?? false })
    .execute();
}

export function findSession(db: Db, idHash: Buffer) {
  return db
    .selectFrom('staff_sessions as s')
    .innerJoin('staff_users as u', 'u.id', 's.user_id')
    .leftJoin('staff_totp as t', 't.user_id', 's.user_id')
    .select(['s.id_hash', 's.csrf_token', 's.created_at', 's.last_seen_at', 'u.id as user_id', 'u.username', 'u.role', 'u.disabled'])
    .select(['s.mfa_pending', 't.enabled as totp_enabled'])
    .select((eb) => eb.selectFrom('security_settings').select('mfa_required').as('mfa_required'))
    .where('s.id_hash', '=', idHash)
    .executeTakeFirst();
}

export async function touchSession(db: Db, idHash: Buffer) {
  await db.updateTable('staff_sessions').set({ last_seen_at: new Date() }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Db, idHash: Buffer) {
  await db.deleteFrom('staff_sessions').where('id_hash', '=', idHash).execute();
}

export async function deleteSessionsOfUser(db: Db, userId: string) {
  await db.deleteFrom('staff_sessions').where('user_id', '=', userId).execute();
}

export async function deleteExpiredSessions(db: Db, idleBefore: Date, createdBefore: Date) {
  await db.deleteFrom('staff_sessions').where((eb) => eb.or([eb('last_seen_at', '<', idleBefore), eb('created_at', '<', createdBefore)])).execute();
}

// First-run setup links (src/staff/setup.ts).

export async function countStaffUsers(db: Db): Promise<number> {
  const r = await db.selectFrom('staff_users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertSetupLink(db: Db, link: { tokenHash: Buffer; expiresAt: Date }) {
  await db.insertInto('setup_links').values({ token_hash: link.tokenHash, expires_at: link.expiresAt }).execute();
}

export function findSetupLink(db: Db, tokenHash: Buffer) {
  return db.selectFrom('setup_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** The link, locked until the transaction ends: two tabs posting the form at once create one admin. */
export function lockSetupLink(trx: Transaction<Database>, tokenHash: Buffer) {
  return trx.selectFrom('setup_links').selectAll().where('token_hash', '=', tokenHash).forUpdate().executeTakeFirst();
}

export async function markSetupLinkUsed(trx: Transaction<Database>, tokenHash: Buffer, userId: string) {
  await trx.updateTable('setup_links').set({ used_at: new Date(), used_by: userId }).where('token_hash', '=', tokenHash).execute();
}

// Two-factor secrets and the portal-wide MFA setting (src/staff/two-factor.ts).

export function findTotp(db: Db, userId: string) {
  return db.selectFrom('staff_totp').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/** Stores a new, not yet enabled secret unless the user already has one; returns the row kept. */
export async function insertPendingTotp(db: Db, userId: string, secretSealed: Buffer) {
  const inserted = await db
    .insertInto('staff_totp')
    .values({ user_id: userId, secret_sealed: secretSealed })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .returning('user_id')
    .executeTakeFirst();
  return { row: (await findTotp(db, userId))!, created: inserted !== undefined };
}

/**
 * Records `step` as used, only if it is later than the last step used (and, for a login, only if
 * TOTP is enabled). Atomic: of two requests racing with the same code, exactly one wins.
 */
export async function consumeStep(db: Db, userId: string, step: number, opts: { enable: boolean }): Promise<boolean> {
  const r = await db
    .updateTable('staff_totp')
    .set(opts.enable ? { last_step: String(step), enabled: true, enabled_at: new Date() } : { last_step: String(step) })
    .where('user_id', '=', userId)
    .where('enabled', '=', !opts.enable)
    .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', String(step))]))
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

export async function deleteTotp(db: Db, userId: string) {
  await db.deleteFrom('staff_totp').where('user_id', '=', userId).execute();
}

export async function isMfaRequired(db: Db): Promise<boolean> {
  const row = await db.selectFrom('security_settings').select('mfa_required').executeTakeFirst();
  return row?.mfa_required ?? false;
}

export async function updateMfaRequired(db: Db, required: boolean, actorId: string | null) {
  await db.updateTable('security_settings').set({ mfa_required: required, updated_at: sql`now()`, updated_by: actorId }).execute();
}

/** The ids of users whose TOTP is enabled (for the accounts page). */
export async function listTotpEnabled(db: Db): Promise<Set<string>> {
  const rows = await db.selectFrom('staff_totp').select('user_id').where('enabled', '=', true).execute();
  return new Set(rows.map((r) => r.user_id));
}
