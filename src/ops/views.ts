import { ArgumentError, DTypeError, ShapeError, show } from "../errors.js";
import type { DType } from "../tensor/dtype.js";
import { checkShape, contiguousStrides, formatShape, normAxis, numelOf } from "../tensor/shape.js";
import { Tensor, expectTensor } from "../tensor/tensor.js";
import { commonDevice, emptyTensor, runKernel, type ViewArg } from "./dispatch.js";
import { record } from "./record.js";

/** A contiguous copy of `x` (x itself when it is already contiguous). */
export function contiguous<D extends DType>(x: Tensor<D>): Tensor<D> {
  expectTensor("contiguous", "x", x);
  if (x.isContiguous()) return x;
  const y = emptyTensor(x.shape, x.dtype, x.device);
  runKernel("contiguous", "copy", [x], [y]);
  record("contiguous", [x], y);
  return y;
}

/** Resolves one -1 in a requested shape against `numel`. */
function resolveShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new ArgumentError(`${op}: shape must be an array, got ${typeof shape}`);
  const out = shape.slice();
  const wild = out.indexOf(-1);
  if (wild !== out.lastIndexOf(-1)) throw new ShapeError(`${op}: only one -1 is allowed, got ${formatShape(shape)}`);
  if (wild >= 0) {
    const known = out.reduce((a, s, i) => (i === wild ? a : a * s), 1);
    if (known === 0 || x.numel % known !== 0)
      throw new ShapeError(`${op}: cannot reshape ${formatShape(x.shape)} into ${formatShape(shape)}`);
    out[wild] = x.numel / known;
  }
  checkShape(op, "shape", out);
  if (numelOf(out) !== x.numel)
    throw new ShapeError(
      `${op}: cannot reshape ${formatShape(x.shape)} (${x.numel} elements) into ${formatShape(shape)}`,
    );
  return out;
}

/** Strides that let `x` be seen with `shape` without copying, or undefined when that needs a copy. */
function viewStrides(x: Tensor, shape: readonly number[]): number[] | undefined {
  if (x.isContiguous() || x.numel === 0) return contiguousStrides(shape);
  // Walk x's dims from the last, grouping runs that are laid out contiguously with each other; each
  // run must be covered exactly by a run of new dims, which then get strides inside that run.
  const strides = new Array<number>(shape.length);
  let newDim = shape.length - 1;
  let base = x.strides[x.ndim - 1]!;
  let runSize = 1;
  let newSize = 1;
  for (let d = x.ndim - 1; d >= 0; d--) {
    runSize *= x.shape[d]!;
    const runEnds = d === 0 || (x.shape[d - 1] !== 1 && x.strides[d - 1] !== runSize * base);
    if (!runEnds) continue;
    while (newDim >= 0 && (newSize < runSize || shape[newDim] === 1)) {
      strides[newDim] = newSize * base;
      newSize *= shape[newDim]!;
      newDim--;
    }
    if (newSize !== runSize) return undefined;
    if (d > 0) {
      base = x.strides[d - 1]!;
      runSize = 1;
      newSize = 1;
    }
  }
  return newDim === -1 ? strides : undefined;
}

/**
 * The same elements with a new shape (one size may be -1). A view when the strides allow it, else a copy.
 *
 * @example
 * arange(6).reshape([2, 3]);
 */
export function reshape<D extends DType>(x: Tensor<D>, shape: readonly number[]): Tensor<D> {
  expectTensor("reshape", "x", x);
  const target = resolveShape("reshape", x, shape);
  const strides = viewStrides(x, target);
  const y = strides ? Tensor.view(x, target, strides, x.offset, "reshape") : reshapeCopy(x, target);
  record("reshape", [x], y);
  return y;
}

function reshapeCopy<D extends DType>(x: Tensor<D>, shape: readonly number[]): Tensor<D> {
  const y = emptyTensor(shape, x.dtype, x.device);
  runKernel("reshape", "copy", [x], [{ tensor: y, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0 }]);
  return y;
}

/** Like reshape, but never copies: a ShapeError when the strides do not allow a view. */
export function view<D extends DType>(x: Tensor<D>, shape: readonly number[]): Tensor<D> {
  expectTensor("view", "x", x);
  const target = resolveShape("view", x, shape);
  const strides = viewStrides(x, target);
  if (!strides)
    throw new ShapeError(
      `view: a tensor of shape ${formatShape(x.shape)} with strides ${formatShape(x.strides)} cannot be viewed as ${formatShape(target)}; use reshape() (which copies)`,
    );
  const y = Tensor.view(x, target, strides, x.offset, "view");
  record("reshape", [x], y);
  return y;
}

