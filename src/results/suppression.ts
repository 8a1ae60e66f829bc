// Small numbers on the public results page. A village's count of 1 or 2 reports can point at the
// reporter (in a village everyone knows who went to the township), so per village every count below
// THRESHOLD is shown as "fewer than 3" — 0 included, so that "fewer than 3" never means "at least
// one". Hiding the small cells alone is not enough: the town's total is public (the category table
// sums to it), so the reader knows the sum S of the hidden cells. With k cells shown as "fewer than
// 3", each is somewhere in 0..2, and one of them is pinned down or known to be non-zero exactly when
// S > 2(k − 1) — a single hidden cell (k = 1) with S > 0, say, or every hidden cell at 2. Then the
// smallest count that is shown is withheld as well ("not shown"), which makes the hidden sum
// unbounded from the reader's side; if no count is left to withhold, the village table is not
// published at all. Only received reports are broken down by village: a per-village status column
// would let received − accepted expose small numbers of its own.

export const THRESHOLD = 3;

export type Cell = { kind: 'shown'; n: number } | { kind: 'few' } | { kind: 'withheld' };

/** The cells to publish for counts that sum to a published total, or null: publish none. */
export function suppressSmallCounts(counts: readonly number[]): Cell[] | null {
  const cells: Cell[] = counts.map((n) => (n < THRESHOLD ? { kind: 'few' } : { kind: 'shown', n }));
  const few = counts.filter((n) => n < THRESHOLD);
  const hiddenSum = few.reduce((a, b) => a + b, 0);
  if (few.length === 0 || hiddenSum <= (THRESHOLD - 1) * (few.length - 1)) return cells;
  let smallest = -1;
  counts.forEach((n, i) => {
    if (n >= THRESHOLD && (smallest < 0 || n < counts[smallest]!)) smallest = i;
  });
  if (smallest < 0) return null;
  cells[smallest] = { kind: 'withheld' };
  return cells;
}
