import { createHmac } from 'node:crypto';
import { seal, unseal } from '../lib/seal.js';
import { toHalfWidth } from '../lib/text.js';

// Resident ID numbers (居民身份证号码, GB 11643-1999): 17 digits and a check character (0-9 or X).
// The most sensitive data the portal holds (PIPL): stored sealed, matched by a keyed hash, shown
// masked — first 3 and last 4 — everywhere, revealed only by an audited action.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export function checkCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK[sum % 11]!;
}

export type ParsedIdNumber = { ok: true; id: string } | { ok: false; reason: 'format' | 'checkDigit' | 'birthDate' };

/**
 * Accepts full-width characters, spaces, dashes and a lower-case x as people type and sheets store
 * them; checks the length, the birth date it carries and the check character.
 */
export function parseIdNumber(input: string): ParsedIdNumber {
  const id = toHalfWidth(input).replace(/[\s\-‐–—_.·\u200B-\u200D\u2060\uFEFF]/g, '').toUpperCase();
  if (!/^\d{17}[\dX]$/.test(id)) return { ok: false, reason: 'format' };
  const [y, m, d] = [Number(id.slice(6, 10)), Number(id.slice(10, 12)), Number(id.slice(12, 14))];
  const born = new Date(Date.UTC(y, m - 1, d));
  if (y < 1880 || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d || born.getTime() > Date.now()) return { ok: false, reason: 'birthDate' };
  if (checkCharacter(id) !== id[17]) return { ok: false, reason: 'checkDigit' };
  return { ok: true, id };
}

/** As every page and export shows it: 500***********1234. */
export function maskIdNumber(id: string): string {
  return `${id.slice(0, 3)}${'*'.repeat(id.length - 7)}${id.slice(-4)}`;
}

export interface IdKeys {
  /** 'household-id-seal' (src/lib/secret.ts). */
  seal: Buffer;
  /** 'household-id-hash'. */
  hash: Buffer;
}

/** The three stored forms of an ID number: sealed, keyed hash (for matching), masked. */
export function storedIdNumber(keys: IdKeys, id: string) {
  return { id_sealed: seal(keys.seal, id), id_hash: hashIdNumber(keys, id), id_masked: maskIdNumber(id) };
}

export function hashIdNumber(keys: IdKeys, id: string): Buffer {
  return createHmac('sha256', keys.hash).update(id).digest();
}

export function openIdNumber(keys: IdKeys, sealed: Buffer): string {
  return unseal(keys.seal, sealed);
}
