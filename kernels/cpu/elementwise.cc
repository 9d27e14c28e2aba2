// Elementwise kernels: unary maths, clamp, pow_scalar, binary arithmetic, comparisons and where.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "dtype_dispatch.h"
#include "slmkit/elementwise.h"
#include "strided.h"
#include "vec_math.h"

namespace slmkit {
namespace {

using stride_one = std::integral_constant<int64_t, 1>;
using stride_zero = std::integral_constant<int64_t, 0>;

// ---- loops -------------------------------------------------------------------------------------

// Calls run(src, dst, n, s) over threads for each run of n elements of a unary op: src steps by s
// through x (a strided view of storage type T), dst through y (contiguous, same shape and type).
template <class T, class Run> void for_each_unary_run(const TensorView& x, const TensorView& y, const Run& run) {
  StridedWalk<1> walk(x.shape, x.ndim, {x.strides});
  const T* xp = x.ptr<T>();
  T* yp = y.ptr<T>();
  const int64_t s = walk.inner_stride(0);
  parallel_chunks(walk.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
    walk.for_each_run(begin, end,
                      [&](const int64_t* off, int64_t n, int64_t pos) { run(xp + off[0], yp + pos, n, s); });
  });
}

// y[i] = op(x[i]); x: strided view, y: contiguous, same shape and storage type T.
template <class T, class Op> void unary_loop(const TensorView& x, const TensorView& y, const Op& op) {
  for_each_unary_run<T>(x, y, [&](const T* src, T* dst, int64_t n, int64_t s) {
    // Separate unit-stride loop so the compiler emits a straight vectorisable loop for it.
    if (s == 1) {
      for (int64_t i = 0; i < n; ++i) dst[i] = store<T>(op(load(src[i])));
    } else {
      for (int64_t i = 0; i < n; ++i) dst[i] = store<T>(op(load(src[i * s])));
    }
  });
}

// y[i] = f(x[i]) with f an array routine from vec_math.h; x: strided view, y: contiguous, same shape and
// storage type T. Contiguous f32 runs are passed straight through; anything else (bf16, strided) goes
// through a small f32 block.
template <class T> void vec_unary_loop(const TensorView& x, const TensorView& y,
                                       void (*f)(const float*, float*, int64_t)) {
  for_each_unary_run<T>(x, y, [&](const T* src, T* dst, int64_t n, int64_t s) {
    if constexpr (std::is_same_v<T, float>) {
      if (s == 1) return f(src, dst, n);
    }
    float buf[kVecBlock];
    for (int64_t b = 0; b < n; b += kVecBlock) {
      const int64_t len = std::min(kVecBlock, n - b);
      for (int64_t i = 0; i < len; ++i) buf[i] = load(src[(b + i) * s]);
      f(buf, buf, len);
      for (int64_t i = 0; i < len; ++i) dst[b + i] = store<T>(buf[i]);
    }
  });
}

// y[i] = op(a[i], b[i]); a, b: strided views of storage type Tin (stride 0 where broadcast);
// y: contiguous, storage type Tout.
template <class Tout, class Tin, class Op>
void binary_loop(const TensorView& a, const TensorView& b, const TensorView& y, const Op& op) {
  StridedWalk<2> walk(y.shape, y.ndim, {a.strides, b.strides});
  const Tin* ap = a.ptr<Tin>();
  const Tin* bp = b.ptr<Tin>();
  Tout* yp = y.ptr<Tout>();
  const int64_t sa = walk.inner_stride(0), sb = walk.inner_stride(1);
  // Compile-time strides for the common layouts (both contiguous, one side a broadcast scalar run)
  // let those loops vectorise; everything else takes the generic strided loop.
  auto body = [&](const Tin* pa, const Tin* pb, Tout* py, int64_t n, auto ka, auto kb) {
    for (int64_t i = 0; i < n; ++i) py[i] = store<Tout>(op(load(pa[i * ka]), load(pb[i * kb])));
  };
  parallel_chunks(walk.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
    walk.for_each_run(begin, end, [&](const int64_t* off, int64_t n, int64_t pos) {
      const Tin* pa = ap + off[0];
      const Tin* pb = bp + off[1];
      Tout* py = yp + pos;
      if (sa == 1 && sb == 1) body(pa, pb, py, n, stride_one{}, stride_one{});
      else if (sa == 1 && sb == 0) body(pa, pb, py, n, stride_one{}, stride_zero{});
      else if (sa == 0 && sb == 1) body(pa, pb, py, n, stride_zero{}, stride_one{});
      else body(pa, pb, py, n, sa, sb);
    });
  });
}