/**
 * Reorders the dimensions (a view).
 *
 * @example
 * x.permute([0, 2, 1, 3]); // [B, T, H, D] -> [B, H, T, D]
 */
export function permute<D extends DType>(x: Tensor<D>, dims: readonly number[]): Tensor<D> {
  expectTensor("permute", "x", x);
  if (!Array.isArray(dims) || dims.length !== x.ndim)
    throw new ArgumentError(`permute: dims must list all ${x.ndim} dims of ${formatShape(x.shape)}, got ${show(dims)}`);
  const order = dims.map((d) => normAxis("permute", d, x.ndim));
  if (new Set(order).size !== order.length) throw new ArgumentError(`permute: dims [${dims.join(", ")}] repeat a dim`);
  const y = Tensor.view(
    x,
    order.map((d) => x.shape[d]!),
    order.map((d) => x.strides[d]!),
    x.offset,
    "permute",
  );
  record("permute", [x], y, { dims: order });
  return y;
}

/** Swaps two dimensions (a view). @example x.transpose(-2, -1) */
export function transpose<D extends DType>(x: Tensor<D>, dim0: number, dim1: number): Tensor<D> {
  expectTensor("transpose", "x", x);
  const a = normAxis("transpose", dim0, x.ndim, "dim0");
  const b = normAxis("transpose", dim1, x.ndim, "dim1");
  const order = x.shape.map((_, i) => i);
  order[a] = b;
  order[b] = a;
  return x.ndim === 0 ? x : permute(x, order);
}

/**
 * Broadcasts size-1 dims to larger sizes without copying (-1 keeps a size). New leading dims may be added.
 *
 * @example
 * tensor([1, 2, 3]).expand([4, 3]);
 */
export function expand<D extends DType>(x: Tensor<D>, shape: readonly number[]): Tensor<D> {
  expectTensor("expand", "x", x);
  if (!Array.isArray(shape) || shape.length < x.ndim)
    throw new ShapeError(`expand: cannot expand ${formatShape(x.shape)} to ${formatShape(shape ?? [])}`);
  const lead = shape.length - x.ndim;
  const outShape: number[] = [];
  const strides: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const want = shape[i]!;
    const have = i < lead ? 1 : x.shape[i - lead]!;
    const size = want === -1 ? have : want;
    if (i < lead && want === -1)
      throw new ShapeError(`expand: -1 is not allowed for new leading dims, got ${formatShape(shape)}`);
    if (size !== have && have !== 1)
      throw new ShapeError(
        `expand: cannot expand ${formatShape(x.shape)} to ${formatShape(shape)} (dim ${i}: ${have} -> ${size})`,
      );
    outShape.push(size);
    strides.push(i < lead || (have === 1 && size !== 1) ? 0 : x.strides[i - lead]!);
  }
  checkShape("expand", "shape", outShape);
  const y = Tensor.view(x, outShape, strides, x.offset, "expand");
  record("expand", [x], y);
  return y;
}

/** Removes size-1 dims (all of them, or only `dim`). */
export function squeeze<D extends DType>(x: Tensor<D>, dim?: number): Tensor<D> {
  expectTensor("squeeze", "x", x);
  const keep = x.shape.map((s, i) => (dim === undefined ? s !== 1 : i !== normAxis("squeeze", dim, x.ndim) || s !== 1));
  const y = Tensor.view(
    x,
    x.shape.filter((_, i) => keep[i]),
    x.strides.filter((_, i) => keep[i]),
    x.offset,
    "squeeze",
  );
  record("reshape", [x], y);
  return y;
}

/** Inserts a size-1 dim at `dim` (negative counts from the end of the result). */
export function unsqueeze<D extends DType>(x: Tensor<D>, dim: number): Tensor<D> {
  expectTensor("unsqueeze", "x", x);
  const d = normAxis("unsqueeze", dim, x.ndim + 1);
  const shape = x.shape.slice();
  const strides = x.strides.slice();
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x.strides[d]! * x.shape[d]! : 1);
  checkShape("unsqueeze", "result shape", shape);
  const y = Tensor.view(x, shape, strides, x.offset, "unsqueeze");
  record("reshape", [x], y);
  return y;
}

/**
 * Elements start, start+step, ... below end along `dim` (a view). Negative start/end count from the end,
 * and both are clamped to the size, like Python slicing.
 *
 * @example
 * x.slice(1, 0, 2); // x[:, 0:2]
 */
