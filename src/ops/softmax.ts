import type { FloatDType } from "../tensor/dtype.js";
import { expectTensor } from "../tensor/tensor.js";
import { expectDType } from "../tensor/dtype.js";
import { noGrad } from "../tensor/graph.js";
import { normAxis } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { contiguousAs, emptyTensor, runKernel } from "./dispatch.js";
import { record } from "./record.js";
import { contiguous, transpose } from "./views.js";

/**
 * Runs a row-wise kernel over `dim`: the dim is moved last and made contiguous, the kernel sees [N, V],
 * and the result is moved back.
 */
export function alongLastDim<D extends FloatDType>(
  op: string,
  x: Tensor<D>,
  dim: number,
  run: (rows: Tensor<D>, out: Tensor<D>, n: number, v: number) => void,
): Tensor<D> {
  expectTensor(op, "x", x);
  expectDType(op, "x", x.dtype, ["f32", "bf16"]);
  const d = normAxis(op, dim, x.ndim);
  const last = Math.max(0, x.ndim - 1);
  return noGrad(() => {
    const moved = d === last ? x : transpose(x, d, last);
    const rows = contiguous(moved);
    const v = x.ndim === 0 ? 1 : rows.shape[last]!;
    const out = emptyTensor(rows.shape, x.dtype, x.device);
    run(rows, out, v === 0 ? 0 : rows.numel / v, v);
    if (rows !== x) rows.dispose();
    if (moved !== x && moved !== rows) moved.dispose();
    if (d === last) return out;
    const back = transpose(out, d, last);
    const result = contiguous(back);
    if (result !== back) back.dispose();
    out.dispose();
    return result;
  });
}

function rowwise<D extends FloatDType>(
  op: "softmax" | "logSoftmax",
  kernel: "softmax_forward" | "log_softmax_forward",
  x: Tensor<D>,
  dim: number,
): Tensor<D> {
  const y = alongLastDim(op, x, dim, (rows, out, n, v) =>
    runKernel(op, kernel, [contiguousAs(rows, [n, v])], [contiguousAs(out, [n, v])]),
  );
  record(op, [x], y, { dim: normAxis(op, dim, x.ndim) });
  return y;
}

/**
 * Softmax along `dim` (last by default).
 *
 * @example
 * softmax(scores, -1);
 */
export function softmax<D extends FloatDType>(x: Tensor<D>, dim = -1): Tensor<D> {
  return rowwise("softmax", "softmax_forward", x, dim);
}

/** log(softmax(x)) along `dim`, computed stably in one pass. */
export function logSoftmax<D extends FloatDType>(x: Tensor<D>, dim = -1): Tensor<D> {
  return rowwise("logSoftmax", "log_softmax_forward", x, dim);
}
