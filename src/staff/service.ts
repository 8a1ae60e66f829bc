import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit/service.js';
import type { StaffSettings } from '../config.js';
import type { Database, StaffRole } from '../db/schema.js';
import { hashPassword, needsRehash, passwordProblem, verifyPassword, type PasswordParams } from './passwords.js';
import {
  countFailedLogin,
  deleteSession,
  deleteSessionsOfUser,
  findSession,
  findStaffByUsername,
  findTotp,
  insertSession,
  insertStaffUser,
  touchSession,
  updateStaff,
} from './repository.js';

type Db = Kysely<Database>;

export const ROLES = ['admin', 'investigator', 'clerk', 'viewer'] as const satisfies readonly StaffRole[];

export const usernameSchema = z
  .string({ error: 'errors.staff.username' })
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{1,39}$/, 'errors.staff.username');

export const newStaffSchema = z.object({
  username: usernameSchema,
  role: z.enum(ROLES, { error: 'errors.staff.role' }),
  email: z.preprocess((v) => (v === '' ? undefined : v), z.email({ error: 'errors.staff.email' }).max(200).optional()),
});

/** A refusal with a catalog key, shown to the admin next to the field it concerns. */
export class StaffError extends Error {
  constructor(
    readonly field: string,
    readonly key: string,
  ) {
    super(key);
  }
}

function checkPassword(password: string, username: string) {
  const problem = passwordProblem(password, username);
  if (problem) throw new StaffError('password', `errors.password.${problem}`);
}

export async function createStaff(
  db: Db,
  params: PasswordParams,
  input: z.output<typeof newStaffSchema>,
  password: string,
  actorId: string | null,
) {
  return db.transaction().execute((trx) => createStaffIn(trx, params, input, password, actorId));
}

/** createStaff inside a transaction the caller owns (the set-up link spends itself in the same one). */
export async function createStaffIn(
  trx: Transaction<Database>,
  params: PasswordParams,
  input: z.output<typeof newStaffSchema>,
  password: string,
  actorId: string | null,
) {
  checkPassword(password, input.username);
  if (await findStaffByUsername(trx, input.username)) throw new StaffError('username', 'errors.staff.exists');
  const user = await insertStaffUser(trx, { ...input, email: input.email ?? null, passwordHash: await hashPassword(password, params) });
  await recordAudit(trx, { actorId, action: 'user.create', targetUserId: user.id, detail: { username: user.username, role: user.role } });
  return user;
}

export async function setPassword(db: Db, params: PasswordParams, user: { id: string; username: string }, password: string, actorId: string | null) {
  checkPassword(password, user.username);
  const passwordHash = await hashPassword(password, params);
  await db.transaction().execute(async (trx) => {
    await updateStaff(trx, user.id, { password_hash: passwordHash, failed_logins: 0, locked_until: null });
    // A new password ends every session opened with the old one.
    await deleteSessionsOfUser(trx, user.id);
    await recordAudit(trx, { actorId, action: 'user.password', targetUserId: user.id });
  });
}

/** False when an admin would disable their own account: they cannot lock themselves out by accident. */
export async function setDisabled(db: Db, userId: string, disabled: boolean, actorId: string | null): Promise<boolean> {
  if (disabled && userId === actorId) return false;
  await db.transaction().execute(async (trx) => {
    await updateStaff(trx, userId, { disabled });
    if (disabled) await deleteSessionsOfUser(trx, userId);
    await recordAudit(trx, { actorId, action: disabled ? 'user.disable' : 'user.enable', targetUserId: userId });
  });
  return true;
}

