import { ArgumentError, ShapeError } from "../errors.js";
import type { FloatDType } from "../tensor/dtype.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { contiguousAs, emptyTensor, runKernel } from "./dispatch.js";
import { checkFloatArgs, contiguousInputs } from "./fused_util.js";
import { record } from "./record.js";

/**
 * RMSNorm over the last dim: x / sqrt(mean(x²) + eps) * weight, statistics in f32. Fused forward and
 * backward kernels; the forward saves only the per-row 1/rms.
 *
 * @example
 * rmsNorm(hidden, normWeight, 1e-5); // hidden [B, T, C], normWeight [C]
 */
export function rmsNorm<D extends FloatDType>(x: Tensor<D>, weight: Tensor<D>, eps = 1e-5): Tensor<D> {
  checkFloatArgs("rmsNorm", { x, weight });
  const C = x.shape[x.ndim - 1];
  if (x.ndim < 1 || weight.ndim !== 1 || weight.shape[0] !== C) {
    throw new ShapeError(
      `rmsNorm: weight must be [C] with C the last dim of x, got x ${formatShape(x.shape)} and weight ${formatShape(weight.shape)}`,
    );
  }
  if (typeof eps !== "number" || !(eps >= 0))
    throw new ArgumentError(`rmsNorm: eps must be a number >= 0, got ${String(eps)}`);
  const N = x.numel / Math.max(1, C!) || 0;
  const y = emptyTensor(x.shape, x.dtype, x.device);
  const rstd = emptyTensor([N], "f32", x.device);
  const { c, release } = contiguousInputs([x, weight]);
  runKernel("rmsNorm", "rmsnorm_forward", [contiguousAs(c[0]!, [N, C!]), c[1]!], [contiguousAs(y, [N, C!]), rstd], {
    eps,
  });
  release();
  record("rmsNorm", [x, weight], y, { eps }, [rstd]);
  rstd.dispose();
  return y;
}

/** Gradients of rmsNorm for x and weight from its saved rstd (the fused backward kernel). */
export function rmsNormBackward<D extends FloatDType>(
  x: Tensor<D>,
  weight: Tensor<D>,
  rstd: Tensor<"f32">,
  gy: Tensor<D>,
): [Tensor<D>, Tensor<D>] {
  const C = x.shape[x.ndim - 1]!;
  const N = x.numel / Math.max(1, C) || 0;
  const gx = emptyTensor(x.shape, x.dtype, x.device);
  const gw = emptyTensor(weight.shape, weight.dtype, weight.device);
  const { c, release } = contiguousInputs([x, weight, gy]);
  runKernel(
    "rmsNorm backward",
    "rmsnorm_backward",
    [contiguousAs(c[0]!, [N, C]), c[1]!, rstd, contiguousAs(c[2]!, [N, C])],
    [contiguousAs(gx, [N, C]), gw],
  );
  release();
  return [gx, gw];
}
