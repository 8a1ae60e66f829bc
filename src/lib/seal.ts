import { createCipheriv, createDecipheriv, randomBytes, type DecipherGCM } from 'node:crypto';

// AES-256-GCM: 12-byte random nonce | 16-byte tag | ciphertext, in one buffer.

const HEAD = 28;
/** Large files (a 20 MB register import) are run through the cipher a slice at a time into one buffer, so only one copy of the output ever exists. */
const SLICE = 1024 * 1024;

export function sealBytes(key: Buffer, plaintext: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const out = Buffer.allocUnsafe(HEAD + plaintext.length);
  iv.copy(out, 0);
  // GCM is a stream mode: update() returns as many bytes as it takes, final() only the tag.
  for (let at = 0; at < plaintext.length; at += SLICE) cipher.update(plaintext.subarray(at, at + SLICE)).copy(out, HEAD + at);
  cipher.final();
  cipher.getAuthTag().copy(out, 12);
  return out;
}

export function unsealBytes(key: Buffer, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAuthTag(sealed.subarray(12, HEAD));
  const out = Buffer.allocUnsafe(Math.max(0, sealed.length - HEAD));
  for (let at = 0; at < out.length; at += SLICE) decipher.update(sealed.subarray(HEAD + at, HEAD + at + SLICE)).copy(out, at);
  decipher.final();
  return out;
}

/**
 * unsealBytes over a sealed value of `length` bytes that arrives in slices (the first holding at
 * least the nonce and tag): the sealed copy never exists whole. The tag is checked before this
 * returns, so no unverified byte reaches the caller.
 */
export async function unsealSlices(key: Buffer, length: number, slices: AsyncIterable<Buffer>): Promise<Buffer> {
  const out = Buffer.allocUnsafe(Math.max(0, length - HEAD));
  let decipher: DecipherGCM | null = null;
  let at = 0;
  for await (const slice of slices) {
    let body = slice;
    if (!decipher) {
      if (slice.length < HEAD) throw new Error('sealed value: first slice shorter than its head');
      decipher = createDecipheriv('aes-256-gcm', key, slice.subarray(0, 12));
      decipher.setAuthTag(slice.subarray(12, HEAD));
      body = slice.subarray(HEAD);
    }
    const plain = decipher.update(body);
    if (at + plain.length > out.length) throw new Error('sealed value longer than said');
    plain.copy(out, at);
    at += plain.length;
  }
  if (!decipher || at !== out.length) throw new Error('sealed value shorter than said');
  decipher.final();
  return out;
}

export function seal(key: Buffer, plaintext: string): Buffer {
  return sealBytes(key, Buffer.from(plaintext, 'utf8'));
}

export function unseal(key: Buffer, sealed: Buffer): string {
  return unsealBytes(key, sealed).toString('utf8');
}
