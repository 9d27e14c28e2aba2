import { ArgumentError, ShapeError } from "../errors.js";
import type { FloatDType } from "../tensor/dtype.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { emptyTensor, runKernel } from "./dispatch.js";
import { checkFloatArgs, contiguousInputs } from "./fused_util.js";
import { record } from "./record.js";
import type { KernelAttrs } from "./table.js";

/** Options of rope(). */
export interface RopeOptions {
  /** Base of the rotary frequencies. Default 10000. */
  theta?: number;
  /** Position of the first token (the KV-cache length when decoding). Default 0. */
  positionOffset?: number;
}

/**
 * Rotary position embedding, rotate-half convention (as Llama and MiniCPM): x [B, H, T, D] with D even.
 *
 * @example
 * rope(q, { theta: 10000, positionOffset: cacheLength });
 */
export function rope<D extends FloatDType>(x: Tensor<D>, opts: RopeOptions = {}): Tensor<D> {
  checkFloatArgs("rope", { x });
  if (x.ndim !== 4 || x.shape[3]! % 2 !== 0)
    throw new ShapeError(`rope: x must be [B, H, T, D] with D even, got ${formatShape(x.shape)}`);
  const theta = opts.theta ?? 10000;
  const positionOffset = opts.positionOffset ?? 0;
  if (typeof theta !== "number" || !(theta > 0) || !Number.isFinite(theta))
    throw new ArgumentError(`rope: theta must be a finite number > 0, got ${String(theta)}`);
  if (!Number.isInteger(positionOffset) || positionOffset < 0)
    throw new ArgumentError(`rope: positionOffset must be a whole number >= 0, got ${String(positionOffset)}`);
  const y = emptyTensor(x.shape, x.dtype, x.device);
  const attrs = { theta, position_offset: positionOffset };
  const { c, release } = contiguousInputs([x]);
  runKernel("rope", "rope_forward", c, [y], attrs);
  release();
  // The backward kernel takes the same attributes: the node keeps them for it.
  record("rope", [x], y, attrs);
  return y;
}

/** The gradient of rope: the inverse rotation of the upstream gradient. */
export function ropeBackward<D extends FloatDType>(gy: Tensor<D>, attrs: KernelAttrs<"rope_backward">): Tensor<D> {
  const gx = emptyTensor(gy.shape, gy.dtype, gy.device);
  const { c, release } = contiguousInputs([gy]);
  runKernel("rope backward", "rope_backward", c, [gx], attrs);
  release();
  return gx;
}
