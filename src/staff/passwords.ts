import { hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

// Passwords: 12 to 128 characters, no composition rules (NIST SP 800-63B), the most common ones
// refused. argon2id; the PHC string stores the parameters, so raising them later re-hashes each
// password at its owner's next login.

export interface PasswordParams {
  memoryCost: number; // KiB
  timeCost: number;
}

export const PASSWORD_LIMITS = { min: 12, max: 128 } as const;

const COMMON = new Set((dictionary['passwords-common'] as string[]).filter((p) => p.length >= PASSWORD_LIMITS.min));

export type PasswordProblem = 'tooShort' | 'tooLong' | 'common' | 'containsUsername';

export function passwordProblem(password: string, username: string): PasswordProblem | null {
  const length = [...password].length;
  if (length < PASSWORD_LIMITS.min) return 'tooShort';
  if (length > PASSWORD_LIMITS.max) return 'tooLong';
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return 'common';
  if (username.length >= 3 && lower.includes(username.toLowerCase())) return 'containsUsername';
  return null;
}

export function hashPassword(password: string, params: PasswordParams): Promise<string> {
  // algorithm 2 is Algorithm.Argon2id (an ambient const enum, which verbatimModuleSyntax cannot import).
  return hash(password, { algorithm: 2, memoryCost: params.memoryCost, timeCost: params.timeCost, parallelism: 1 });
}

export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

export function needsRehash(phc: string, params: PasswordParams): boolean {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=\d+\$/.exec(phc);
  return !m || Number(m[1]) < params.memoryCost || Number(m[2]) < params.timeCost;
}
