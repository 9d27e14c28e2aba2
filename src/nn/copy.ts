import { ArgumentError, ShapeError } from "../errors.js";
import { runKernel } from "../ops/dispatch.js";
import { toDevice } from "../ops/readback.js";
import { noGrad } from "../tensor/graph.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import { expectTensor, type Tensor } from "../tensor/tensor.js";

/**
 * Overwrites the values of `dst` with those of `src` (same shape; float dtypes convert, another device is
 * copied over first). `dst` keeps its identity, so optimisers and state dicts holding it see the new values.
 * Nothing is recorded for autograd.
 *
 * @example
 * copyInto(linear.weight, randn([4, 8], { std: 0.02 }));
 */
export function copyInto(dst: Tensor, src: Tensor, what = "copyInto"): void {
  expectTensor(what, "dst", dst);
  expectTensor(what, "src", src);
  if (!sameShape(dst.shape, src.shape))
    throw new ShapeError(`${what}: shape mismatch, expected ${formatShape(dst.shape)}, got ${formatShape(src.shape)}`);
  if ((dst.dtype === "i32" || dst.dtype === "bool") !== (src.dtype === "i32" || src.dtype === "bool")) {
    throw new ArgumentError(`${what}: cannot copy ${src.dtype} values into a ${dst.dtype} tensor`);
  }
  const moved = src.device === dst.device ? src : noGrad(() => toDevice(src, dst.device));
  try {
    runKernel(what, "copy", [moved], [dst]);
  } finally {
    if (moved !== src) moved.dispose();
  }
}
