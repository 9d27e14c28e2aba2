// Applying ranked merges to one pre-tokenised piece. Always merging the lowest-ranked adjacent pair (the
// leftmost on ties) reproduces what training did to the piece. A linked list of symbols and a min-heap of
// candidate pairs keep long pieces (a megabyte of spaces) at O(n log n) instead of O(n²).
import { BinaryHeap } from "./binary_heap.js";

/** Ranked merges: `rank.get(left * base + right)` is the merge's rank; `result[rank]` is the merged id. */
export interface MergeTable {
  base: number;
  rank: Map<number, number>;
  result: Int32Array;
}

interface Candidate {
  rank: number;
  pos: number;
}

/** Merges the byte ids `ids` into token ids. */
export function applyMerges(ids: number[], table: MergeTable): number[] {
  const n = ids.length;
  if (n < 2) return ids;
  const syms = Int32Array.from(ids);
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const alive = new Uint8Array(n).fill(1);
  const heap = new BinaryHeap<Candidate>((a, b) => a.rank < b.rank || (a.rank === b.rank && a.pos < b.pos));
  const rankAt = (i: number): number | undefined =>
    next[i]! < 0 ? undefined : table.rank.get(syms[i]! * table.base + syms[next[i]!]!);
  const offer = (i: number): void => {
    const rank = rankAt(i);
    if (rank !== undefined) heap.push({ rank, pos: i });
  };
  for (let i = 0; i + 1 < n; i++) offer(i);

  let count = n;
  for (let c = heap.pop(); c !== undefined; c = heap.pop()) {
    // Entries go stale when a neighbour merges first; the same rank means the same pair, so a match is current.
    if (!alive[c.pos] || rankAt(c.pos) !== c.rank) continue;
    const i = c.pos;
    const j = next[i]!;
    syms[i] = table.result[c.rank]!;
    alive[j] = 0;
    next[i] = next[j]!;
    if (next[j]! >= 0) prev[next[j]!] = i;
    count--;
    if (prev[i]! >= 0) offer(prev[i]!);
    offer(i);
  }
  const out = new Array<number>(count);
  for (let i = 0, k = 0; i >= 0; i = next[i]!) out[k++] = syms[i]!;
  return out;
}
