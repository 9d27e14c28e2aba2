// Tolerances derived from the storage formats (rule 11: "per-dtype tolerances derived from the reference's
// own error"). All comparisons are against float64 references fed exactly the values the tensors store, so
// the only error is the library's: f32 arithmetic and the final rounding to the output dtype.
import { abs as refAbs, type FloatKind, matmul as refMatmul, type Ref, ref, unitRoundoff } from "../reference/index.js";

export type Dtype = FloatKind;

/** A per-element absolute tolerance. */
export type Tol = Ref;

/**
 * Elementwise maths: one rounding to the output dtype plus the f32 evaluation of the function.
 * f32: 1e-5 relative allows vectorised approximations of exp/log/tanh/erf to ~150 ulp; atol 1e-6 covers
 * results near 0 (e.g. sin(pi)) where relative error is meaningless.
 * bf16: one bf16 ulp (2^-7 relative) — half an ulp from rounding, plus the f32 result landing on the other
 * side of a bf16 rounding boundary.
 */
export function elementwiseTol(dtype: Dtype, want: Ref, scale = 1): Tol {
  const rtol = (dtype === "f32" ? 1e-5 : 2 * unitRoundoff.bf16) * scale;
  const atol = (dtype === "f32" ? 1e-6 : 1e-4) * scale;
  return ref(want.shape, (i) => atol + rtol * Math.abs(want.data[i]!));
}

/**
 * Sums of n terms accumulated in f32: the rounding error of a sum is about u * sqrt(n) * ||terms||_2 for
 * random data (each partial-sum rounding is an independent error of size u * |partial|); we allow 8x that,
 * plus one rounding of the result to the output dtype (1 ulp for bf16).
 * `termNorms` holds sqrt(sum of squared terms) for each output element.
 */
export function accumulationTol(dtype: Dtype, want: Ref, termNorms: Ref, n: number): Tol {
  const out = dtype === "f32" ? 2 * unitRoundoff.f32 : 2 * unitRoundoff.bf16;
  const acc = 8 * unitRoundoff.f32 * Math.sqrt(Math.max(1, n));
  return ref(want.shape, (i) => 1e-7 + out * Math.abs(want.data[i]!) + acc * termNorms.data[i]!);
}

/**
 * Gradients: a backward pass composes a handful of ops, each rounding once; `ops` says how many. bf16
 * intermediate results each carry up to 2^-8 relative error.
 */
export function gradTol(dtype: Dtype, want: Ref, ops = 4): Tol {
  let maxAbs = 0;
  for (const v of want.data) maxAbs = Math.max(maxAbs, Math.abs(v));
  const rtol = dtype === "f32" ? 2e-5 * ops : 2 * unitRoundoff.bf16 * ops;
  // atol relative to the largest gradient: cancellation in a rule can leave small entries with error
  // on the scale of the big ones.
  const atol = (dtype === "f32" ? 1e-6 : 2 * unitRoundoff.bf16) * ops * Math.max(maxAbs, 1e-3);
  return ref(want.shape, (i) => atol + rtol * Math.abs(want.data[i]!));
}

/**
 * matmul: each output is a K-term dot product accumulated in f32 (in whatever order a kernel's tiling
 * picks): about sqrt(K) roundings of the partial sums, bounded by (|a| @ |b|), allowed 8x; plus one
 * rounding of the result to the output dtype. a and b may be vectors or batched: the reference matmul of
 * their absolute values has the output's shape in every case.
 */
export function matmulTol(dtype: Dtype, a: Ref, b: Ref, want: Ref): Tol {
  const absProd = refMatmul(refAbs(a), refAbs(b));
  const K = a.shape[a.shape.length - 1]!;
  const out = 2 * unitRoundoff[dtype];
  return ref(
    want.shape,
    (i) => 1e-7 + out * Math.abs(want.data[i]!) + 8 * unitRoundoff.f32 * Math.sqrt(K) * absProd.data[i]!,
  );
}

/**
 * Attention: each output is a convex combination of S values of v (|v| <= 1 in the tests) with weights from
 * D-term dot products, so allow sqrt(S*D) f32 roundings on the unit scale, plus the output rounding.
 */
export function attentionTol(dtype: Dtype, want: Ref, S: number, D: number): Tol {
  const base = elementwiseTol(dtype, want, 2);
  // bf16 inputs are exact in f32; the tensor-core kernels round the weights P to bf16 before P·V, an error of
  // at most u·max|v| = u in the convex combination whatever S is. A bound growing with sqrt(S·D) would pass
  // any finite output at S = 1100 (|o| <= 1), so the split-key prefill cases would check nothing.
  const acc = dtype === "f32" ? 16 * unitRoundoff.f32 * Math.sqrt(Math.max(1, S * D)) : 4 * unitRoundoff.bf16;
  return ref(want.shape, (i) => base.data[i]! + acc);
}
