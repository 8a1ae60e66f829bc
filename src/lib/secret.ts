import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Embedded mode without APP_SECRET: create a secret once in the data folder (mode 0600) and reuse it.
 * Losing it makes every stored tracking code unverifiable, so it is never regenerated over an
 * existing file.
 */
export function readOrCreateSecretFile(dataDir: string): string {
  const file = join(dataDir, 'app-secret');
  mkdirSync(dataDir, { recursive: true });
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secret;
}

export type KeyPurpose =
  | 'tracking-code'
  | 'submission-token'
  | 'form-token'
  | 'receipt-seal'
  | 'receipt-page'
  | 'status-view-seal'
  | 'identity-seal'
  | 'totp-seal'
  | 'attachment-seal'
  | 'household-id-seal'
  | 'household-id-hash'
  | 'rate-limit-key';

/** One independent 256-bit key per purpose, so a key leaked from one use says nothing of another. */
export function deriveKey(secret: string, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'xiansuo-v1', purpose, 32));
}