export function slice<D extends DType>(x: Tensor<D>, dim: number, start = 0, end?: number, step = 1): Tensor<D> {
  expectTensor("slice", "x", x);
  const d = normAxis("slice", dim, x.ndim);
  const size = x.shape[d]!;
  for (const [name, v] of [
    ["start", start],
    ["end", end ?? 0],
    ["step", step],
  ] as const) {
    if (!Number.isInteger(v)) throw new ArgumentError(`slice: ${name} must be an integer, got ${show(v)}`);
  }
  if (step < 1) throw new ArgumentError(`slice: step must be >= 1, got ${step}`);
  const clampIndex = (i: number): number => Math.min(size, Math.max(0, i < 0 ? i + size : i));
  const s = clampIndex(start);
  const e = Math.max(s, clampIndex(end ?? size));
  const shape = x.shape.slice();
  shape[d] = Math.ceil((e - s) / step);
  const strides = x.strides.slice();
  strides[d] = x.strides[d]! * step;
  const y = Tensor.view(x, shape, strides, x.offset + s * x.strides[d]!, "slice");
  record("slice", [x], y, { dim: d, start: s, step });
  return y;
}

/** `length` elements from `start` along `dim` (a view), like torch.narrow. */
export function narrow<D extends DType>(x: Tensor<D>, dim: number, start: number, length: number): Tensor<D> {
  expectTensor("narrow", "x", x);
  const d = normAxis("narrow", dim, x.ndim);
  const s = typeof start === "number" && start < 0 ? start + x.shape[d]! : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > x.shape[d]!) {
    throw new ArgumentError(
      `narrow: start ${show(start)} and length ${show(length)} do not fit dim ${d} of ${formatShape(x.shape)}`,
    );
  }
  return slice(x, d, s, s + length);
}

/** Merges dims startDim..endDim into one. @example x.flatten(1) */
export function flatten<D extends DType>(x: Tensor<D>, startDim = 0, endDim = -1): Tensor<D> {
  expectTensor("flatten", "x", x);
  if (x.ndim === 0) return reshape(x, [1]);
  const a = normAxis("flatten", startDim, x.ndim, "startDim");
  const b = normAxis("flatten", endDim, x.ndim, "endDim");
  if (a > b) throw new ArgumentError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, a), x.shape.slice(a, b + 1).reduce((p, s) => p * s, 1), ...x.shape.slice(b + 1)];
  return reshape(x, shape);
}

/** A ViewArg of `dst` restricted to [start, start+length) along dim, for writing parts of a result. */
function partOf(dst: Tensor, dim: number, start: number, length: number): ViewArg {
  const shape = dst.shape.slice();
  shape[dim] = length;
  return { tensor: dst, shape, strides: dst.strides, offset: dst.offset + start * dst.strides[dim]! };
}

function checkTensorList(op: string, tensors: readonly unknown[]): void {
  tensors.forEach((t, i) => {
    expectTensor(op, `element ${i}`, t);
  });
}

/**
 * Joins tensors along an existing dim. All must share dtype, device and every other size.
 *
 * @example
 * cat([a, b], 0);
 */
export function cat<D extends DType>(tensors: readonly Tensor<D>[], dim = 0): Tensor<D> {
  if (!Array.isArray(tensors) || tensors.length === 0)
    throw new ArgumentError("cat: expected a non-empty array of tensors");
  checkTensorList("cat", tensors);
  const first = tensors[0]!;
  const d = normAxis("cat", dim, first.ndim);
  checkJoinable("cat", tensors);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((s: number, i: number) => i !== d && s !== first.shape[i])) {
      throw new ShapeError(
        `cat: shapes ${tensors.map((x) => formatShape(x.shape)).join(", ")} differ outside dim ${d}`,
      );
    }
  }
  const shape = first.shape.slice();
  shape[d] = tensors.reduce((a, t) => a + t.shape[d]!, 0);
  const y = emptyTensor(checkShape("cat", "result shape", shape), first.dtype, first.device);
  let at = 0;
  for (const t of tensors) {
    if (t.numel > 0) runKernel("cat", "copy", [t], [partOf(y, d, at, t.shape[d]!)]);
    at += t.shape[d]!;
  }
  record("cat", tensors, y, { dim: d, sizes: tensors.map((t) => t.shape[d]!) });
  return y;
}

