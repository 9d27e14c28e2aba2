// softmax / logSoftmax over one dim.
import { normDim, numel, type Ref, ref } from "./ndarray.js";

function overDim(x: Ref, dim: number, f: (row: number[]) => number[]): Ref {
  const nd = x.shape.length;
  if (nd === 0) return ref([], f([x.data[0]!]));
  const d = normDim(dim, nd);
  const O = numel(x.shape.slice(0, d));
  const R = x.shape[d]!;
  const I = numel(x.shape.slice(d + 1));
  const out = ref(x.shape);
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      const row = new Array<number>(R);
      for (let r = 0; r < R; r++) row[r] = x.data[(o * R + r) * I + i]!;
      const res = f(row);
      for (let r = 0; r < R; r++) out.data[(o * R + r) * I + i] = res[r]!;
    }
  }
  return out;
}

export function logSoftmaxRow(row: number[]): number[] {
  let m = -Infinity;
  for (const v of row) if (v > m) m = v;
  if (m === -Infinity) return row.map(() => NaN);
  let s = 0;
  for (const v of row) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return row.map((v) => v - lse);
}

export function softmaxRow(row: number[]): number[] {
  let m = -Infinity;
  for (const v of row) if (v > m) m = v;
  const e = row.map((v) => Math.exp(v - m));
  let s = 0;
  for (const v of e) s += v;
  return e.map((v) => v / s);
}

export const softmax = (x: Ref, dim = -1): Ref => overDim(x, dim, softmaxRow);
export const logSoftmax = (x: Ref, dim = -1): Ref => overDim(x, dim, logSoftmaxRow);
