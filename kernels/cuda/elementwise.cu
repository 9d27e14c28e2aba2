// Elementwise kernels on CUDA: unary maths, clamp, pow_scalar, binary arithmetic, comparisons and where
// (native/KERNELS.md). Inputs are strided (stride 0 for broadcast); outputs are contiguous.
#include <type_traits>

#include "common/launch.cuh"
#include "common/overlap.cuh"
#include "common/values.cuh"
#include "slmkit/elementwise.h"

namespace slmkit {
namespace {

// ---- layouts ------------------------------------------------------------------------------------

// K input views over one shape, dimensions stored innermost first so the unrolled index loop reads
// them with constant indices (see copy.cu). The output is contiguous, so its offset is the element index.
template <int K> struct Layout {
  int32_t ndim;
  int64_t shape[kMaxDims];
  int64_t strides[K][kMaxDims];
};

// Drops size-1 dimensions and merges neighbours every input steps through contiguously; a contiguous
// input set becomes one dimension with stride 1, which selects the vectorised kernel.
template <int K> Layout<K> coalesce(const TensorView& y, const TensorView* const (&in)[K]) {
  Layout<K> out{};
  for (int d = y.ndim - 1; d >= 0; --d) {
    if (y.shape[d] == 1) continue;
    int k = out.ndim - 1;
    bool merge = k >= 0;
    for (int j = 0; j < K && merge; ++j) merge = out.strides[j][k] * out.shape[k] == in[j]->strides[d];
    if (merge) {
      out.shape[k] *= y.shape[d];
    } else {
      out.shape[out.ndim] = y.shape[d];
      for (int j = 0; j < K; ++j) out.strides[j][out.ndim] = in[j]->strides[d];
      ++out.ndim;
    }
  }
  return out;
}

template <int K> bool is_dense(const Layout<K>& l) {
  if (l.ndim == 0) return true;
  if (l.ndim != 1) return false;
  for (int j = 0; j < K; ++j)
    if (l.strides[j][0] != 1) return false;
  return true;
}

// Whether every offset fits in 32 bits, so the kernels can use cheap 32-bit division.
template <int K> bool fits32(const Layout<K>& l, int64_t n) {
  if (n > INT32_MAX) return false;
  for (int j = 0; j < K; ++j) {
    int64_t m = 0;
    for (int d = 0; d < l.ndim; ++d) m += (l.shape[d] - 1) * l.strides[j][d];
    if (m > INT32_MAX) return false;
  }
  return true;
}

template <int K, typename Index>
__device__ __forceinline__ void offsets_of(const Layout<K>& l, Index i, Index (&off)[K]) {
#pragma unroll
  for (int j = 0; j < K; ++j) off[j] = 0;
#pragma unroll
  for (int d = 0; d < kMaxDims; ++d) {
    if (d < l.ndim) {
      Index size = static_cast<Index>(l.shape[d]);
      Index c = i % size;
      i /= size;
#pragma unroll
      for (int j = 0; j < K; ++j) off[j] += c * static_cast<Index>(l.strides[j][d]);
    }
  }
}

// ---- kernels ------------------------------------------------------------------------------------

template <typename T, int K> struct Inputs { const T* p[K]; };

template <typename Out, typename In, int K, typename F>
__device__ __forceinline__ Out apply(const F& f, const In (&v)[K]) {
  if constexpr (K == 1) return store<Out>(f(load(v[0])));
  else return store<Out>(f(load(v[0]), load(v[1])));
}

// y [n] = f(x_0[n], ...), all contiguous. These ops are memory-bound, so each thread moves one 16-byte
// vector of every input per step (N = 16 / sizeof(In); N = 1 when a pointer is not aligned for it);
// the tail past the last whole vector is done element by element.
template <typename Out, typename In, int K, int N, typename F>
__global__ void elementwise_dense_kernel(Out* y, Inputs<In, K> x, int64_t n, F f) {
  wait_for_prior_kernels();
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  const int64_t first = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t packs = n / N;
  for (int64_t p = first; p < packs; p += step) {
    Pack<In, N> in[K];
#pragma unroll
    for (int j = 0; j < K; ++j) in[j] = reinterpret_cast<const Pack<In, N>*>(x.p[j])[p];
    Pack<Out, N> out;
#pragma unroll
    for (int e = 0; e < N; ++e) {
      In v[K];
#pragma unroll
      for (int j = 0; j < K; ++j) v[j] = in[j].v[e];
      out.v[e] = apply<Out, In, K>(f, v);
    }
    reinterpret_cast<Pack<Out, N>*>(y)[p] = out;
  }
  for (int64_t i = packs * N + first; i < n; i += step) {
    In v[K];
#pragma unroll
    for (int j = 0; j < K; ++j) v[j] = x.p[j][i];
    y[i] = apply<Out, In, K>(f, v);
  }
}

// y [n] contiguous = f(x_0, ...) with each x_j any strides over the layout's shape.
template <typename Out, typename In, int K, typename Index, typename F>
__global__ void elementwise_strided_kernel(Out* y, Inputs<In, K> x, Layout<K> layout, Index n, F f) {
  wait_for_prior_kernels();
  for (Index i = Index(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += Index(gridDim.x) * blockDim.x) {
    Index off[K];
    offsets_of<K, Index>(layout, i, off);
    In v[K];
#pragma unroll
    for (int j = 0; j < K; ++j) v[j] = x.p[j][off[j]];
    y[i] = apply<Out, In, K>(f, v);
  }
}

// y [n] contiguous = cond ? a : b; cond (bool), a, b any strides. Stored values are moved unchanged.
template <typename T, typename Index>
__global__ void where_kernel(T* y, const uint8_t* c, const T* a, const T* b, Layout<3> layout, Index n) {
  wait_for_prior_kernels();
  for (Index i = Index(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += Index(gridDim.x) * blockDim.x) {
    Index off[3];
    offsets_of<3, Index>(layout, i, off);
    y[i] = c[off[0]] ? a[off[1]] : b[off[2]];
  }
}

// Launches f over inputs `in` (one storage type In) into contiguous y: the vectorised kernel when the
// coalesced layout is dense and every pointer is 16-byte aligned, else the index-decomposing one.
template <typename Out, typename In, int K, typename F>
void launch_elementwise(const char* kernel, const TensorView& y, const TensorView* const (&in)[K], cudaStream_t stream,
                        const F& f) {
  const int64_t n = y.numel();
  if (n == 0) return;
  Layout<K> layout = coalesce<K>(y, in);
  Inputs<In, K> x;
  bool aligned = reinterpret_cast<uintptr_t>(y.data) % 16 == 0;
  for (int j = 0; j < K; ++j) {
    x.p[j] = in[j]->template ptr<In>();
    aligned = aligned && reinterpret_cast<uintptr_t>(x.p[j]) % 16 == 0;
  }
  Out* yp = y.ptr<Out>();
  if (is_dense(layout)) {
    constexpr int N = 16 / sizeof(In);
    if (aligned)
      launch_overlapped(kernel, elementwise_dense_kernel<Out, In, K, N, F>, grid_for((n + N - 1) / N), kBlockThreads, 0,
                        stream, yp, x, n, f);
    else
      launch_overlapped(kernel, elementwise_dense_kernel<Out, In, K, 1, F>, grid_for(n), kBlockThreads, 0, stream, yp,
                        x, n, f);
  } else if (fits32(layout, n)) {
    launch_overlapped(kernel, elementwise_strided_kernel<Out, In, K, uint32_t, F>, grid_for(n), kBlockThreads, 0,
                      stream, yp, x, layout, uint32_t(n), f);
  } else {
    launch_overlapped(kernel, elementwise_strided_kernel<Out, In, K, uint64_t, F>, grid_for(n), kBlockThreads, 0,
                      stream, yp, x, layout, uint64_t(n), f);
  }
}

// ---- unary ops (functors over the compute type; neg, abs, relu, clamp, pow_scalar and the binary and
// comparison functors are shared with the CPU in slmkit/elementwise_ops.h) -------------------------

// The accurate CUDA maths library forms (not the __expf-style intrinsics): within 1-2 ulp, like the CPU's.
#define SLMKIT_FLOAT_UNARY(name_, expr)                           \
  struct name_##_op {                                             \
    static constexpr bool allows_i32 = false;                     \
    __device__ float operator()(float x) const { return (expr); } \
  };
SLMKIT_FLOAT_UNARY(exp, expf(x))
SLMKIT_FLOAT_UNARY(log, logf(x))
SLMKIT_FLOAT_UNARY(sqrt, sqrtf(x))
SLMKIT_FLOAT_UNARY(rsqrt, 1.0f / sqrtf(x))
SLMKIT_FLOAT_UNARY(sin, sinf(x))
SLMKIT_FLOAT_UNARY(cos, cosf(x))
SLMKIT_FLOAT_UNARY(tanh, tanhf(x))
// Split at 0 so that large negative x gives e^x (down to subnormals) instead of 1/(1+inf) = 0, as the
// CPU's vectorised sigmoid does.
SLMKIT_FLOAT_UNARY(sigmoid, x >= 0 ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x)))
SLMKIT_FLOAT_UNARY(silu, x / (1.0f + expf(-x)))
SLMKIT_FLOAT_UNARY(gelu, 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)))
SLMKIT_FLOAT_UNARY(erf, erff(x))
#undef SLMKIT_FLOAT_UNARY