/** Tensors that cat and stack can join share a dtype and a device; the error names the op called. */
function checkJoinable(op: string, tensors: readonly Tensor[]): void {
  commonDevice(op, tensors);
  const dtypes = new Set(tensors.map((t) => t.dtype));
  if (dtypes.size > 1) throw new DTypeError(`${op}: all tensors need one dtype, got ${[...dtypes].join(" and ")}`);
}

/** Joins tensors of one shape along a new dim. @example stack([a, b], 0) */
export function stack<D extends DType>(tensors: readonly Tensor<D>[], dim = 0): Tensor<D> {
  if (!Array.isArray(tensors) || tensors.length === 0)
    throw new ArgumentError("stack: expected a non-empty array of tensors");
  checkTensorList("stack", tensors);
  const rank = tensors[0]!.ndim;
  const d = normAxis("stack", dim, rank + 1);
  checkJoinable("stack", tensors);
  for (const t of tensors) {
    if (t.ndim !== rank || t.shape.some((s: number, i: number) => s !== tensors[0]!.shape[i])) {
      throw new ShapeError(
        `stack: all tensors need one shape, got ${tensors.map((x) => formatShape(x.shape)).join(", ")}`,
      );
    }
  }
  const parts: Tensor<D>[] = tensors.map((t) => unsqueeze(t, d));
  const y: Tensor<D> = cat(parts, d);
  for (const p of parts) p.dispose();
  return y;
}

/**
 * Splits along `dim` into pieces of `size` (the last may be smaller), or of the listed sizes. Views.
 *
 * @example
 * const [q, k, v] = split(qkv, 768, -1);
 */
export function split<D extends DType>(x: Tensor<D>, sizeOrSizes: number | readonly number[], dim = 0): Tensor<D>[] {
  expectTensor("split", "x", x);
  const d = normAxis("split", dim, x.ndim);
  const total = x.shape[d]!;
  let sizes: number[];
  if (typeof sizeOrSizes !== "number" && !Array.isArray(sizeOrSizes))
    throw new ArgumentError(`split: expected a size or an array of sizes, got ${show(sizeOrSizes)}`);
  if (typeof sizeOrSizes === "number") {
    if (!Number.isInteger(sizeOrSizes) || sizeOrSizes < 1)
      throw new ArgumentError(`split: size must be a whole number >= 1, got ${sizeOrSizes}`);
    sizes = [];
    for (let at = 0; at < total; at += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, total - at));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = Array.from(sizeOrSizes);
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((a, b) => a + b, 0) !== total) {
      throw new ShapeError(
        `split: sizes ${show(sizes)} must be whole numbers adding up to ${total} (dim ${d} of ${formatShape(x.shape)})`,
      );
    }
  }
  const out: Tensor<D>[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(slice(x, d, at, at + s));
    at += s;
  }
  return out;
}

/** Splits into `chunks` nearly equal pieces along `dim`, like torch.chunk. */
export function chunk<D extends DType>(x: Tensor<D>, chunks: number, dim = 0): Tensor<D>[] {
  expectTensor("chunk", "x", x);
  if (!Number.isInteger(chunks) || chunks < 1)
    throw new ArgumentError(`chunk: chunks must be a whole number >= 1, got ${show(chunks)}`);
  const d = normAxis("chunk", dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d]! / chunks)), d);
}

/**
 * The gradient of slice(): a zero tensor of `shape` with `g` written into the sliced positions.
 * Used by the gradient rules.
 */
export function unslice<D extends DType>(
  g: Tensor<D>,
  shape: readonly number[],
  dim: number,
  start: number,
  step: number,
): Tensor<D> {
  const y = emptyTensor(shape, g.dtype, g.device);
  runKernel("slice backward", "fill", [], [y], { value: 0 });
  const strides = contiguousStrides(shape);
  const part: ViewArg = {
    tensor: y,
    shape: g.shape,
    strides: strides.map((s, i) => (i === dim ? s * step : s)),
    offset: start * strides[dim]!,
  };
  if (g.numel > 0) runKernel("slice backward", "copy", [g], [part]);
  return y;
}

/** A copy of `x` with its own storage (differentiable). @example const y = x.clone(); */
export function clone<D extends DType>(x: Tensor<D>): Tensor<D> {
  expectTensor("clone", "x", x);
  const y = emptyTensor(x.shape, x.dtype, x.device);
  runKernel("clone", "copy", [x], [y]);
  record("contiguous", [x], y);
  return y;
}

/** The same data cut off from the autograd graph (shares storage; requires no grad). */
export function detach<D extends DType>(x: Tensor<D>): Tensor<D> {
  return Tensor.view(x, x.shape, x.strides, x.offset, "detach");
}
