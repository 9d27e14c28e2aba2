// Softmax and log-softmax on CUDA over the last dimension of a contiguous [N, V], forward and backward
// (native/KERNELS.md). One group of threads per row: a warp for rows up to 1024 wide, else a whole block,
// so rows of any width (a 122,753-wide vocabulary included) stream through with no per-row size limit.
#include <type_traits>

#include "common/launch.cuh"
#include "common/overlap.cuh"
#include "common/reductions.cuh"
#include "common/values.cuh"
#include "slmkit/softmax.h"

namespace slmkit {
namespace {

// Running max m and s = sum exp(x - m) of a row part. s == 0 marks "no finite contribution yet".
// A NaN anywhere, or a +inf (whose x - m is inf - inf in PyTorch), makes s NaN, and so the whole row
// NaN; an all -inf row keeps s == 0, which also yields NaN below (as PyTorch).
struct MaxSum { float m, s; };

__device__ __forceinline__ void max_sum_step(MaxSum& a, float v) {
  if (v > a.m) {
    a.s = v == INFINITY ? NAN : a.s * expf(a.m - v) + 1.0f;
    a.m = v;
  } else if (v != -INFINITY) {
    a.s += expf(v - a.m);  // NaN v (or m = +inf) gives NaN
  }
}

__device__ __forceinline__ void max_sum_merge(MaxSum& a, const MaxSum& b) {
  if (a.s != a.s || b.s != b.s) {
    a.s = NAN;
  } else if (b.s == 0) {
  } else if (a.s == 0) {
    a = b;
  } else {
    const float m = fmaxf(a.m, b.m);
    a.s = a.s * expf(a.m - m) + b.s * expf(b.m - m);
    a.m = m;
  }
}

// Rows are handled by groups of `lanes` threads (a power of two dividing the block); row = the group's
// global index. Every thread runs the reductions, also those past the last row, because they synchronise.
struct RowGroup {
  int64_t row;
  int lane, lanes;
};
__device__ __forceinline__ RowGroup row_group(int lanes) {
  return RowGroup{int64_t(blockIdx.x) * (blockDim.x / lanes) + threadIdx.x / lanes, int(threadIdx.x & (lanes - 1)),
                  lanes};
}

// x [N, V] -> y [N, V]: softmax (Log = false) or log_softmax (Log = true) of each row. x is read twice:
// once for the online max/sum, once to write y (the second read mostly hits L2 for rows that fit).
template <typename T, bool Log>
__global__ void softmax_forward_kernel(const T* x, T* y, int64_t N, int64_t V, int lanes) {
  wait_for_prior_kernels();
  extern __shared__ __align__(16) unsigned char smem[];
  const RowGroup g = row_group(lanes);
  const bool live = g.row < N;
  const T* xr = x + (live ? g.row : 0) * V;
  MaxSum acc{-INFINITY, 0.0f};
  if (live)
    for (int64_t j = g.lane; j < V; j += lanes) max_sum_step(acc, load(xr[j]));
  acc = group_reduce(acc, reinterpret_cast<MaxSum*>(smem), lanes,
                     [](MaxSum& a, const MaxSum& b) { max_sum_merge(a, b); });
  if (!live) return;
  T* yr = y + g.row * V;
  if constexpr (Log) {
    // (x - m) - log(s), not x - (m + log(s)): adding m to the small log(s) first loses its low bits.
    const float log_s = logf(acc.s);
    for (int64_t j = g.lane; j < V; j += lanes) yr[j] = store<T>((load(xr[j]) - acc.m) - log_s);
  } else {
    const float inv = 1.0f / acc.s;
    for (int64_t j = g.lane; j < V; j += lanes) yr[j] = store<T>(expf(load(xr[j]) - acc.m) * inv);
  }
}

// y [N, V] (forward output), gy [N, V] -> gx [N, V]:
//   softmax:     gx = y * (gy - sum(gy * y))
//   log_softmax: gx = gy - exp(y) * sum(gy)
template <typename T, bool Log>
__global__ void softmax_backward_kernel(const T* y, const T* gy, T* gx, int64_t N, int64_t V, int lanes) {
  wait_for_prior_kernels();
  extern __shared__ __align__(16) unsigned char smem[];
  const RowGroup g = row_group(lanes);
  const bool live = g.row < N;
  const int64_t base = (live ? g.row : 0) * V;
  float s = 0.0f;
  if (live)
    for (int64_t j = g.lane; j < V; j += lanes) s += Log ? load(gy[base + j]) : load(gy[base + j]) * load(y[base + j]);
  s = group_reduce(s, reinterpret_cast<float*>(smem), lanes, [](float& a, const float& b) { a += b; });
  if (!live) return;
  for (int64_t j = g.lane; j < V; j += lanes) {
    const float yv = load(y[base + j]), gv = load(gy[base + j]);
    gx[base + j] = store<T>(Log ? gv - expf(yv) * s : yv * (gv - s));
  }
}

// A warp per row up to 1024 wide (eight rows per block); wider rows get the whole block.
int lanes_for(int64_t V) { return V <= 1024 ? 32 : kBlockThreads; }

// Arguments: slmkit/softmax.h.
template <bool Log> void softmax_like_forward(const OpArgs& a) {
  const char* k = (Log ? kLogSoftmaxForward : kSoftmaxForward).name;
  const SoftmaxForwardArgs r = decode_softmax_forward(a, Log);
  const TensorView &x = r.x, &y = r.y;
  const int64_t N = r.rows, V = r.cols;
  if (N * V == 0) return;
  const int lanes = lanes_for(V);
  const unsigned blocks = static_cast<unsigned>((N + kBlockThreads / lanes - 1) / (kBlockThreads / lanes));
  dispatch_numeric(x.dtype, false, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, int32_t>)  // never true at run time: the dispatch excludes i32
      launch_overlapped(k, softmax_forward_kernel<T, Log>, blocks, kBlockThreads, kBlockThreads * sizeof(MaxSum),
                        stream_of(a), x.ptr<T>(), y.ptr<T>(), N, V, lanes);
  });
}

template <bool Log> void softmax_like_backward(const OpArgs& a) {
  const char* k = (Log ? kLogSoftmaxBackward : kSoftmaxBackward).name;
  const SoftmaxBackwardArgs r = decode_softmax_backward(a, Log);
  const TensorView &y = r.y, &gy = r.gy, &gx = r.gx;
  const int64_t N = r.rows, V = r.cols;
  if (N * V == 0) return;
  const int lanes = lanes_for(V);
  const unsigned blocks = static_cast<unsigned>((N + kBlockThreads / lanes - 1) / (kBlockThreads / lanes));
  dispatch_numeric(y.dtype, false, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, int32_t>)  // never true at run time: the dispatch excludes i32
      launch_overlapped(k, softmax_backward_kernel<T, Log>, blocks, kBlockThreads, kBlockThreads * sizeof(float),
                        stream_of(a), y.ptr<T>(), gy.ptr<T>(), gx.ptr<T>(), N, V, lanes);
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({
    {&kSoftmaxForward, softmax_like_forward<false>},
    {&kSoftmaxBackward, softmax_like_backward<false>},
    {&kLogSoftmaxForward, softmax_like_forward<true>},
    {&kLogSoftmaxBackward, softmax_like_backward<true>},
});

}  // namespace slmkit
