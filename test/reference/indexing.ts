// gather, indexSelect, embedding, oneHot, triu/tril (PyTorch semantics; indices are integer-valued Refs).
import { normDim, type Ref, ravel, ref, stridesOf, unravel } from "./ndarray.js";

function checkIndex(i: number, size: number, what: string): number {
  if (!Number.isInteger(i) || i < 0 || i >= size) throw new Error(`${what}: index ${i} out of range [0, ${size})`);
  return i;
}

/** out[...i_d...] = x[... index[...] at dim ...]; index has x's ndim and is no larger in other dims. */
export function gather(x: Ref, dim: number, index: Ref): Ref {
  const d = normDim(dim, x.shape.length);
  if (index.shape.length !== x.shape.length) throw new Error("gather: index ndim differs");
  const st = stridesOf(x.shape);
  return ref(index.shape, (i) => {
    const idx = unravel(i, index.shape);
    idx[d] = checkIndex(index.data[i]!, x.shape[d]!, "gather");
    return x.data[ravel(idx, st)]!;
  });
}

/** Selects entries `index` (1-D) along `dim`. */
export function indexSelect(x: Ref, dim: number, index: Ref): Ref {
  const d = normDim(dim, x.shape.length);
  if (index.shape.length > 1) throw new Error("indexSelect: index must be 1-D");
  const shape = [...x.shape];
  shape[d] = index.data.length;
  const st = stridesOf(x.shape);
  return ref(shape, (i) => {
    const idx = unravel(i, shape);
    idx[d] = checkIndex(index.data[idx[d]!]!, x.shape[d]!, "indexSelect");
    return x.data[ravel(idx, st)]!;
  });
}

/** embedding(weight [V, C], indices any shape) -> [...indices.shape, C]. */
export function embedding(weight: Ref, indices: Ref): Ref {
  const [V, C] = weight.shape as [number, number];
  return ref([...indices.shape, C], (i) => {
    const row = checkIndex(indices.data[Math.floor(i / C)]!, V, "embedding");
    return weight.data[row * C + (i % C)]!;
  });
}

export function oneHot(indices: Ref, numClasses: number): Ref {
  return ref([...indices.shape, numClasses], (i) => {
    const c = checkIndex(indices.data[Math.floor(i / numClasses)]!, numClasses, "oneHot");
    return c === i % numClasses ? 1 : 0;
  });
}

function triangle(x: Ref, keep: (i: number, j: number) => boolean): Ref {
  const nd = x.shape.length;
  if (nd < 2) throw new Error("triu/tril: need at least 2 dims");
  const M = x.shape[nd - 2]!;
  const N = x.shape[nd - 1]!;
  return ref(x.shape, (f) => {
    const j = f % N;
    const i = Math.floor(f / N) % M;
    return keep(i, j) ? x.data[f]! : 0;
  });
}

/** Keeps j - i >= diagonal. */
export const triu = (x: Ref, diagonal = 0): Ref => triangle(x, (i, j) => j - i >= diagonal);
/** Keeps j - i <= diagonal. */
export const tril = (x: Ref, diagonal = 0): Ref => triangle(x, (i, j) => j - i <= diagonal);
