import { ArgumentError, ShapeError } from "../errors.js";
import { expectTensor } from "../tensor/tensor.js";
import type { DType, FloatDType, NumericDType } from "../tensor/dtype.js";
import { expectDType, isFloat } from "../tensor/dtype.js";
import { noGrad } from "../tensor/graph.js";
import { cleanupOnError, tidy } from "../tensor/scope.js";
import { formatShape, normAxis } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { contiguousAs, emptyTensor, runKernel } from "./dispatch.js";
import { abs, div, gt, lt, mul, pow, sqrt, sub, where } from "./elementwise.js";
import { record } from "./record.js";
import { contiguous, permute, reshape } from "./views.js";
import { KERNELS, type ReduceKernel } from "./table.js";

/** Which dims to reduce (all when left out) and whether to keep them as size 1. */
export interface ReduceOptions {
  dim?: number | readonly number[];
  keepdim?: boolean;
}

/** Sorted, de-duplicated reduction axes. */
export function reduceAxes(op: string, x: Tensor, dim: ReduceOptions["dim"]): number[] {
  if (dim === undefined) return x.shape.map((_, i) => i);
  const list = typeof dim === "number" ? [dim] : dim;
  if (!Array.isArray(list)) throw new ArgumentError(`${op}: dim must be a number or an array of numbers`);
  const axes = list.map((d) => normAxis(op, d, x.ndim));
  if (new Set(axes).size !== axes.length) throw new ArgumentError(`${op}: dim [${list.join(", ")}] repeats an axis`);
  return axes.sort((a, b) => a - b);
}

function resultShape(x: Tensor, axes: readonly number[], keepdim: boolean): number[] {
  return keepdim ? x.shape.map((s, i) => (axes.includes(i) ? 1 : s)) : x.shape.filter((_, i) => !axes.includes(i));
}

/**
 * Runs a reduce kernel over `axes`: x is brought to a contiguous [O, R, I] layout (permuting only when the
 * axes are not adjacent) and the result, allocated in its final shape, is written as [O, I].
 */
function reduceOp(
  op: string,
  kernel: ReduceKernel,
  x: Tensor,
  opts: ReduceOptions | undefined,
  outDtype?: DType,
): Tensor {
  return cleanupOnError(() => {
    expectTensor(op, "x", x);
    expectDType(op, "x", x.dtype, KERNELS[kernel].dtypes);
    const axes = reduceAxes(op, x, opts?.dim);
    const keepdim = opts?.keepdim ?? false;
    const adjacent = axes.every((a, i) => i === 0 || a === axes[i - 1]! + 1);
    const rest = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    // Layout changes are internal: the reduction itself is what autograd records.
    const src = adjacent ? x : noGrad(() => permute(x, [...rest, ...axes]));
    const first = adjacent ? (axes[0] ?? x.ndim) : rest.length;
    const last = adjacent ? (axes.length ? axes[axes.length - 1]! : x.ndim - 1) : x.ndim - 1;
    const c = noGrad(() => contiguous(src));
    const size = (from: number, to: number): number => c.shape.slice(from, to).reduce((a, s) => a * s, 1);
    const O = size(0, first);
    const R = axes.length ? size(first, last + 1) : 1;
    const I = size(last + 1, c.ndim);
    if (R === 0 && kernel !== "sum" && kernel !== "logsumexp") {
      throw new ShapeError(`${op}: cannot reduce over an empty dim of ${formatShape(x.shape)}`);
    }
    const y = emptyTensor(resultShape(x, axes, keepdim), outDtype ?? x.dtype, x.device);
    runKernel(op, kernel, [contiguousAs(c, [O, R, I])], [contiguousAs(y, [O, I])]);
    if (c !== x) c.dispose();
    if (src !== x && src !== c) src.dispose();
    // argmax and argmin give indices, which carry no gradient.
    if (kernel !== "argmax" && kernel !== "argmin" && isFloat(y.dtype)) record(kernel, [x], y, { axes, keepdim });
    return y;
  });
}

/**
 * Sum over `dim` (all dims when left out).
 *
 * @example
 * x.sum({ dim: -1, keepdim: true });
 */
export function sum<D extends NumericDType>(x: Tensor<D>, opts?: ReduceOptions): Tensor<D> {
  return reduceOp("sum", "sum", x, opts) as Tensor<D>;
}

/** Maximum over `dim`; gradients split evenly between tied maxima. */
export function max<D extends NumericDType>(x: Tensor<D>, opts?: ReduceOptions): Tensor<D> {
  return reduceOp("max", "max", x, opts) as Tensor<D>;
}

/** Minimum over `dim`. */
export function min<D extends NumericDType>(x: Tensor<D>, opts?: ReduceOptions): Tensor<D> {
  return reduceOp("min", "min", x, opts) as Tensor<D>;
}

