import { createHmac, randomInt } from 'node:crypto';
import { digitsOnly } from './text.js';

// Tracking codes: 19 random decimal digits (63.1 bits, from the OS CSPRNG) and one Damm check
// digit, shown in five groups of four like a bank card. Digits only, so they can be read aloud on
// the hotline and typed on a phone keypad; the Damm digit catches every single-digit typo and every
// swap of two adjacent digits, so a typo is told apart from an unknown code without a lookup.

const RANDOM_DIGITS = 19;
export const CODE_LENGTH = RANDOM_DIGITS + 1;

const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

export function dammDigit(digits: string): number {
  let interim = 0;
  for (const ch of digits) interim = DAMM[interim]![ch.charCodeAt(0) - 48]!;
  return interim;
}

export function generateCode(): string {
  let digits = '';
  for (let i = 0; i < RANDOM_DIGITS; i++) digits += String(randomInt(10));
  return digits + String(dammDigit(digits));
}

export function formatCode(code: string): string {
  return code.replace(/(\d{4})(?=\d)/g, '$1 ');
}

export type ParsedCode = { ok: true; code: string } | { ok: false; reason: 'format' | 'checkDigit' };

// Copied from a chat, a code often carries invisible characters (zero-width spaces and joiners,
// bidi marks: Unicode format and control characters). A code is digits only, so they go like spaces.
const INVISIBLE = /[\p{Cf}\p{Cc}]/gu;

/** Accepts spaces, dashes, full-width digits and invisible marks; tells a malformed code and a typo apart. */
export function parseCode(input: string): ParsedCode {
  const digits = digitsOnly(input.replace(INVISIBLE, ''));
  if (!/^\d+$/.test(digits) || digits.length !== CODE_LENGTH) return { ok: false, reason: 'format' };
  if (dammDigit(digits) !== 0) return { ok: false, reason: 'checkDigit' };
  return { ok: true, code: digits };
}

/** Codes are stored only as this keyed hash: a database dump alone cannot confirm any code. */
export function hashCode(key: Buffer, code: string): Buffer {
  return createHmac('sha256', key).update(code).digest();
}
