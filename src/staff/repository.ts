import type { Kysely } from 'kysely';
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
