import { ShapeError } from "../errors.js";
import type { FloatDType } from "../tensor/dtype.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { contiguousAs, emptyTensor, runKernel } from "./dispatch.js";
import { checkFloatArgs, contiguousInputs } from "./fused_util.js";
import { record } from "./record.js";

/**
 * SwiGLU gating: silu(gate) * up, fused (the MLP of Llama and MiniCPM).
 *
 * @example
 * const h = swiglu(matmul(x, wGate), matmul(x, wUp));
 */
export function swiglu<D extends FloatDType>(gate: Tensor<D>, up: Tensor<D>): Tensor<D> {
  checkFloatArgs("swiglu", { gate, up });
  if (!sameShape(gate.shape, up.shape))
    throw new ShapeError(
      `swiglu: gate and up must share a shape, got ${formatShape(gate.shape)} and ${formatShape(up.shape)}`,
    );
  const F = gate.shape[gate.ndim - 1] ?? 1;
  const N = gate.numel / Math.max(1, F) || 0;
  const y = emptyTensor(gate.shape, gate.dtype, gate.device);
  const { c, release } = contiguousInputs([gate, up]);
  runKernel(
    "swiglu",
    "swiglu_forward",
    [contiguousAs(c[0]!, [N, F]), contiguousAs(c[1]!, [N, F])],
    [contiguousAs(y, [N, F])],
  );
  release();
  record("swiglu", [gate, up], y);
  return y;
}

/** Gradients of swiglu for gate and up (the fused backward kernel). */
export function swigluBackward<D extends FloatDType>(
  gate: Tensor<D>,
  up: Tensor<D>,
  gy: Tensor<D>,
): [Tensor<D>, Tensor<D>] {
  const F = gate.shape[gate.ndim - 1] ?? 1;
  const N = gate.numel / Math.max(1, F) || 0;
  const gGate = emptyTensor(gate.shape, gate.dtype, gate.device);
  const gUp = emptyTensor(up.shape, up.dtype, up.device);
  const { c, release } = contiguousInputs([gate, up, gy]);
  const as2d = (t: Tensor) => contiguousAs(t, [N, F]);
  runKernel("swiglu backward", "swiglu_backward", c.map(as2d), [as2d(gGate), as2d(gUp)]);
  release();
  return [gGate, gUp];
}
