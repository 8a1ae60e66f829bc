import type { Kysely } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { z } from 'zod';
import { recordAudit } from '../audit/service.js';
import type { StaffSettings } from '../config.js';
import type { Database } from '../db/schema.js';
import { seal, unseal } from '../lib/seal.js';
import { countFailedLogin, deleteSession, deleteSessionsOfUser, findSession, findStaffById, updateStaff } from './repository.js';
import { openSession, sha256 } from './service.js';
import { consumeStep, deleteTotp, findTotp, insertPendingTotp, updateMfaRequired } from './repository.js';

// Two-factor login with TOTP (RFC 6238): SHA-1, 6 digits, 30-second steps — what every
// authenticator app understands. A code is accepted for the current step or one step either side
// (clock drift), and only for a step later than the last one accepted, so no code works twice.

type Db = Kysely<Database>;

const PERIOD = 30;
const WINDOW = 1;

export const totpCodeSchema = z
  .string({ error: 'errors.totp.format' })
  .transform((s) => s.replace(/[\s-]/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'errors.totp.format'));

function totp(secretBase32: string, label = 'user', issuer = '') {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secretBase32) });
}

/** The time step a code belongs to, within ±WINDOW steps of `now`, or null. */
export function matchStep(secretBase32: string, code: string, now: number): number | null {
  const t = totp(secretBase32);
  const delta = t.validate({ token: code, timestamp: now, window: WINDOW });
  return delta === null ? null : t.counter({ timestamp: now }) + delta;
}

// qrcode's SVG holds only numbers and our fixed colours; checking its exact shape before it is
// embedded in a page (unescaped) makes sure that stays true whatever the library does later.
const SAFE_SVG =
  /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+" shape-rendering="crispEdges"><path fill="#ffffff" d="M0 0h\d+v\d+H0z"\/><path stroke="#000000" d="[Mmh0-9. ]+"\/><\/svg>\n?$/;

/** Markup Handlebars outputs as it is (it calls toHTML): only for output checked like the QR code. */
export interface CheckedMarkup {
  toHTML(): string;
}

export async function qrSvg(text: string): Promise<CheckedMarkup> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4, color: { dark: '#000000ff', light: '#ffffffff' } });
  if (!SAFE_SVG.test(svg)) throw new Error('unexpected QR code SVG');
  const markup = svg.trim();
  return { toHTML: () => markup };
}

export interface Enrolment {
  /** The otpauth:// URI the QR code carries. */
  uri: string;
  /** The secret in base32, in groups of four, for typing in by hand. */
  secretGroups: string;
  qrSvg: CheckedMarkup;
}

/**
 * The enrolment in progress for a user who has no enabled TOTP: the same secret on every visit
 * (so a reload does not invalidate a code already scanned), created on the first. Null once
 * enabled: an enabled secret is never shown again.
 */
export async function enrolment(db: Db, key: Buffer, user: { id: string; username: string }, issuer: string): Promise<Enrolment | null> {
  let row = await findTotp(db, user.id);
  if (row?.enabled) return null;
  if (!row) {
    const sealed = seal(key, new Secret({ size: 20 }).base32);
    row = await db.transaction().execute(async (trx) => {
      const stored = await insertPendingTotp(trx, user.id, sealed);
      if (stored.created) await recordAudit(trx, { actorId: user.id, action: 'totp.start', targetUserId: user.id });
      return stored.row;
    });
  }
  if (row.enabled) return null;
  const secret = unseal(key, row.secret_sealed);
  // The issuer and label are shown in the authenticator app; a colon would split the label.
  const uri = totp(secret, user.username, issuer.replace(/:/g, ' ')).toString();
  return { uri, secretGroups: secret.replace(/(.{4})(?=.)/g, '$1 '), qrSvg: await qrSvg(uri) };
}

/** Enables TOTP once the user proves, with a current code, that their app has the secret. */
export async function confirmEnrolment(db: Db, key: Buffer, userId: string, code: string, now = Date.now()): Promise<boolean> {
  const row = await findTotp(db, userId);
  if (!row || row.enabled) return false;
  const step = matchStep(unseal(key, row.secret_sealed), code, now);
  const ok = step !== null && (await db.transaction().execute(async (trx) => {
    if (!(await consumeStep(trx, userId, step, { enable: true }))) return false;
    await recordAudit(trx, { actorId: userId, action: 'totp.enable', targetUserId: userId });
    return true;
  }));
  if (!ok) await recordAudit(db, { actorId: userId, action: 'totp.enable.failure', targetUserId: userId });
  return ok;
}

/** ended: the pending session is gone (expired, account locked or reset): start again at login. */
export type CodeResult = { ok: true; sessionId: string } | { ok: false; ended: boolean };

/**
 * The second step of a login: a correct, unused code turns the pending session into a full one
 * under a new id. A wrong or reused code counts as a failed login, so the account lockout bounds
 * the guesses at the code as it does at the password.
 */
export async function completeLogin(db: Db, settings: StaffSettings, key: Buffer, sessionId: string, code: string, now = Date.now()): Promise<CodeResult> {
  const idHash = sha256(sessionId);
  const session = await findSession(db, idHash);
  if (!session?.mfa_pending) return { ok: false, ended: true };
  const userId = session.user_id;
  const [user, row] = await Promise.all([findStaffById(db, userId), findTotp(db, userId)]);
  const locked = user?.locked_until != null && user.locked_until > new Date(now);
  if (!user || locked || !row?.enabled) {
    await deleteSession(db, idHash);
    await recordAudit(db, { actorId: userId, action: 'login.failure', detail: { reason: locked ? 'locked' : 'no-totp' } });
    return { ok: false, ended: true };
  }
  const step = matchStep(unseal(key, row.secret_sealed), code, now);
  const newId = step === null ? null : await db.transaction().execute(async (trx) => {
    if (!(await consumeStep(trx, userId, step, { enable: false }))) return null;
    await deleteSession(trx, idHash);
    await updateStaff(trx, userId, { failed_logins: 0, locked_until: null });
    const id = await openSession(trx, userId, false);
    await recordAudit(trx, { actorId: userId, action: 'login.success', detail: { mfa: true } });
    return id;
  });
  if (newId) return { ok: true, sessionId: newId };
  const after = await countFailedLogin(db, userId, settings.maxFailures, new Date(now + settings.lockMs));
  await recordAudit(db, { actorId: userId, action: 'login.failure', detail: { reason: step === null ? 'code' : 'code-reused' } });
  const nowLocked = after?.locked_until != null && after.locked_until > new Date(now);
  if (nowLocked) await deleteSession(db, idHash);
  return { ok: false, ended: nowLocked };
}

/** An admin's reset (a lost phone): the user sets TOTP up afresh, and their sessions end now. */
export async function resetTotp(db: Db, userId: string, actorId: string | null) {
  await db.transaction().execute(async (trx) => {
    await deleteTotp(trx, userId);
    await deleteSessionsOfUser(trx, userId);
    await recordAudit(trx, { actorId, action: 'totp.reset', targetUserId: userId });
  });
}

export async function setMfaRequired(db: Db, required: boolean, actorId: string) {
  await db.transaction().execute(async (trx) => {
    await updateMfaRequired(trx, required, actorId);
    await recordAudit(trx, { actorId, action: 'settings.mfa', detail: { required } });
  });
}
