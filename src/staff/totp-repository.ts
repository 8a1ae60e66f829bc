import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database>;

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