// ---- unary ops (functors over the compute type; neg, abs, relu, clamp, pow_scalar and the binary and
// comparison functors are shared with CUDA in slmkit/elementwise_ops.h) ----------------------------

#define SLMKIT_FLOAT_UNARY(name_, expr)                \
  struct name_##_op {                                  \
    static constexpr bool allows_i32 = false;          \
    float operator()(float x) const { return (expr); } \
  };

SLMKIT_FLOAT_UNARY(sqrt, std::sqrt(x))
SLMKIT_FLOAT_UNARY(rsqrt, 1.0f / std::sqrt(x))
SLMKIT_FLOAT_UNARY(sin, std::sin(x))
SLMKIT_FLOAT_UNARY(cos, std::cos(x))
#undef SLMKIT_FLOAT_UNARY

// Unary maths done by a vec_math.h array routine (vectorised per ISA; its baseline is the scalar std::
// form, e.g. silu = x / (1 + e^-x) as in PyTorch, so silu(-inf) is NaN there and here).
#define SLMKIT_VEC_UNARY(name_, fn)                                     \
  struct name_##_op {                                                   \
    static constexpr bool allows_i32 = false;                           \
    static constexpr void (*array)(const float*, float*, int64_t) = fn; \
  };

SLMKIT_VEC_UNARY(exp, vec_exp)
SLMKIT_VEC_UNARY(log, vec_log)
SLMKIT_VEC_UNARY(tanh, vec_tanh)
SLMKIT_VEC_UNARY(sigmoid, vec_sigmoid)
SLMKIT_VEC_UNARY(silu, vec_silu)
SLMKIT_VEC_UNARY(gelu, vec_gelu)
SLMKIT_VEC_UNARY(erf, vec_erf)
#undef SLMKIT_VEC_UNARY

template <class Op, class = void> struct has_array : std::false_type {};
template <class Op> struct has_array<Op, std::void_t<decltype(Op::array)>> : std::true_type {};

// Arguments: slmkit/elementwise.h.
template <const KernelSignature& S, class Op> void unary_kernel(const OpArgs& a) {
  const UnaryArgs r = decode_unary(a, S, Op::allows_i32);
  if constexpr (has_array<Op>::value) {
    dispatch_float(r.x.dtype, [&](auto t) { vec_unary_loop<decltype(t)>(r.x, r.y, Op::array); });
  } else if constexpr (Op::allows_i32) {
    dispatch_float_i32(r.x.dtype, [&](auto t) { unary_loop<decltype(t)>(r.x, r.y, Op{}); });
  } else {
    dispatch_float(r.x.dtype, [&](auto t) { unary_loop<decltype(t)>(r.x, r.y, Op{}); });
  }
}

void clamp(const OpArgs& a) {
  const ClampArgs r = decode_clamp(a);
  const TensorView &x = r.io.x, &y = r.io.y;
  if (x.dtype == DType::i32) unary_loop<int32_t>(x, y, clamp_op<int32_t>{r.min_i32, r.max_i32});
  else dispatch_float(x.dtype, [&](auto t) { unary_loop<decltype(t)>(x, y, clamp_op<float>{r.min, r.max}); });
}

// One loop per form, the form a constant in it, so that x*x and 1/x vectorise.
void pow_scalar(const OpArgs& a) {
  const PowScalarArgs r = decode_pow_scalar(a);
  auto run = [&](auto form) {
    auto op = [e = r.exponent](float v) { return pow_by_form(v, e, decltype(form)::value); };
    dispatch_float(r.io.x.dtype, [&](auto t) { unary_loop<decltype(t)>(r.io.x, r.io.y, op); });
  };
  using F = PowForm;
  switch (r.form) {
    case F::identity: return run(std::integral_constant<F, F::identity>{});
    case F::square: return run(std::integral_constant<F, F::square>{});
    case F::sqrt: return run(std::integral_constant<F, F::sqrt>{});
    case F::reciprocal: return run(std::integral_constant<F, F::reciprocal>{});
    case F::general: return run(std::integral_constant<F, F::general>{});
  }
}