// Arguments: slmkit/elementwise.h.
template <const KernelSignature& S, typename Op> void unary_kernel(const OpArgs& a) {
  const UnaryArgs r = decode_unary(a, S, Op::allows_i32);
  const TensorView* in[1] = {&r.x};
  dispatch_numeric(r.x.dtype, Op::allows_i32, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (Op::allows_i32 || !std::is_same_v<T, int32_t>)  // no i32 code for float-only ops
      launch_elementwise<T, T, 1>(S.name, r.y, in, stream_of(a), Op{});
  });
}

void clamp(const OpArgs& a) {
  const ClampArgs r = decode_clamp(a);
  const char* k = kClamp.name;
  const TensorView* in[1] = {&r.io.x};
  if (r.io.x.dtype == DType::i32) {
    launch_elementwise<int32_t, int32_t, 1>(k, r.io.y, in, stream_of(a), clamp_op<int32_t>{r.min_i32, r.max_i32});
    return;
  }
  dispatch_numeric(r.io.x.dtype, false, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, int32_t>)
      launch_elementwise<T, T, 1>(k, r.io.y, in, stream_of(a), clamp_op<float>{r.min, r.max});
  });
}

// The form is chosen per element at run time: one kernel for every exponent.
struct pow_scalar_op {
  float e;
  PowForm form;
  __device__ float operator()(float x) const { return pow_by_form(x, e, form); }
};

