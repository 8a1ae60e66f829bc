import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import type { PasswordParams } from './passwords.js';
import { countStaffUsers, findSetupLink, insertSetupLink, lockSetupLink, markSetupLinkUsed } from './repository.js';
import { createStaffIn, sha256, StaffError, usernameSchema } from './service.js';

// The first admin account without stopping the server (the staff CLI refuses while the embedded
// database is in use). At a start with no staff account the server prints a link with a random
// token; the database keeps only its SHA-256. The link creates one admin, once, within 24 hours,
// and only for a client on this machine (a loopback address, read from the socket by
// src/plugins/limits.ts fromThisMachine: no proxy header can fake it). Once any account exists, every link is dead.

type Db = Kysely<Database>;

export const SETUP_LINK_TTL_MS = 24 * 3_600_000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const setupFormSchema = z.object({
  username: usernameSchema,
  email: z.preprocess((v) => (v === '' ? undefined : v), z.email({ error: 'errors.staff.email' }).max(200).optional()),
});

/** A new one-time link's token while no staff account exists, or null. */
export async function issueSetupLink(db: Db, now = new Date()): Promise<string | null> {
  if ((await countStaffUsers(db)) > 0) return null;
  const token = randomBytes(32).toString('base64url');
  await insertSetupLink(db, { tokenHash: sha256(token), expiresAt: new Date(now.getTime() + SETUP_LINK_TTL_MS) });
  return token;
}

/** The address to print: where this server answers from this machine (http://127.0.0.1:PORT for 0.0.0.0). */
export function setupLinkUrl(base: string, token: string): string {
  return `${base}/staff/setup/${token}`;
}

/** The link can still create the first admin. */
export async function setupLinkUsable(db: Db, token: string, now = new Date()): Promise<boolean> {
  if (!TOKEN.test(token)) return false;
  const link = await findSetupLink(db, sha256(token));
  return !!link && link.used_at === null && link.expires_at > now && (await countStaffUsers(db)) === 0;
}

export type SetupResult = { ok: true; userId: string } | { ok: false; gone: true } | { ok: false; gone: false; error: StaffError };

/** Creates the first admin through the link, with the staff CLI's rules, and spends the link. */
export async function useSetupLink(
  db: Db,
  params: PasswordParams,
  token: string,
  input: z.output<typeof setupFormSchema>,
  password: string,
  now = new Date(),
): Promise<SetupResult> {
  if (!TOKEN.test(token)) return { ok: false, gone: true };
  const hash = sha256(token);
  try {
    return await db.transaction().execute(async (trx) => {
      const link = await lockSetupLink(trx, hash);
      if (!link || link.used_at !== null || link.expires_at <= now || (await countStaffUsers(trx)) > 0) return { ok: false, gone: true } as const;
      const user = await createStaffIn(trx, params, { ...input, role: 'admin' }, password, null);
      await markSetupLinkUsed(trx, hash, user.id);
      return { ok: true, userId: user.id } as const;
    });
  } catch (err) {
    if (err instanceof StaffError) return { ok: false, gone: false, error: err };
    throw err;
  }
}
