// Shape/view references: they materialise results (a Ref is always contiguous).
import { normDim, numel, type Ref, ravel, ref, stridesOf, unravel } from "./ndarray.js";

export function reshape(x: Ref, shape: readonly number[]): Ref {
  const n = numel(x.shape);
  const known = shape.filter((s) => s !== -1);
  const out = shape.map((s) => (s === -1 ? n / Math.max(1, numel(known)) : s));
  if (numel(out) !== n || shape.filter((s) => s === -1).length > 1) throw new Error("reshape: bad shape");
  return { shape: out, data: new Float64Array(x.data) };
}

export function permute(x: Ref, dims: readonly number[]): Ref {
  const nd = x.shape.length;
  const p = dims.map((d) => normDim(d, nd));
  if (p.length !== nd || new Set(p).size !== nd) throw new Error("permute: bad dims");
  const shape = p.map((d) => x.shape[d]!);
  const st = stridesOf(x.shape);
  const pst = p.map((d) => st[d]!);
  return ref(shape, (i) => x.data[ravel(unravel(i, shape), pst)]!);
}

export function transpose(x: Ref, d0: number, d1: number): Ref {
  const p = [...x.shape.keys()];
  const a = normDim(d0, x.shape.length);
  const b = normDim(d1, x.shape.length);
  [p[a], p[b]] = [p[b]!, p[a]!];
  return permute(x, p);
}

/** Python-style slice along dim (negative start/end count from the end; clamped; step > 0). */
export function slice(x: Ref, dim: number, start: number, end?: number, step = 1): Ref {
  const d = normDim(dim, x.shape.length);
  const n = x.shape[d]!;
  const clampIdx = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const s = clampIdx(start);
  const e = clampIdx(end ?? n);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  const shape = [...x.shape];
  shape[d] = len;
  const st = stridesOf(x.shape);
  return ref(shape, (i) => {
    const idx = unravel(i, shape);
    idx[d] = s + idx[d]! * step;
    return x.data[ravel(idx, st)]!;
  });
}

export const narrow = (x: Ref, dim: number, start: number, length: number): Ref => slice(x, dim, start, start + length);

export function cat(xs: readonly Ref[], dim: number): Ref {
  const nd = xs[0]!.shape.length;
  const d = normDim(dim, nd);
  const shape = [...xs[0]!.shape];
  shape[d] = xs.reduce((a, x) => a + x.shape[d]!, 0);
  const out = ref(shape);
  const ost = stridesOf(shape);
  let off = 0;
  for (const x of xs) {
    for (let i = 0; i < x.data.length; i++) {
      const idx = unravel(i, x.shape);
      idx[d] = idx[d]! + off;
      out.data[ravel(idx, ost)] = x.data[i]!;
    }
    off += x.shape[d]!;
  }
  return out;
}

export function unsqueeze(x: Ref, dim: number): Ref {
  const d = normDim(dim, x.shape.length + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return { shape, data: new Float64Array(x.data) };
}

export function squeeze(x: Ref, dim?: number): Ref {
  if (dim === undefined) return { shape: x.shape.filter((s) => s !== 1), data: new Float64Array(x.data) };
  const d = normDim(dim, x.shape.length);
  const shape = x.shape[d] === 1 ? x.shape.filter((_, i) => i !== d) : [...x.shape];
  return { shape, data: new Float64Array(x.data) };
}

export const stack = (xs: readonly Ref[], dim: number): Ref =>
  cat(
    xs.map((x) => unsqueeze(x, dim < 0 ? dim + x.shape.length + 1 : dim)),
    dim < 0 ? dim + xs[0]!.shape.length + 1 : dim,
  );

/** torch.split: an int gives pieces of that size (last smaller); a list gives those sizes. */
export function split(x: Ref, sizeOrSizes: number | readonly number[], dim: number): Ref[] {
  const d = normDim(dim, x.shape.length);
  const n = x.shape[d]!;
  const sizes: number[] = [];
  if (typeof sizeOrSizes === "number") {
    for (let s = 0; s < n; s += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, n - s));
    if (n === 0) sizes.push(0);
  } else sizes.push(...sizeOrSizes);
  let start = 0;
  return sizes.map((len) => {
    const r = narrow(x, d, start, len);
    start += len;
    return r;
  });
}

/** torch.chunk: pieces of ceil(n / chunks); may give fewer than `chunks`. */
export function chunk(x: Ref, chunks: number, dim: number): Ref[] {
  const n = x.shape[normDim(dim, x.shape.length)]!;
  return split(x, Math.max(1, Math.ceil(n / chunks)), dim);
}

export function flatten(x: Ref, startDim = 0, endDim = -1): Ref {
  if (x.shape.length === 0) return { shape: [1], data: new Float64Array(x.data) };
  const s = normDim(startDim, x.shape.length);
  const e = normDim(endDim, x.shape.length);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return { shape, data: new Float64Array(x.data) };
}
