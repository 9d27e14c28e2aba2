// Reductions on CUDA over the middle axis of a contiguous [O, R, I] view: sum, max, min, argmax, argmin,
// logsumexp (native/KERNELS.md). Accumulation is f32 (i64 for i32 sums) in a fixed order per shape, with
// no atomics, so results repeat exactly from run to run.
#include <type_traits>

#include "common/launch.cuh"
#include "common/overlap.cuh"
#include "common/reductions.cuh"
#include "common/values.cuh"
#include "slmkit/reduce.h"

namespace slmkit {
namespace {

// Each reducer over storage type T: acc_t; init(); step(acc, value, r) for axis index r; merge(a, b) for
// accumulators of disjoint parts of the axis (in either order: the result does not depend on which part
// comes first, so any fixed tree gives the same answer as the CPU up to f32 rounding); finish(acc).

// The traits of each reducer (which dtypes, what output) are its kind's in slmkit/reduce.h.
template <typename T> struct sum_red : SumKind {
  // i32 sums accumulate in i64 and wrap to i32 on store, like a cast of PyTorch's i64 sum.
  using acc_t = std::conditional_t<std::is_same_v<T, int32_t>, long long, float>;
  using out_t = T;
  __device__ acc_t init() const { return 0; }
  __device__ void step(acc_t& a, compute_t<T> v, int64_t) const { a += v; }
  __device__ void merge(acc_t& a, const acc_t& b) const { a += b; }
  __device__ out_t finish(const acc_t& a) const {
    if constexpr (std::is_same_v<T, int32_t>)
      return static_cast<int32_t>(static_cast<uint32_t>(static_cast<unsigned long long>(a)));
    else return store<T>(a);
  }
};

// max/min/argmax/argmin. A NaN beats every number, and among equal values (or NaNs) the lower axis
// index wins, so argmax returns the first extreme and NaN propagates, as on the CPU.
template <typename T, bool IsMax, bool Index> struct extreme_red : ExtremeKind<IsMax, Index> {
  using V = compute_t<T>;
  struct acc_t {
    V v;
    long long idx;  // -1 while empty
  };
  using out_t = std::conditional_t<Index, int32_t, T>;
  __device__ static bool better(const acc_t& b, const acc_t& a) {
    if (b.idx < 0) return false;
    if (a.idx < 0) return true;
    const bool bn = b.v != b.v, an = a.v != a.v;
    if (bn || an) return bn && (!an || b.idx < a.idx);
    return (IsMax ? b.v > a.v : b.v < a.v) || (b.v == a.v && b.idx < a.idx);
  }
  __device__ acc_t init() const { return acc_t{V(0), -1}; }
  __device__ void step(acc_t& a, V v, int64_t r) const { merge(a, acc_t{v, r}); }
  __device__ void merge(acc_t& a, const acc_t& b) const {
    if (better(b, a)) a = b;
  }
  __device__ out_t finish(const acc_t& a) const {
    if constexpr (Index) return static_cast<int32_t>(a.idx);
    else return store<T>(a.v);
  }
};
template <typename T> using max_red = extreme_red<T, true, false>;
template <typename T> using min_red = extreme_red<T, false, false>;
template <typename T> using argmax_red = extreme_red<T, true, true>;
template <typename T> using argmin_red = extreme_red<T, false, true>;

// Online logsumexp: running max m and s = sum exp(x - m). A +inf element makes the result +inf, all
// -inf (or an empty axis) gives -inf, any NaN gives NaN; infinities never meet in inf - inf.
template <typename T> struct logsumexp_red : LogsumexpKind {
  struct acc_t { float m, s; };
  using out_t = T;
  __device__ acc_t init() const { return acc_t{-INFINITY, 0.0f}; }
  __device__ void step(acc_t& a, float v, int64_t) const {
    if (v != v || a.m != a.m) {
      a.m = NAN;
    } else if (v > a.m) {
      if (v != INFINITY) a.s = a.s * expf(a.m - v) + 1.0f;
      a.m = v;
    } else if (v != -INFINITY && a.m != INFINITY) {
      a.s += expf(v - a.m);
    }
  }
  __device__ void merge(acc_t& a, const acc_t& b) const {
    if (a.m != a.m || b.m != b.m) {
      a.m = NAN;
      return;
    }
    const float m = fmaxf(a.m, b.m);
    if (m == -INFINITY || m == INFINITY) {
      a.m = m;
      return;
    }
    a.s = a.s * expf(a.m - m) + b.s * expf(b.m - m);
    a.m = m;
  }
  __device__ out_t finish(const acc_t& a) const {
    if (a.m == -INFINITY || a.m == INFINITY || a.m != a.m) return store<T>(a.m);
    return store<T>(a.m + logf(a.s));
  }
};

// x [O, R] (I == 1): groups of `lanes` threads each reduce chunk c of row o (unit = o * chunks + c),
// lanes striding through the chunk so reads coalesce. With one chunk the group writes y [O]; otherwise
// partial [chunks, O].
template <typename T, typename Red>
__global__ void reduce_rows_kernel(const T* x, int64_t O, int64_t R, int chunks, int lanes, typename Red::out_t* y,
                                   typename Red::acc_t* partial, Red red) {
  wait_for_prior_kernels();
  using Acc = typename Red::acc_t;
  extern __shared__ __align__(16) unsigned char smem[];
  const int lane = threadIdx.x & (lanes - 1);
  const int64_t unit = int64_t(blockIdx.x) * (blockDim.x / lanes) + threadIdx.x / lanes;
  const int64_t o = unit / chunks, c = unit % chunks;
  Acc acc = red.init();
  if (o < O) {
    const int64_t r0 = R * c / chunks, r1 = R * (c + 1) / chunks;
    const T* row = x + o * R;
    for (int64_t r = r0 + lane; r < r1; r += lanes) red.step(acc, load(row[r]), r);
  }
  acc = group_reduce(acc, reinterpret_cast<Acc*>(smem), lanes, [&](Acc& a, const Acc& b) { red.merge(a, b); });
  if (o < O && lane == 0) {
    if (chunks == 1) y[o] = red.finish(acc);
    else partial[c * O + o] = acc;
  }
}

// x [O, R, I] (I > 1): one thread per output column col = o * I + i (neighbouring threads read
// neighbouring i) over the R-chunk blockIdx.y. With one chunk it writes y [O * I]; else partial [chunks, O * I].
template <typename T, typename Red>
__global__ void reduce_columns_kernel(const T* x, int64_t O, int64_t R, int64_t I, int chunks, typename Red::out_t* y,
                                      typename Red::acc_t* partial, Red red) {
  wait_for_prior_kernels();
  const int64_t cols = O * I, c = blockIdx.y;
  const int64_t r0 = R * c / chunks, r1 = R * (c + 1) / chunks;
  for (int64_t col = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; col < cols;
       col += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = col / I, i = col % I;
    const T* base = x + o * R * I + i;
    typename Red::acc_t acc = red.init();
    for (int64_t r = r0; r < r1; ++r) red.step(acc, load(base[r * I]), r);
    if (chunks == 1) y[col] = red.finish(acc);
    else partial[c * cols + col] = acc;
  }
}

// partial [chunks, cols] -> y [cols], merging chunks in order.
template <typename Red>
__global__ void reduce_finish_kernel(const typename Red::acc_t* partial, int64_t cols, int chunks,
                                     typename Red::out_t* y, Red red) {
  wait_for_prior_kernels();
  for (int64_t col = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; col < cols;
       col += int64_t(gridDim.x) * blockDim.x) {
    typename Red::acc_t acc = partial[col];
    for (int c = 1; c < chunks; ++c) red.merge(acc, partial[c * cols + col]);
    y[col] = red.finish(acc);
  }
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Launch shapes: enough independent work to fill the GPU. Few long reductions are cut into R-chunks
// whose partial accumulators are merged by a second kernel (scratch from the stream-ordered pool).
template <typename T, typename Red> void reduce_launch(const ReduceArgs& r, cudaStream_t stream) {
  using Acc = typename Red::acc_t;
  using Out = typename Red::out_t;
  const char* k = Red::signature.name;
  const int64_t O = r.outer, R = r.axis, I = r.inner, cols = O * I;
  const T* xp = r.x.ptr<T>();
  Out* yp = r.y.ptr<Out>();
  Red red;
  int chunks;
  int lanes = 0;
  if (I == 1) {
    lanes = R >= 2048 ? kBlockThreads : 32;
    chunks = static_cast<int>(clamp64(ceil_div(2048, O), 1, clamp64(R / 4096, 1, 65535)));
  } else {
    chunks = static_cast<int>(clamp64(ceil_div(65536, cols), 1, clamp64(R / 64, 1, 65535)));
  }
  Acc* partial = nullptr;
  if (chunks > 1)
    check_cuda(cudaMallocAsync(reinterpret_cast<void**>(&partial), sizeof(Acc) * chunks * cols, stream), k,
               "cudaMallocAsync (partial results)");
  if (I == 1) {
    const int64_t groups = O * chunks, per_block = kBlockThreads / lanes;
    launch_overlapped(k, reduce_rows_kernel<T, Red>, static_cast<unsigned>(ceil_div(groups, per_block)), kBlockThreads,
                      kBlockThreads * sizeof(Acc), stream, xp, O, R, chunks, lanes, yp, partial, red);
  } else {
    dim3 grid(grid_for(cols), chunks);
    launch_overlapped(k, reduce_columns_kernel<T, Red>, grid, kBlockThreads, 0, stream, xp, O, R, I, chunks, yp,
                      partial, red);
  }
  if (chunks > 1) {
    launch_overlapped(k, reduce_finish_kernel<Red>, grid_for(cols), kBlockThreads, 0, stream, partial, cols, chunks, yp,
                      red);
    check_cuda(cudaFreeAsync(partial, stream), k, "cudaFreeAsync");
  }
}

// Arguments: slmkit/reduce.h.
template <template <typename> class Red> void reduce_kernel(const OpArgs& a) {
  const ReduceArgs r = decode_reduce<Red<float>>(a);
  if (r.y.numel() == 0) return;
  dispatch_dtype(r.x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, uint8_t> && !(Red<float>::float_only && std::is_same_v<T, int32_t>))
      reduce_launch<T, Red<T>>(r, stream_of(a));
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({
    {&kSum, reduce_kernel<sum_red>},
    {&kMax, reduce_kernel<max_red>},
    {&kMin, reduce_kernel<min_red>},
    {&kArgmax, reduce_kernel<argmax_red>},
    {&kArgmin, reduce_kernel<argmin_red>},
    {&kLogsumexp, reduce_kernel<logsumexp_red>},
});

}  // namespace slmkit
