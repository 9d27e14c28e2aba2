// Elementwise kernels: unary maths, clamp, pow_scalar, binary arithmetic, comparisons and where.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "dtype_dispatch.h"
#include "slmkit/elementwise_ops.h"
#include "slmkit/checks.h"
#include "strided.h"
#include "vec_math.h"
#include "slmkit/elementwise.h"

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
    walk.for_each_run(begin, end, [&](const int64_t* off, int64_t n, int64_t pos) { run(xp + off[0], yp + pos, n, s); });
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
template <class T> void vec_unary_loop(const TensorView& x, const TensorView& y, void (*f)(const float*, float*, int64_t)) {
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

// ---- unary ops (functors over the compute type; neg, abs, relu, clamp and the binary and comparison
// functors are shared with CUDA in slmkit/elementwise_ops.h) ---------------------------------------

#define SLMKIT_FLOAT_UNARY(name_, expr)                 \
  struct name_##_op {                                   \
    static constexpr const char* name = #name_;         \
    static constexpr bool allows_i32 = false;           \
    float operator()(float x) const { return (expr); }  \
  };

SLMKIT_FLOAT_UNARY(sqrt, std::sqrt(x))
SLMKIT_FLOAT_UNARY(rsqrt, 1.0f / std::sqrt(x))
SLMKIT_FLOAT_UNARY(sin, std::sin(x))
SLMKIT_FLOAT_UNARY(cos, std::cos(x))
#undef SLMKIT_FLOAT_UNARY

// Unary maths done by a vec_math.h array routine (vectorised per ISA; its baseline is the scalar std::
// form, e.g. silu = x / (1 + e^-x) as in PyTorch, so silu(-inf) is NaN there and here).
#define SLMKIT_VEC_UNARY(name_, fn)                                   \
  struct name_##_op {                                                 \
    static constexpr const char* name = #name_;                       \
    static constexpr bool allows_i32 = false;                         \
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

// Checks shared by every unary kernel: x (float, or also i32) -> y of x's shape and dtype, contiguous.
void check_unary(const OpArgs& a, const char* kernel, bool allows_i32) {
  check_counts(a, kernel, 1, 1);
  const TensorView &x = a.inputs[0], &y = a.outputs[0];
  check_dtype(kernel, "x", x, allows_i32 ? is_float_or_i32(x.dtype) : is_float(x.dtype),
              allows_i32 ? "f32, bf16 or i32" : "f32 or bf16");
  check_dtype(kernel, "y", y, y.dtype == x.dtype, "x's dtype");
  check_same_shape(kernel, "x and y", x, y);
  check_contiguous(kernel, "y", y);
}

template <class Op> void unary_kernel(const OpArgs& a) {
  check_unary(a, Op::name, Op::allows_i32);
  const TensorView &x = a.inputs[0], &y = a.outputs[0];
  if constexpr (has_array<Op>::value) dispatch_float(x.dtype, [&](auto t) { vec_unary_loop<decltype(t)>(x, y, Op::array); });
  else if constexpr (Op::allows_i32) dispatch_float_i32(x.dtype, [&](auto t) { unary_loop<decltype(t)>(x, y, Op{}); });
  else dispatch_float(x.dtype, [&](auto t) { unary_loop<decltype(t)>(x, y, Op{}); });
}

void clamp(const OpArgs& a) {
  check_unary(a, "clamp", true);
  check_attrs(a, "clamp", 2);
  double lo = a.attrs[0], hi = a.attrs[1];
  if (std::isnan(lo) || std::isnan(hi)) kernel_fail("clamp", "bounds must not be NaN (use +-Infinity for none)");
  const TensorView &x = a.inputs[0], &y = a.outputs[0];
  if (x.dtype == DType::i32) {
    unary_loop<int32_t>(x, y, clamp_op<int32_t>{int_bound(lo, true), int_bound(hi, false)});
  } else {
    clamp_op<float> op{static_cast<float>(lo), static_cast<float>(hi)};
    dispatch_float(x.dtype, [&](auto t) { unary_loop<decltype(t)>(x, y, op); });
  }
}

// pow_scalar: the exponents that have exact cheap forms skip std::pow (which is ~10x slower), as
// PyTorch does; the results are the correctly rounded ones either way.
void pow_scalar(const OpArgs& a) {
  check_unary(a, "pow_scalar", false);
  check_attrs(a, "pow_scalar", 1);
  const TensorView &x = a.inputs[0], &y = a.outputs[0];
  const double e = a.attrs[0];
  const float ef = static_cast<float>(e);
  dispatch_float(x.dtype, [&](auto t) {
    using T = decltype(t);
    if (e == 1.0) unary_loop<T>(x, y, [](float v) { return v; });
    else if (e == 2.0) unary_loop<T>(x, y, [](float v) { return v * v; });
    else if (e == 0.5) unary_loop<T>(x, y, [](float v) { return std::sqrt(v); });
    else if (e == -1.0) unary_loop<T>(x, y, [](float v) { return 1.0f / v; });
    else unary_loop<T>(x, y, [ef](float v) { return std::pow(v, ef); });
  });
}

