// Moving values between library tensors and float64 reference arrays.
import { type DType, type Tensor, tensor } from "../../src/index.js";
import { type FloatKind, type Ref, ref, roundRef } from "../reference/index.js";

/** A tensor's values as a float64 Ref (bool as 0/1). */
export function toRef(t: Tensor): Ref {
  return ref([...t.shape], t.dataSync());
}

/** A tensor holding a Ref's values (rounded to the dtype by the library's own conversion). */
export function fromRef<D extends DType>(r: Ref, dtype: D, requiresGrad = false): Tensor<D> {
  return tensor(Float32Array.from(r.data), { shape: r.shape, dtype, requiresGrad }) as Tensor<D>;
}

/**
 * A float input for a test: the Ref is first rounded to `dtype` so that the reference computes on exactly
 * the values the tensor stores. Returns both.
 */
export function floatInput<D extends FloatKind>(r: Ref, dtype: D, requiresGrad = false): { t: Tensor<D>; r: Ref } {
  const rounded = roundRef(r, dtype);
  return { t: fromRef(rounded, dtype, requiresGrad), r: rounded };
}

export const FLOAT_DTYPES = ["f32", "bf16"] as const;
