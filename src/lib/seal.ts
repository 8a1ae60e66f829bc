import { createCipheriv, createDecipheriv, randomFillSync, type DecipherGCM } from 'node:crypto';

// AES-256-GCM: 12-byte random nonce | 16-byte tag | ciphertext, in one buffer.

const NONCE = 12;
const HEAD = NONCE + 16;
/** Large files (a 20 MB register import) are run through the cipher a slice at a time into one buffer, so only one copy of the output ever exists. */
const SLICE = 1024 * 1024;

// Nonces are cut from one buffer of the system's random bytes, refilled when used up: each call
// into the random source costs more than the sealing of a short value (a status page's view token,
// a form token), and a slice of one fill is as unpredictable as a fill of its own. Each nonce is
// copied out before the buffer can be refilled, and no slice is handed out twice.
const nonces = Buffer.alloc(NONCE * 512);
let nextNonce = nonces.length;

function nonce(): Buffer {
  if (nextNonce === nonces.length) {
    randomFillSync(nonces);
    nextNonce = 0;
  }
  const at = nextNonce;
  nextNonce += NONCE;
  return nonces.subarray(at, at + NONCE);
}

export function sealBytes(key: Buffer, plaintext: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEAD + plaintext.length);
  nonce().copy(out, 0);
  const cipher = createCipheriv('aes-256-gcm', key, out.subarray(0, NONCE));
  // GCM is a stream mode: update() returns as many bytes as it takes, final() only the tag.
  for (let at = 0; at < plaintext.length; at += SLICE) cipher.update(plaintext.subarray(at, at + SLICE)).copy(out, HEAD + at);
  cipher.final();
  cipher.getAuthTag().copy(out, NONCE);
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