void pow_scalar(const OpArgs& a) {
  const PowScalarArgs r = decode_pow_scalar(a);
  const TensorView* in[1] = {&r.io.x};
  dispatch_numeric(r.io.x.dtype, false, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, int32_t>)
      launch_elementwise<T, T, 1>(kPowScalar.name, r.io.y, in, stream_of(a), pow_scalar_op{r.exponent, r.form});
  });
}

// ---- binary arithmetic and comparisons -----------------------------------------------------------

template <const KernelSignature& S, typename Op> void binary_kernel(const OpArgs& a) {
  const BinaryArgs r = decode_arithmetic(a, S, Op::allows_i32);
  const TensorView* in[2] = {&r.a, &r.b};
  dispatch_numeric(r.a.dtype, Op::allows_i32, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (Op::allows_i32 || !std::is_same_v<T, int32_t>)  // no i32 code for float-only ops
      launch_elementwise<T, T, 2>(S.name, r.y, in, stream_of(a), Op{});
  });
}

template <const KernelSignature& S, typename Op> void compare_kernel(const OpArgs& a) {
  const BinaryArgs r = decode_compare(a, S, Op::allows_bool);
  const TensorView* in[2] = {&r.a, &r.b};
  dispatch_dtype(r.a.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (Op::allows_bool || !std::is_same_v<T, uint8_t>)
      launch_elementwise<uint8_t, T, 2>(S.name, r.y, in, stream_of(a), Op{});
  });
}

// ---- where --------------------------------------------------------------------------------------

void where(const OpArgs& args) {
  const WhereArgs r = decode_where(args);
  const char* k = kWhere.name;
  const TensorView &c = r.cond, &a = r.a, &b = r.b, &y = r.y;
  const int64_t n = y.numel();
  if (n == 0) return;
  const TensorView* in[3] = {&c, &a, &b};
  Layout<3> layout = coalesce<3>(y, in);
  cudaStream_t stream = stream_of(args);
  dispatch_dtype(a.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const uint8_t* cp = c.ptr<uint8_t>();
    if (fits32(layout, n))
      launch_overlapped(k, where_kernel<T, uint32_t>, grid_for(n), kBlockThreads, 0, stream, y.ptr<T>(), cp, a.ptr<T>(),
                        b.ptr<T>(), layout, uint32_t(n));
    else
      launch_overlapped(k, where_kernel<T, uint64_t>, grid_for(n), kBlockThreads, 0, stream, y.ptr<T>(), cp, a.ptr<T>(),
                        b.ptr<T>(), layout, uint64_t(n));
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