// ---- binary arithmetic -------------------------------------------------------------------------

// Checks shared by arithmetic and comparison kernels: (a, b) -> y of one shape, a and b one dtype.
void check_binary(const OpArgs& a, const char* kernel, bool dtype_ok, const char* allowed, DType out_dtype) {
  check_counts(a, kernel, 2, 1);
  const TensorView &x = a.inputs[0], &w = a.inputs[1], &y = a.outputs[0];
  check_dtype(kernel, "a", x, dtype_ok, allowed);
  check_dtype(kernel, "b", w, w.dtype == x.dtype, "a's dtype");
  check_dtype(kernel, "y", y, y.dtype == out_dtype, out_dtype == DType::boolean ? "bool" : "a's dtype");
  check_same_shape(kernel, "a and y", x, y);
  check_same_shape(kernel, "b and y", w, y);
  check_contiguous(kernel, "y", y);
}

template <class Op> void binary_kernel(const OpArgs& a) {
  const DType d = a.num_inputs > 0 ? a.inputs[0].dtype : DType::f32;
  check_binary(a, Op::name, Op::allows_i32 ? is_float_or_i32(d) : is_float(d),
               Op::allows_i32 ? "f32, bf16 or i32" : "f32 or bf16", d);
  const TensorView &x = a.inputs[0], &w = a.inputs[1], &y = a.outputs[0];
  Op op;
  auto run = [&](auto t) {
    using T = decltype(t);
    binary_loop<T, T>(x, w, y, op);
  };
  if constexpr (Op::allows_i32) dispatch_float_i32(d, run);
  else dispatch_float(d, run);
}

// ---- comparisons (-> bool) ---------------------------------------------------------------------

template <class Op> void compare_kernel(const OpArgs& a) {
  const DType d = a.num_inputs > 0 ? a.inputs[0].dtype : DType::f32;
  check_binary(a, Op::name, is_float_or_i32(d) || (Op::allows_bool && d == DType::boolean),
               Op::allows_bool ? "f32, bf16, i32 or bool" : "f32, bf16 or i32", DType::boolean);
  const TensorView &x = a.inputs[0], &w = a.inputs[1], &y = a.outputs[0];
  Op op;
  auto run = [&](auto t) { binary_loop<boolean, decltype(t)>(x, w, y, op); };
  if constexpr (Op::allows_bool) dispatch_all(d, run);
  else dispatch_float_i32(d, run);
}

// ---- where -------------------------------------------------------------------------------------

// y = cond ? a : b, moving stored values unchanged (no conversion), so every dtype is one byte copy.
void where(const OpArgs& args) {
  const char* k = "where";
  check_counts(args, k, 3, 1);
  const TensorView &c = args.inputs[0], &a = args.inputs[1], &b = args.inputs[2], &y = args.outputs[0];
  check_dtype(k, "cond", c, c.dtype == DType::boolean, "bool");
  check_dtype(k, "b", b, b.dtype == a.dtype, "a's dtype");
  check_dtype(k, "y", y, y.dtype == a.dtype, "a's dtype");
  check_same_shape(k, "cond and y", c, y);
  check_same_shape(k, "a and y", a, y);
  check_same_shape(k, "b and y", b, y);
  check_contiguous(k, "y", y);
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
    {&kNeg, unary_kernel<neg_op>},           {&kAbs, unary_kernel<abs_op>},
    {&kExp, unary_kernel<exp_op>},           {&kLog, unary_kernel<log_op>},
    {&kSqrt, unary_kernel<sqrt_op>},         {&kRsqrt, unary_kernel<rsqrt_op>},
    {&kSin, unary_kernel<sin_op>},           {&kCos, unary_kernel<cos_op>},
    {&kTanh, unary_kernel<tanh_op>},         {&kSigmoid, unary_kernel<sigmoid_op>},
    {&kRelu, unary_kernel<relu_op>},         {&kSilu, unary_kernel<silu_op>},
    {&kGelu, unary_kernel<gelu_op>},         {&kErf, unary_kernel<erf_op>},
    {&kClamp, clamp},                        {&kPowScalar, pow_scalar},
    {&kAdd, binary_kernel<add_op>},          {&kSub, binary_kernel<sub_op>},
    {&kMul, binary_kernel<mul_op>},          {&kDiv, binary_kernel<div_op>},
    {&kPow, binary_kernel<pow_op>},          {&kMaximum, binary_kernel<maximum_op>},
    {&kMinimum, binary_kernel<minimum_op>},  {&kEq, compare_kernel<eq_op>},
    {&kNe, compare_kernel<ne_op>},           {&kLt, compare_kernel<lt_op>},
    {&kLe, compare_kernel<le_op>},           {&kGt, compare_kernel<gt_op>},
    {&kGe, compare_kernel<ge_op>},           {&kWhere, where},
});

}  // namespace slmkit
