import { candidateDigest, drawSample } from '../lookback/sample.js';

// The re-check draw (复核复查) and the yearly spot check (年度抽查), stratified by village: every
// village gets its own share (the rate, rounded up, and never fewer than the minimum), drawn with
// the look-back's seeded shuffle over that village's households in id order, under the seed
// "<seed>:<village>". The candidate list is every household in scope, ordered by village id then
// household id (plain code-point and numeric order, not the database's collation, so that any
// machine lists them the same way); its digest is what a repetition checks first.

export interface Candidate {
  id: string;
  village: string;
}

export interface VillageDraw {
  village: string;
  candidates: number;
  drawn: string[];
}

export interface StratifiedDraw {
  /** The full ordered list as `household:<id>`, the digest's input. */
  keys: string[];
  digest: string;
  villages: VillageDraw[];
}

const byId = (a: string, b: string) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The candidates in the draw's fixed order: village id, then household id. */
export function orderCandidates(candidates: readonly Candidate[]): Candidate[] {
  return [...candidates].sort((a, b) => byText(a.village, b.village) || byId(a.id, b.id));
}

export const villageSeed = (seed: string, village: string) => `${seed}:${village}`;

export function stratifiedDraw(seed: string, candidates: readonly Candidate[], ratePercent: number, minimumPerVillage: number): StratifiedDraw {
  const ordered = orderCandidates(candidates);
  const keys = ordered.map((c) => `household:${c.id}`);
  const groups = new Map<string, string[]>();
  for (const c of ordered) {
    const list = groups.get(c.village) ?? [];
    list.push(c.id);
    groups.set(c.village, list);
  }
  const villages = [...groups].map(([village, ids]) => ({
    village,
    candidates: ids.length,
    drawn: drawSample(villageSeed(seed, village), ids, ratePercent, minimumPerVillage),
  }));
  return { keys, digest: candidateDigest(keys), villages };
}