// ---- binary arithmetic and comparisons ----------------------------------------------------------

template <const KernelSignature& S, class Op> void binary_kernel(const OpArgs& a) {
  const BinaryArgs r = decode_arithmetic(a, S, Op::allows_i32);
  auto run = [&](auto t) { binary_loop<decltype(t), decltype(t)>(r.a, r.b, r.y, Op{}); };
  if constexpr (Op::allows_i32) dispatch_float_i32(r.a.dtype, run);
  else dispatch_float(r.a.dtype, run);
}

template <const KernelSignature& S, class Op> void compare_kernel(const OpArgs& a) {
  const BinaryArgs r = decode_compare(a, S, Op::allows_bool);
  auto run = [&](auto t) { binary_loop<boolean, decltype(t)>(r.a, r.b, r.y, Op{}); };
  if constexpr (Op::allows_bool) dispatch_all(r.a.dtype, run);
  else dispatch_float_i32(r.a.dtype, run);
}

// ---- where -------------------------------------------------------------------------------------

// Stored values move unchanged, so every dtype is one byte copy.
void where(const OpArgs& args) {
  const WhereArgs r = decode_where(args);
  const TensorView &c = r.cond, &a = r.a, &b = r.b, &y = r.y;
  StridedWalk<3> walk(y.shape, y.ndim, {c.strides, a.strides, b.strides});
  const int64_t sc = walk.inner_stride(0), sa = walk.inner_stride(1), sb = walk.inner_stride(2);
  dispatch_all(a.dtype, [&](auto t) {
    using T = decltype(t);
    const boolean* cp = c.ptr<boolean>();
    const T* ap = a.ptr<T>();
    const T* bp = b.ptr<T>();
    T* yp = y.ptr<T>();
    parallel_chunks(walk.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
      walk.for_each_run(begin, end, [&](const int64_t* off, int64_t n, int64_t pos) {
        const boolean* pc = cp + off[0];
        const T* pa = ap + off[1];
        const T* pb = bp + off[2];
        T* py = yp + pos;
        if (sc == 1 && sa == 1 && sb == 1) {
          for (int64_t i = 0; i < n; ++i) py[i] = pc[i].v ? pa[i] : pb[i];
        } else {
          for (int64_t i = 0; i < n; ++i) py[i] = pc[i * sc].v ? pa[i * sa] : pb[i * sb];
        }
      });
    });
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({
    {&kNeg, unary_kernel<kNeg, neg_op>},
    {&kAbs, unary_kernel<kAbs, abs_op>},
    {&kExp, unary_kernel<kExp, exp_op>},
    {&kLog, unary_kernel<kLog, log_op>},
    {&kSqrt, unary_kernel<kSqrt, sqrt_op>},
    {&kRsqrt, unary_kernel<kRsqrt, rsqrt_op>},
    {&kSin, unary_kernel<kSin, sin_op>},
    {&kCos, unary_kernel<kCos, cos_op>},
    {&kTanh, unary_kernel<kTanh, tanh_op>},
    {&kSigmoid, unary_kernel<kSigmoid, sigmoid_op>},
    {&kRelu, unary_kernel<kRelu, relu_op>},
    {&kSilu, unary_kernel<kSilu, silu_op>},
    {&kGelu, unary_kernel<kGelu, gelu_op>},
    {&kErf, unary_kernel<kErf, erf_op>},
    {&kClamp, clamp},
    {&kPowScalar, pow_scalar},
    {&kAdd, binary_kernel<kAdd, add_op>},
    {&kSub, binary_kernel<kSub, sub_op>},
    {&kMul, binary_kernel<kMul, mul_op>},
    {&kDiv, binary_kernel<kDiv, div_op>},
    {&kPow, binary_kernel<kPow, pow_op>},
    {&kMaximum, binary_kernel<kMaximum, maximum_op>},
    {&kMinimum, binary_kernel<kMinimum, minimum_op>},
    {&kEq, compare_kernel<kEq, eq_op>},
    {&kNe, compare_kernel<kNe, ne_op>},
    {&kLt, compare_kernel<kLt, lt_op>},
    {&kLe, compare_kernel<kLe, le_op>},
    {&kGt, compare_kernel<kGt, gt_op>},
    {&kGe, compare_kernel<kGe, ge_op>},
    {&kWhere, where},
});

}  // namespace slmkit
