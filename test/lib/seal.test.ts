import { randomBytes } from 'node:crypto';
import t from 'tap';
import { seal, sealBytes, unseal, unsealBytes, unsealSlices } from '../../src/lib/seal.js';

// Sealing in slices (issue 12: a 20 MB import file) keeps the one format: nonce | tag | ciphertext.

const key = randomBytes(32);

async function* slices(b: Buffer, size: number) {
  for (let at = 0; at < b.length; at += size) yield b.subarray(at, at + size);
}

t.test('round trips, small and past the slice size; a changed byte is refused', async (t) => {
  t.equal(unseal(key, seal(key, '一段话')), '一段话');
  t.equal(unsealBytes(key, sealBytes(key, Buffer.alloc(0))).length, 0);
  const big = randomBytes(2.5 * 1024 * 1024 + 7);
  const sealed = sealBytes(key, big);
  t.equal(sealed.length, big.length + 28);
  t.ok(unsealBytes(key, sealed).equals(big));
  t.ok((await unsealSlices(key, sealed.length, slices(sealed, 1024 * 1024))).equals(big), 'opened slice by slice');
  t.ok((await unsealSlices(key, sealed.length, slices(sealed, 28))).equals(big), 'slices as small as the head');
  sealed[sealed.length - 1]! ^= 1;
  t.throws(() => unsealBytes(key, sealed));
  await t.rejects(unsealSlices(key, sealed.length, slices(sealed, 1024 * 1024)));
  await t.rejects(unsealSlices(key, sealed.length + 1, slices(sealed, 1024 * 1024)), 'a short value');
});

t.test('every seal has a nonce of its own, across refills of the nonce buffer', async (t) => {
  const seen = new Set<string>();
  // 512 nonces per fill: this crosses several refills.
  for (let i = 0; i < 3000; i++) seen.add(sealBytes(key, Buffer.from('1.2')).subarray(0, 12).toString('hex'));
  t.equal(seen.size, 3000);
  const a = sealBytes(key, Buffer.from('same'));
  const b = sealBytes(key, Buffer.from('same'));
  t.not(a.toString('hex'), b.toString('hex'), 'the same text seals differently');
  t.equal(unseal(key, a), 'same');
});
