// A minimal float64 n-d array for reference implementations. Row-major, always contiguous.
// Nothing here imports from src/: the references must stay independent of the library under test.

export interface Ref {
  shape: number[];
  data: Float64Array;
}

export type Nested = number | boolean | Nested[];

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Row-major strides of a contiguous array of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    st[d] = acc;
    acc *= shape[d]!;
  }
  return st;
}

/** New Ref of `shape`, filled from an array-like, a function of the flat index, or zeros. */
export function ref(shape: readonly number[], init?: ArrayLike<number> | ((i: number) => number)): Ref {
  const n = numel(shape);
  const data = new Float64Array(n);
  if (typeof init === "function") {
    for (let i = 0; i < n; i++) data[i] = init(i);
  } else if (init !== undefined) {
    if (init.length !== n) throw new Error(`ref: ${init.length} values for shape [${shape.join(", ")}]`);
    for (let i = 0; i < n; i++) data[i] = Number(init[i]);
  }
  return { shape: [...shape], data };
}

export function scalar(v: number): Ref {
  return ref([], [v]);
}

export function full(shape: readonly number[], v: number): Ref {
  return ref(shape, () => v);
}

export function clone(x: Ref): Ref {
  return { shape: [...x.shape], data: new Float64Array(x.data) };
}

/** Ref from nested JS arrays (booleans become 0/1). */
export function fromNested(value: Nested): Ref {
  const shape: number[] = [];
  let cur: Nested = value;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  const out: number[] = [];
  const walk = (v: Nested, depth: number): void => {
    if (Array.isArray(v)) {
      if (depth >= shape.length || v.length !== shape[depth]) throw new Error("fromNested: ragged array");
      for (const e of v) walk(e, depth + 1);
    } else {
      if (depth !== shape.length) throw new Error("fromNested: ragged array");
      out.push(typeof v === "boolean" ? (v ? 1 : 0) : v);
    }
  };
  walk(value, 0);
  return ref(shape, out);
}

/** Nested JS arrays of a Ref (a 0-d Ref gives a number). */
export function toNested(x: Ref): Nested {
  if (x.shape.length === 0) return x.data[0]!;
  const st = stridesOf(x.shape);
  const build = (d: number, off: number): Nested => {
    const res: Nested[] = [];
    for (let i = 0; i < x.shape[d]!; i++) {
      res.push(d === x.shape.length - 1 ? x.data[off + i]! : build(d + 1, off + i * st[d]!));
    }
    return res;
  };
  return build(0, 0);
}

/** Multi-index of flat index `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    const s = shape[d]!;
    idx[d] = flat % s;
    flat = Math.floor(flat / s);
  }
  return idx;
}

/** Flat offset of a multi-index under `strides`. */
export function ravel(idx: readonly number[], strides: readonly number[]): number {
  let off = 0;
  for (let d = 0; d < idx.length; d++) off += idx[d]! * strides[d]!;
  return off;
}

export function get(x: Ref, idx: readonly number[]): number {
  return x.data[ravel(idx, stridesOf(x.shape))]!;
}

/** Normalises a possibly negative axis; throws when out of range. */
export function normDim(dim: number, ndim: number): number {
  const d = dim < 0 ? dim + ndim : dim;
  if (!Number.isInteger(d) || d < 0 || d >= Math.max(ndim, 1))
    throw new Error(`dim ${dim} out of range for ndim ${ndim}`);
  return d;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** NumPy/PyTorch broadcasting of any number of shapes (right-aligned; sizes equal or 1). */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const d = nd - s.length + i;
      const a = out[d]!;
      const b = s[i]!;
      if (a === b || b === 1) continue;
      if (a === 1) out[d] = b;
      else throw new Error(`cannot broadcast [${shapes.map((x) => x.join(",")).join("] [")}]`);
    }
  }
  return out;
}

/** Materialises `x` broadcast to `shape`. */
export function broadcastTo(x: Ref, shape: readonly number[]): Ref {
  const bs = broadcastShapes(x.shape, shape);
  if (!sameShape(bs, shape)) throw new Error(`cannot broadcast [${x.shape}] to [${shape}]`);
  const st = stridesOf(x.shape);
  const pad = shape.length - x.shape.length;
  const bst = shape.map((_, d) => (d < pad || x.shape[d - pad] === 1 ? 0 : st[d - pad]!));
  return ref(shape, (i) => x.data[ravel(unravel(i, shape), bst)]!);
}

export function map(x: Ref, f: (v: number, i: number) => number): Ref {
  return ref(x.shape, (i) => f(x.data[i]!, i));
}

/** Elementwise binary op with broadcasting. */
export function zip(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref {
  const shape = broadcastShapes(a.shape, b.shape);
  const A = broadcastTo(a, shape);
  const B = broadcastTo(b, shape);
  return ref(shape, (i) => f(A.data[i]!, B.data[i]!));
}

/** Elementwise ternary op with broadcasting. */
export function zip3(a: Ref, b: Ref, c: Ref, f: (x: number, y: number, z: number) => number): Ref {
  const shape = broadcastShapes(a.shape, b.shape, c.shape);
  const A = broadcastTo(a, shape);
  const B = broadcastTo(b, shape);
  const C = broadcastTo(c, shape);
  return ref(shape, (i) => f(A.data[i]!, B.data[i]!, C.data[i]!));
}
