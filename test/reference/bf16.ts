// Models the storage dtypes: f32 (Math.fround) and bf16 (upper 16 bits of an f32, round-to-nearest-even).
import { map, type Ref } from "./ndarray.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds a number to the nearest bf16 value (via f32, as the library stores bf16 from an f32). */
export function roundBf16(x: number): number {
  f32[0] = x;
  const u = u32[0]!;
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x007fffff) !== 0) return NaN;
  const rounded = (u + 0x7fff + ((u >>> 16) & 1)) >>> 0;
  u32[0] = (rounded & 0xffff0000) >>> 0;
  return f32[0]!;
}

export const roundF32 = (x: number): number => Math.fround(x);

export type FloatKind = "f32" | "bf16";

export function roundTo(kind: FloatKind, x: number): number {
  return kind === "bf16" ? roundBf16(x) : Math.fround(x);
}

/** A Ref whose values are exactly representable in `kind` (what a tensor of that dtype would store). */
export function roundRef(x: Ref, kind: FloatKind): Ref {
  return map(x, (v) => roundTo(kind, v));
}

/** Unit roundoff of the storage format (half an ulp at 1): 2^-24 for f32 (24-bit significand), 2^-8 for bf16 (8-bit). */
export const unitRoundoff = { f32: 2 ** -24, bf16: 2 ** -8 } as const;
