import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database>;

/** The fields admins changed (table campaign_settings), each with who changed it last. */
export function listSettings(db: Db) {
  return db
    .selectFrom('campaign_settings as c')
    .leftJoin('staff_users as s', 's.id', 'c.updated_by')
    .select(['c.field', 'c.value', 'c.updated_at', 's.username'])
    .execute();
}

/** Stores a field's value (JSON text), replacing an earlier change of it. */
export async function upsertSetting(trx: Transaction<Database>, field: string, json: string, actorId: string) {
  await trx
    .insertInto('campaign_settings')
    .values({ field, value: json, updated_by: actorId })
    .onConflict((oc) => oc.column('field').doUpdateSet({ value: json, updated_by: actorId, updated_at: new Date() }))
    .execute();
}

/** Removes the changes of the fields given; the removed rows, for the audit. */
export function deleteSettings(trx: Transaction<Database>, fields: readonly string[]) {
  return trx.deleteFrom('campaign_settings').where('field', 'in', [...fields]).returning(['field', 'value']).execute();
}

/** Which of the given villages leads name. */
export async function findVillagesInUse(db: Db, villages: readonly string[]): Promise<string[]> {
  const rows = await db.selectFrom('reports').select('village').distinct().where('village', 'in', [...villages]).execute();
  return rows.map((r) => r.village!);
}
