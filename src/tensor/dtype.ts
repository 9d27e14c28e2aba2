import { DTypeError, show } from "../errors.js";

/** Element types. bf16 is stored as 16-bit brain floats and read back as Float32Array. */
export type DType = "f32" | "bf16" | "i32" | "bool";
export type FloatDType = "f32" | "bf16";
export type NumericDType = "f32" | "bf16" | "i32";

/** The typed array `data()` returns for each dtype. */
export type ArrayFor<D extends DType> = D extends "i32" ? Int32Array : D extends "bool" ? Uint8Array : Float32Array;

/** Result dtype of a binary op on tensors of dtypes A and B (PyTorch's promotion for these types). */
export type Promote<A extends DType, B extends DType> = [A] extends [B]
  ? A
  : "f32" extends A | B
    ? "f32"
    : "bf16" extends A | B
      ? "bf16"
      : "i32";

/** Numeric codes shared with the native addons (kernels/include/slmkit/op_args.h). */
export const DTYPE_CODES: Record<DType, number> = { f32: 0, bf16: 1, i32: 2, bool: 3 };

export const DTYPE_BYTES: Record<DType, number> = { f32: 4, bf16: 2, i32: 4, bool: 1 };

export const DTYPES: readonly DType[] = ["f32", "bf16", "i32", "bool"];

export function isDType(value: unknown): value is DType {
  return typeof value === "string" && (DTYPES as readonly string[]).includes(value);
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === "f32" || dtype === "bf16";
}

export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "f32" || b === "f32") return "f32";
  if (a === "bf16" || b === "bf16") return "bf16";
  return "i32";
}

export function checkDType(op: string, arg: string, value: unknown): DType {
  if (!isDType(value)) throw new DTypeError(`${op}: ${arg} must be one of ${DTYPES.join(", ")}, got ${show(value)}`);
  return value;
}

/** Throws unless `dtype` is one of `allowed`. */
export function expectDType(op: string, arg: string, dtype: DType, allowed: readonly DType[]): void {
  if (!allowed.includes(dtype)) {
    throw new DTypeError(`${op}: ${arg} must have dtype ${allowed.join(" or ")}, got ${show(dtype)}`);
  }
}

/** Rounds an f32 value to the nearest bf16 (ties to even), as bf16 storage does. */
export function roundToBf16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!;
    if ((b & 0x7fffffff) > 0x7f800000) out[i] = (b >>> 16) | 0x40;
    else out[i] = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}

export function bf16ToF32(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i]! << 16;
  return new Float32Array(out.buffer);
}
