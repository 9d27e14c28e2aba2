// Host contract of elementwise ops (their scalar semantics: slmkit/elementwise_ops.h). Inputs may be
// strided (stride 0 where broadcast; TypeScript resolves broadcasting); outputs are contiguous.
#pragma once
#include <cmath>

#include "slmkit/elementwise_ops.h"
#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kNeg{"neg", {"x"}, {"y"}, {}};
inline const KernelSignature kAbs{"abs", {"x"}, {"y"}, {}};
inline const KernelSignature kExp{"exp", {"x"}, {"y"}, {}};
inline const KernelSignature kLog{"log", {"x"}, {"y"}, {}};
inline const KernelSignature kSqrt{"sqrt", {"x"}, {"y"}, {}};
inline const KernelSignature kRsqrt{"rsqrt", {"x"}, {"y"}, {}};
inline const KernelSignature kSin{"sin", {"x"}, {"y"}, {}};
inline const KernelSignature kCos{"cos", {"x"}, {"y"}, {}};
inline const KernelSignature kTanh{"tanh", {"x"}, {"y"}, {}};
inline const KernelSignature kSigmoid{"sigmoid", {"x"}, {"y"}, {}};
inline const KernelSignature kRelu{"relu", {"x"}, {"y"}, {}};
inline const KernelSignature kSilu{"silu", {"x"}, {"y"}, {}};
inline const KernelSignature kGelu{"gelu", {"x"}, {"y"}, {}};
inline const KernelSignature kErf{"erf", {"x"}, {"y"}, {}};
inline const KernelSignature kClamp{"clamp", {"x"}, {"y"}, {"min", "max"}};
inline const KernelSignature kPowScalar{"pow_scalar", {"x"}, {"y"}, {"exponent"}};
inline const KernelSignature kAdd{"add", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kSub{"sub", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kMul{"mul", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kDiv{"div", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kPow{"pow", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kMaximum{"maximum", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kMinimum{"minimum", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kEq{"eq", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kNe{"ne", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kLt{"lt", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kLe{"le", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kGt{"gt", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kGe{"ge", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kWhere{"where", {"cond", "a", "b"}, {"y"}, {}};

// Which dtypes a kernel takes is a trait of its functor (allows_i32, allows_bool), which also decides the
// storage types a launcher instantiates, so that the check and the code cannot disagree.

struct UnaryArgs {
  TensorView x;  // any shape and strides; f32 or bf16, or i32 where the op allows it
  TensorView y;  // x's shape and dtype, contiguous
};

// x -> y of x's shape and dtype: the tensors of every unary kernel, clamp and pow_scalar included.
inline UnaryArgs decode_unary(const KernelCall& c, bool allows_i32) {
  if (allows_i32) c.dtype("x", {DType::f32, DType::bf16, DType::i32});
  else c.floating("x");
  c.like("y", "x");
  return {c.in("x"), c.out("y")};
}
// neg, abs, exp, ... erf (signature s).
inline UnaryArgs decode_unary(const OpArgs& a, const KernelSignature& s, bool allows_i32) {
  return decode_unary(KernelCall(a, s), allows_i32);
}

// y = min(max(x, min), max): NaN in x stays NaN, and min > max gives max everywhere (PyTorch).
struct ClampArgs {
  UnaryArgs io;              // x f32, bf16 or i32
  float min, max;            // for float x: the bounds rounded to f32
  int32_t min_i32, max_i32;  // for i32 x: the tightest integers inside the bounds, saturated to the i32 range
};

// An attribute as an i32 clamp bound: rounded inward, saturated.
inline int32_t int_bound(double v, bool lower) {
  const double r = lower ? std::ceil(v) : std::floor(v);
  return static_cast<int32_t>(std::fmin(2147483647.0, std::fmax(-2147483648.0, r)));
}

inline ClampArgs decode_clamp(const OpArgs& a) {
  const KernelCall c(a, kClamp);
  const UnaryArgs io = decode_unary(c, true);
  const double lo = c.attr("min"), hi = c.attr("max");
  if (std::isnan(lo) || std::isnan(hi)) c.fail("bounds must not be NaN (use +-Infinity for none)");
  return {io, static_cast<float>(lo), static_cast<float>(hi), int_bound(lo, true), int_bound(hi, false)};
}

struct PowScalarArgs {
  UnaryArgs io;    // x f32 or bf16
  float exponent;  // any double as sent, rounded to f32
  PowForm form;    // the cheap exact form for this exponent, if any (slmkit/elementwise_ops.h)
};

inline PowScalarArgs decode_pow_scalar(const OpArgs& a) {
  const KernelCall c(a, kPowScalar);
  const UnaryArgs io = decode_unary(c, false);
  const double e = c.attr("exponent");
  const PowForm form = e == 1.0    ? PowForm::identity
                       : e == 2.0  ? PowForm::square
                       : e == 0.5  ? PowForm::sqrt
                       : e == -1.0 ? PowForm::reciprocal
                                   : PowForm::general;
  return {io, static_cast<float>(e), form};
}

// Arithmetic (a, b) -> y of a's dtype, and comparisons (a, b) -> y bool.
struct BinaryArgs {
  TensorView a, b;  // y's shape, any strides, one dtype
  TensorView y;     // contiguous: a's dtype (arithmetic) or bool (comparisons)
};

// add, sub, mul, div, pow, maximum, minimum (signature s): f32 or bf16, or i32 where the op allows it.
inline BinaryArgs decode_arithmetic(const OpArgs& a, const KernelSignature& s, bool allows_i32) {
  const KernelCall c(a, s);
  if (allows_i32) c.dtype("a", {DType::f32, DType::bf16, DType::i32});
  else c.floating("a");
  c.same("b", "a");
  c.like("y", "a");
  return {c.in("a"), c.in("b"), c.out("y")};
}

// eq, ne, lt, le, gt, ge (signature s): f32, bf16 or i32, and bool where the op allows it.
inline BinaryArgs decode_compare(const OpArgs& a, const KernelSignature& s, bool allows_bool) {
  const KernelCall c(a, s);
  if (allows_bool) c.dtype("a", {DType::f32, DType::bf16, DType::i32, DType::boolean});
  else c.dtype("a", {DType::f32, DType::bf16, DType::i32});
  c.same("b", "a");
  c.shape_of("y", "a");
  c.dtype("y", DType::boolean);
  c.contiguous("y");
  return {c.in("a"), c.in("b"), c.out("y")};
}

// y = cond ? a : b, moving stored values unchanged (no conversion).
struct WhereArgs {
  TensorView cond;  // y's shape, any strides, bool
  TensorView a, b;  // y's shape, any strides, one dtype (any)
  TensorView y;     // contiguous, a's dtype
};

inline WhereArgs decode_where(const OpArgs& args) {
  const KernelCall c(args, kWhere);
  c.dtype("cond", DType::boolean);
  c.same("b", "a");
  c.like("y", "a");
  c.shape_of("cond", "y");
  return {c.in("cond"), c.in("a"), c.in("b"), c.out("y")};
}

}  // namespace slmkit
