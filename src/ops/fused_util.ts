import { DTypeError } from "../errors.js";
import type { FloatDType } from "../tensor/dtype.js";
import { noGrad } from "../tensor/graph.js";
import { expectTensor, type Tensor } from "../tensor/tensor.js";
import { commonDevice } from "./dispatch.js";
import { contiguous } from "./views.js";

/** Checks that every argument of a fused op is a live float tensor of one dtype on one device. */
export function checkFloatArgs(op: string, args: Record<string, unknown>): FloatDType {
  const tensors: Tensor[] = [];
  let dtype: FloatDType | undefined;
  for (const [name, t] of Object.entries(args)) {
    expectTensor(op, name, t);
    if (t.dtype !== "f32" && t.dtype !== "bf16")
      throw new DTypeError(`${op}: ${name} must have dtype f32 or bf16, got ${t.dtype}`);
    if (dtype && t.dtype !== dtype)
      throw new DTypeError(`${op}: all inputs must share a dtype, got ${dtype} and ${t.dtype} (${name})`);
    dtype = t.dtype;
    tensors.push(t);
  }
  commonDevice(op, tensors);
  return dtype!;
}

/** Contiguous copies for a kernel, made outside autograd; `release()` disposes the copies it made. */
export function contiguousInputs(tensors: readonly Tensor[]): { c: Tensor[]; release: () => void } {
  const c = noGrad(() => tensors.map((t) => contiguous(t)));
  return { c, release: () => c.forEach((t, i) => t !== tensors[i] && t.dispose()) };
}
