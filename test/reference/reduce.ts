// Reductions over arbitrary axes with keepdim (PyTorch semantics).
import { normDim, numel, type Ref, ref, stridesOf, unravel } from "./ndarray.js";

export interface ReduceOpts {
  /** Axes to reduce; undefined reduces all. */
  dim?: number | number[];
  keepdim?: boolean;
}

function axesOf(ndim: number, dim: number | number[] | undefined): number[] {
  if (dim === undefined) return [...Array(ndim).keys()];
  const list = (Array.isArray(dim) ? dim : [dim]).map((d) => normDim(d, ndim));
  if (new Set(list).size !== list.length) throw new Error(`repeated dim in [${list}]`);
  return list.sort((a, b) => a - b);
}

/** Shape after reducing `dim` of `shape`. */
export function reducedShape(shape: readonly number[], dim: number | number[] | undefined, keepdim = false): number[] {
  if (shape.length === 0) return [];
  const axes = new Set(axesOf(shape.length, dim));
  const out: number[] = [];
  shape.forEach((s, d) => {
    if (!axes.has(d)) out.push(s);
    else if (keepdim) out.push(1);
  });
  return out;
}

/**
 * Generic reduction: `f` receives the values along the reduced axes (in row-major order of those axes)
 * for each output element.
 */
export function reduce(x: Ref, opts: ReduceOpts, f: (values: number[]) => number): Ref {
  if (x.shape.length === 0) return ref([], [f([x.data[0]!])]);
  const axes = axesOf(x.shape.length, opts.dim);
  const axisSet = new Set(axes);
  const keptDims = x.shape.map((_, d) => d).filter((d) => !axisSet.has(d));
  const keptShape = keptDims.map((d) => x.shape[d]!);
  const redShape = axes.map((d) => x.shape[d]!);
  const st = stridesOf(x.shape);
  const nOut = numel(keptShape);
  const nRed = numel(redShape);
  const out = new Float64Array(nOut);
  // Offsets of the reduced positions relative to an output's base offset: the same for every output.
  const redOffsets = new Array<number>(nRed);
  for (let r = 0; r < nRed; r++) {
    const ri = unravel(r, redShape);
    let off = 0;
    axes.forEach((d, i) => (off += ri[i]! * st[d]!));
    redOffsets[r] = off;
  }
  const vals = new Array<number>(nRed);
  for (let o = 0; o < nOut; o++) {
    const ko = unravel(o, keptShape);
    let base = 0;
    keptDims.forEach((d, i) => (base += ko[i]! * st[d]!));
    for (let r = 0; r < nRed; r++) vals[r] = x.data[base + redOffsets[r]!]!;
    out[o] = f(vals);
  }
  return { shape: reducedShape(x.shape, opts.dim, opts.keepdim ?? false), data: out };
}

const sumOf = (v: number[]): number => {
  // Neumaier summation: the reference should not be the source of rounding error.
  let s = 0;
  let c = 0;
  for (const x of v) {
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return s + c;
};

export const sum = (x: Ref, o: ReduceOpts = {}): Ref => reduce(x, o, sumOf);
export const mean = (x: Ref, o: ReduceOpts = {}): Ref => reduce(x, o, (v) => sumOf(v) / v.length);

function extreme(v: number[], better: (a: number, b: number) => boolean): { value: number; index: number } {
  if (v.length === 0) throw new Error("reduction of an empty axis");
  let best = v[0]!;
  let idx = 0;
  for (let i = 1; i < v.length; i++) {
    if (Number.isNaN(best)) break;
    const x = v[i]!;
    if (Number.isNaN(x) || better(x, best)) {
      best = x;
      idx = i;
    }
  }
  return { value: best, index: idx };
}

/** max; NaN propagates (a NaN is the max). */
export const max = (x: Ref, o: ReduceOpts = {}): Ref => reduce(x, o, (v) => extreme(v, (a, b) => a > b).value);
export const min = (x: Ref, o: ReduceOpts = {}): Ref => reduce(x, o, (v) => extreme(v, (a, b) => a < b).value);

/** argmax over one dim (or the flattened array when dim is undefined): first index of the max; NaN wins. */
export function argmax(x: Ref, o: { dim?: number; keepdim?: boolean } = {}): Ref {
  if (o.dim === undefined) {
    const r = extreme(Array.from(x.data), (a, b) => a > b).index;
    return o.keepdim
      ? ref(
          x.shape.map(() => 1),
          [r],
        )
      : ref([], [r]);
  }
  return reduce(x, o, (v) => extreme(v, (a, b) => a > b).index);
}

export function argmin(x: Ref, o: { dim?: number; keepdim?: boolean } = {}): Ref {
  if (o.dim === undefined) {
    const r = extreme(Array.from(x.data), (a, b) => a < b).index;
    return o.keepdim
      ? ref(
          x.shape.map(() => 1),
          [r],
        )
      : ref([], [r]);
  }
  return reduce(x, o, (v) => extreme(v, (a, b) => a < b).index);
}

export function logsumexpOf(v: number[]): number {
  let m = -Infinity;
  for (const x of v) if (x > m || Number.isNaN(x)) m = x;
  if (Number.isNaN(m)) return NaN;
  if (m === -Infinity) return -Infinity;
  if (m === Infinity) return Infinity;
  return m + Math.log(sumOf(v.map((x) => Math.exp(x - m))));
}

export const logsumexp = (x: Ref, o: ReduceOpts = {}): Ref => reduce(x, o, logsumexpOf);

/** var with Bessel-style correction (default 1, as torch.var); two-pass. */
export function variance(x: Ref, o: ReduceOpts & { correction?: number } = {}): Ref {
  const corr = o.correction ?? 1;
  return reduce(x, o, (v) => {
    const m = sumOf(v) / v.length;
    return sumOf(v.map((a) => (a - m) * (a - m))) / Math.max(0, v.length - corr);
  });
}

/** Vector p-norm over the axes: (sum |x|^p)^(1/p); p = Infinity is max |x|; p defaults to 2. */
export function norm(x: Ref, o: ReduceOpts & { p?: number } = {}): Ref {
  const p = o.p ?? 2;
  return reduce(x, o, (v) => {
    if (p === Infinity) return v.reduce((m, a) => Math.max(m, Math.abs(a)), 0);
    if (p === 2) return Math.sqrt(sumOf(v.map((a) => a * a)));
    return Math.pow(sumOf(v.map((a) => Math.pow(Math.abs(a), p))), 1 / p);
  });
}
