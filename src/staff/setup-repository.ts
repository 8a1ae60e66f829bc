import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database>;

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
