import { createHash } from 'node:crypto';

// The look-back draw (回头看): a random sample that anyone can repeat. The candidates are listed in
// a fixed order ('lead:<id>' by id, then 'row:<id>' by id); a seeded generator (SHA-256 of
// "<seed>:<block>", read as 32-bit words) drives a partial Fisher–Yates shuffle. The same seed over
// the same list gives the same items on any machine, so an auditor can check a recorded draw.

/** How many to draw: the rate (in percent, rounded up) but never fewer than the minimum, nor more than there are. */
export function sampleSize(candidates: number, ratePercent: number, minimum: number): number {
  if (candidates === 0) return 0;
  // The epsilon keeps 1% of 100 at 1, where floating point would give 1.0000000000000002.
  const byRate = Math.ceil((candidates * ratePercent) / 100 - 1e-9);
  return Math.min(candidates, Math.max(minimum, byRate));
}

function words(seed: string): () => number {
  let block = 0;
  let buffer = Buffer.alloc(0);
  let offset = 0;
  return () => {
    if (offset >= buffer.length) {
      buffer = createHash('sha256').update(`${seed}:${block++}`).digest();
      offset = 0;
    }
    const word = buffer.readUInt32BE(offset);
    offset += 4;
    return word;
  };
}

/** A uniform integer in [0, n), by rejection so that no value is favoured. */
function below(next: () => number, n: number): number {
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const x = next();
    if (x < limit) return x % n;
  }
}

export function drawSample(seed: string, candidates: readonly string[], ratePercent: number, minimum: number): string[] {
  const size = sampleSize(candidates.length, ratePercent, minimum);
  const pool = [...candidates];
  const next = words(seed);
  for (let i = 0; i < size; i++) {
    const j = i + below(next, pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, size);
}

/** Identifies the candidate list a draw was made from, without storing it. */
export function candidateDigest(candidates: readonly string[]): string {
  return createHash('sha256').update(candidates.join('\n')).digest('hex');
}
