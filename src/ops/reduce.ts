import { ArgumentError, ShapeError } from "../errors.js";
import { expectTensor } from "../tensor/tensor.js";
import type { DType, FloatDType, NumericDType } from "../tensor/dtype.js";
import { expectDType, isFloat } from "../tensor/dtype.js";
import { noGrad } from "../tensor/graph.js";
import { formatShape, normAxis } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { contiguousAs, emptyTensor, runKernel } from "./dispatch.js";
import { abs, mul, pow, sqrt, sub } from "./elementwise.js";
import { record } from "./record.js";
import { contiguous, permute } from "./views.js";
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
function reduceOp(op: string, kernel: ReduceKernel, x: Tensor, opts: ReduceOptions | undefined, outDtype?: DType): Tensor {
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

function countOf(x: Tensor, opts?: ReduceOptions): number {
  return reduceAxes("mean", x, opts?.dim).reduce((a, i) => a * x.shape[i]!, 1);
}

/** Arithmetic mean over `dim`. @example x.mean({ dim: 0 }) */
export function mean<D extends FloatDType>(x: Tensor<D>, opts?: ReduceOptions): Tensor<D> {
  expectTensor("mean", "x", x);
  expectDType("mean", "x", x.dtype, ["f32", "bf16"]);
  const s = sum(x, opts);
  const y = mul(s, 1 / countOf(x, opts));
  s.dispose();
  return y;
}

/**
 * Variance over `dim` with Bessel's correction by default (`correction: 1`, as PyTorch).
 *
 * @example
 * x.var({ dim: -1, correction: 0 });
 */
export function variance<D extends FloatDType>(x: Tensor<D>, opts?: ReduceOptions & { correction?: number }): Tensor<D> {
  expectTensor("var", "x", x);
  expectDType("var", "x", x.dtype, ["f32", "bf16"]);
  const n = countOf(x, opts);
  const m = mean(x, { dim: opts?.dim, keepdim: true });
  const d = sub(x, m);
  const d2 = mul(d, d);
  const s = sum(d2, opts);
  const y = mul(s, 1 / Math.max(0, n - (opts?.correction ?? 1)));
  for (const t of [m, d, d2, s]) t.dispose();
  return y;
}

/**
 * The p-norm over `dim` (p = 2 by default: the Euclidean norm).
 *
 * @example
 * norm(grad); norm(x, { p: 1, dim: -1 });
 */
export function norm<D extends FloatDType>(x: Tensor<D>, opts?: ReduceOptions & { p?: number }): Tensor<D> {
  expectTensor("norm", "x", x);
  expectDType("norm", "x", x.dtype, ["f32", "bf16"]);
  const p = opts?.p ?? 2;
  if (typeof p !== "number" || !(p > 0) || !Number.isFinite(p)) throw new ArgumentError(`norm: p must be a finite number > 0, got ${String(p)}`);
  const a = abs(x);
  const powered = p === 1 ? a : pow(a, p);
  const s = sum(powered, opts);
  const y = p === 1 ? s : p === 2 ? sqrt(s) : pow(s, 1 / p);
  for (const t of new Set([a, powered, s])) if (t !== y) t.dispose();
  return y;
}