/** Index of the (first) maximum along `dim`, or into the flattened tensor when `dim` is left out. */
export function argmax(x: Tensor<NumericDType>, opts?: { dim?: number; keepdim?: boolean }): Tensor<"i32"> {
  return reduceOp("argmax", "argmax", x, opts, "i32") as Tensor<"i32">;
}

/** Index of the (first) minimum. */
export function argmin(x: Tensor<NumericDType>, opts?: { dim?: number; keepdim?: boolean }): Tensor<"i32"> {
  return reduceOp("argmin", "argmin", x, opts, "i32") as Tensor<"i32">;
}

/** log(sum(exp(x))) over `dim`, computed stably. */
export function logsumexp<D extends FloatDType>(x: Tensor<D>, opts?: ReduceOptions): Tensor<D> {
  return reduceOp("logsumexp", "logsumexp", x, opts) as Tensor<D>;
}

/** Elements each result combines; also checks `dim` under the caller's op name before any work. */
function countOf(op: string, x: Tensor, opts?: ReduceOptions): number {
  return reduceAxes(op, x, opts?.dim).reduce((a, i) => a * x.shape[i]!, 1);
}

/** Arithmetic mean over `dim`. @example x.mean({ dim: 0 }) */
export function mean<D extends FloatDType>(x: Tensor<D>, opts?: ReduceOptions): Tensor<D> {
  expectTensor("mean", "x", x);
  expectDType("mean", "x", x.dtype, ["f32", "bf16"]);
  const n = countOf("mean", x, opts);
  return cleanupOnError(() => {
    const s = sum(x, opts);
    const y = mul(s, 1 / n);
    s.dispose();
    return y;
  });
}

/**
 * max|x| over `dim` (kept as size 1), or 1 where that is 0, infinite or NaN: dividing by it brings the
 * values into [-1, 1] so that squaring cannot overflow f32 (whose squares overflow above about 1.8e19).
 * It carries no gradient: norm and the standard deviation are homogeneous, so s·f(x/s) has f's gradient.
 */
function magnitude<D extends FloatDType>(x: Tensor<D>, dim: ReduceOptions["dim"]): Tensor<D> {
  return noGrad(() => {
    const a = abs(x);
    const m = max(a, { dim, keepdim: true });
    const positive = where(gt(m, 0), m, 1);
    return where(lt(positive, Infinity), positive, 1) as Tensor<D>;
  });
}

/**
 * Variance over `dim` with Bessel's correction by default (`correction: 1`, as PyTorch). It is computed on
 * x / max|x| and scaled back, so it overflows only where the variance itself exceeds the dtype's range.
 *
 * @example
 * x.var({ dim: -1, correction: 0 });
 */
export function variance<D extends FloatDType>(
  x: Tensor<D>,
  opts?: ReduceOptions & { correction?: number },
): Tensor<D> {
  expectTensor("var", "x", x);
  expectDType("var", "x", x.dtype, ["f32", "bf16"]);
  const n = countOf("var", x, opts);
  const correction = opts?.correction ?? 1;
  if (typeof correction !== "number" || !Number.isFinite(correction))
    throw new ArgumentError(`var: correction must be a finite number, got ${String(correction)}`);
  return tidy(() => {
    const s = n > 0 ? magnitude(x, opts?.dim) : null;
    const xs = s ? div(x, s) : x;
    const d = sub(xs, mean(xs, { dim: opts?.dim, keepdim: true }));
    const v = mul(sum(mul(d, d), opts), 1 / Math.max(0, n - correction));
    if (!s) return v;
    // v·s·s, not v·s²: s² alone may overflow where the variance does not.
    const scale = opts?.keepdim ? s : reshape(s, v.shape);
    return mul(mul(v, scale), scale) as Tensor<D>;
  });
}

/**
 * The p-norm over `dim` (p = 2 by default: the Euclidean norm). For p > 1 it is computed on x / max|x|
 * and scaled back, so it overflows only where the norm itself exceeds the dtype's range.
 *
 * @example
 * norm(grad); norm(x, { p: 1, dim: -1 });
 */
export function norm<D extends FloatDType>(x: Tensor<D>, opts?: ReduceOptions & { p?: number }): Tensor<D> {
  expectTensor("norm", "x", x);
  expectDType("norm", "x", x.dtype, ["f32", "bf16"]);
  const p = opts?.p ?? 2;
  if (typeof p !== "number" || !(p > 0) || !Number.isFinite(p))
    throw new ArgumentError(`norm: p must be a finite number > 0, got ${String(p)}`);
  const n = countOf("norm", x, opts);
  return tidy(() => {
    if (p === 1) return sum(abs(x), opts);
    const s = n > 0 ? magnitude(x, opts?.dim) : null;
    const a = abs(s ? div(x, s) : x);
    const total = sum(pow(a, p), opts);
    const y = p === 2 ? sqrt(total) : pow(total, 1 / p);
    if (!s) return y;
    return mul(y, opts?.keepdim ? s : reshape(s, y.shape)) as Tensor<D>;
  });
}