export async function unlockStaff(db: Db, userId: string, actorId: string | null) {
  await db.transaction().execute(async (trx) => {
    await updateStaff(trx, userId, { failed_logins: 0, locked_until: null });
    await recordAudit(trx, { actorId, action: 'user.unlock', targetUserId: userId });
  });
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** A password-only session waiting for its TOTP code lives this long at most. */
export const MFA_PENDING_MS = 5 * 60_000;

/** Opens a session under a fresh random id (no session fixation); the database keeps only its hash. */
export async function openSession(db: Db, userId: string, mfaPending: boolean): Promise<string> {
  const sessionId = randomBytes(32).toString('base64url');
  await insertSession(db, { idHash: sha256(sessionId), userId, csrfToken: randomBytes(24).toString('base64url'), mfaPending });
  return sessionId;
}

// Verifying against a fixed hash when the name is unknown keeps the response time the same, so
// timing does not tell which usernames exist.
let dummyHash: Promise<string> | undefined;

/** mfa: the session opened is pending until a TOTP code completes it (src/staff/two-factor.ts). */
export type LoginResult = { ok: true; sessionId: string; userId: string; mfa: boolean } | { ok: false };

export async function login(db: Db, settings: StaffSettings, username: string, password: string): Promise<LoginResult> {
  const name = username.trim().toLowerCase().slice(0, 40);
  const user = await findStaffByUsername(db, name);
  if (!user) {
    dummyHash ??= hashPassword('dummy-password-for-timing', settings.password);
    await verifyPassword(await dummyHash, password);
    await recordAudit(db, { actorId: null, actorName: name, action: 'login.failure', detail: { reason: 'unknown' } });
    return { ok: false };
  }
  const valid = await verifyPassword(user.password_hash, password);
  const locked = user.locked_until !== null && user.locked_until > new Date();
  if (!valid || user.disabled || locked) {
    if (!valid) await countFailedLogin(db, user.id, settings.maxFailures, new Date(Date.now() + settings.lockMs));
    const reason = user.disabled ? 'disabled' : locked ? 'locked' : 'password';
    await recordAudit(db, { actorId: user.id, action: 'login.failure', detail: { reason } });
    return { ok: false };
  }
  const mfa = (await findTotp(db, user.id))?.enabled === true;
  await updateStaff(db, user.id, {
    // With a second factor the failure count is cleared only once the code is right too: else
    // each correct password would buy a fresh set of guesses at the code.
    ...(mfa ? {} : { failed_logins: 0, locked_until: null }),
    ...(needsRehash(user.password_hash, settings.password) ? { password_hash: await hashPassword(password, settings.password) } : {}),
  });
  const sessionId = await openSession(db, user.id, mfa);
  await recordAudit(db, { actorId: user.id, action: mfa ? 'login.password' : 'login.success' });
  return { ok: true, sessionId, userId: user.id, mfa };
}

/**
 * full: signed in. mfa: password accepted, TOTP code awaited. enrol: signed in, but 2FA is
 * mandatory and this user has not set it up yet, so only enrolment is open.
 */
export type SessionStage = 'full' | 'mfa' | 'enrol';

export interface StaffSession {
  userId: string;
  username: string;
  role: StaffRole;
  csrfToken: string;
  stage: SessionStage;
}

/** The live session for a cookie value, or null when unknown, expired, or its user is disabled. */
export async function loadSession(db: Db, settings: StaffSettings, sessionId: string): Promise<StaffSession | null> {
  const idHash = sha256(sessionId);
  const s = await findSession(db, idHash);
  if (!s) return null;
  const now = Date.now();
  const age = now - s.created_at.getTime();
  if (
    s.disabled ||
    now - s.last_seen_at.getTime() > settings.sessionIdleMs ||
    age > settings.sessionAbsoluteMs ||
    (s.mfa_pending && age > MFA_PENDING_MS)
  ) {
    await deleteSession(db, idHash);
    return null;
  }
  // One write a minute at most keeps the idle clock right without a write per page view.
  if (now - s.last_seen_at.getTime() > 60_000) await touchSession(db, idHash);
  const stage: SessionStage = s.mfa_pending ? 'mfa' : s.mfa_required && !s.totp_enabled ? 'enrol' : 'full';
  return { userId: s.user_id, username: s.username, role: s.role, csrfToken: s.csrf_token, stage };
}

/**
 * Session lookups for one app instance. A page view (GET/HEAD) may use a session this instance
 * checked in the database within the last `sessionRecheckMs` (5 s) — the lookup was a third of a queue
 * page's cost — while every change (POST) is checked against the database, and once it has been
 * answered every remembered session is forgotten, since any change may be a logout, a disabled
 * account or a new role. So
 * revoking a session takes effect at once on the instance that did it and within a few seconds on
 * the others (or after `npm run staff -- disable`).
 */
export function sessionReader(db: Db, settings: StaffSettings) {
  const checked = new Map<string, { session: StaffSession; until: number }>();
  return {
    async load(sessionId: string, change: boolean): Promise<StaffSession | null> {
      const now = Date.now();
      if (!change) {
        const hit = checked.get(sessionId);
        if (hit && hit.until > now) return hit.session;
        checked.delete(sessionId);
      }
      const session = await loadSession(db, settings, sessionId);
      // A pending (mfa/enrol) session is about to change; only settled ones are remembered. The
      // map is bounded by the staff's open sessions, but a flood of forged cookies must not grow it.
      if (session && session.stage === 'full' && !change && settings.sessionRecheckMs > 0) {
        if (checked.size >= 1_000) checked.clear();
        checked.set(sessionId, { session, until: now + settings.sessionRecheckMs });
      }
      return session;
    },
    forgetAll() {
      checked.clear();
    },
  };
}

export async function logout(db: Db, sessionId: string, userId: string) {
  await deleteSession(db, sha256(sessionId));
  await recordAudit(db, { actorId: userId, action: 'logout' });
}
