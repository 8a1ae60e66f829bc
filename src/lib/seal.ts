import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// AES-256-GCM: 12-byte random nonce | 16-byte tag | ciphertext, in one buffer.

export function sealBytes(key: Buffer, plaintext: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = cipher.update(plaintext);
  // GCM is a stream mode: final() adds no bytes, only the tag. One copy fewer matters for photos.
  cipher.final();
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

export function unsealBytes(key: Buffer, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
}

export function seal(key: Buffer, plaintext: string): Buffer {
  return sealBytes(key, Buffer.from(plaintext, 'utf8'));
}

export function unseal(key: Buffer, sealed: Buffer): string {
  return unsealBytes(key, sealed).toString('utf8');
}
