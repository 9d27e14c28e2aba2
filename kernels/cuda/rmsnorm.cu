// RMSNorm over the last dim (y = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps)): forward and backward.
// One block per row (forward) or per fixed group of rows (backward); each thread keeps its slice of the
// row in registers, loaded with 128-bit accesses where the row allows it.
#include <tuple>

#include "fused.cuh"

namespace slmkit {
namespace {

// Packs per thread of each row array held in registers: the forward keeps x and w, the backward x, gy,
// w, the next row's x and gy and the gw sums, so it holds fewer and runs smaller blocks (more registers
// per thread). Longer rows take the loop kernels, which read the row from global memory (L1/L2) again.
constexpr int kForwardItems = 4;
constexpr int kBackwardItems = 2;
constexpr int kTargetThreads = 256;  // block size the item count is chosen for
constexpr int kForwardMaxThreads = 1024;
constexpr int kBackwardMaxThreads = 512;
constexpr int kLoopThreads = 512;
// Row groups of the backward: gw partial sums, one row of C per group, are added in group order by a
// second kernel, so gw does not depend on scheduling. The count only depends on N.
constexpr int64_t kMaxGroups = 1024;

// One block per row; ITEMS packs of VEC elements per thread (C % VEC == 0 by the launcher's choice).
template <typename T, int VEC, int ITEMS>
__global__ void __launch_bounds__(kForwardMaxThreads)
    rmsnorm_forward_kernel(const T* __restrict__ x,   // [N, C]
                           const T* __restrict__ w,   // [C]
                           T* __restrict__ y,         // [N, C]
                           float* __restrict__ rstd,  // [N]
                           int C, double eps) {
  using P = Pack<T, VEC>;
  const int64_t row = blockIdx.x;
  const int packs = C / VEC;
  const P* xr = reinterpret_cast<const P*>(x + row * C);
  // x and w are both loaded before the reduction, so w's (cached) read overlaps x's.
  P xp[ITEMS], wp[ITEMS];
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = threadIdx.x + i * blockDim.x;
    if (j < packs) {
      xp[i] = xr[j];
      wp[i] = reinterpret_cast<const P*>(w)[j];
    }
  }
  float ss = 0.0f;
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    if (threadIdx.x + i * blockDim.x < packs) {
#pragma unroll
      for (int k = 0; k < VEC; ++k) ss += to_f32(xp[i].v[k]) * to_f32(xp[i].v[k]);
    }
  }
  ss = block_sum(ss);
  const float rs = static_cast<float>(1.0 / sqrt(static_cast<double>(ss) / C + eps));
  if (threadIdx.x == 0) rstd[row] = rs;
  P* yr = reinterpret_cast<P*>(y + row * C);
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = threadIdx.x + i * blockDim.x;
    if (j < packs) {
      P out;
#pragma unroll
      for (int k = 0; k < VEC; ++k) out.v[k] = from_f32<T>((to_f32(xp[i].v[k]) * rs) * to_f32(wp[i].v[k]));
      yr[j] = out;
    }
  }
}

// Rows too long for registers: the row is read twice (sum of squares, then y).
template <typename T, int VEC>
__global__ void rmsnorm_forward_loop_kernel(const T* __restrict__ x,   // [N, C]
                                            const T* __restrict__ w,   // [C]
                                            T* __restrict__ y,         // [N, C]
                                            float* __restrict__ rstd,  // [N]
                                            int C, double eps) {
  using P = Pack<T, VEC>;
  const int64_t row = blockIdx.x;
  const int packs = C / VEC;
  const P* xr = reinterpret_cast<const P*>(x + row * C);
  float ss = 0.0f;
  for (int j = threadIdx.x; j < packs; j += blockDim.x) {
    const P p = xr[j];
#pragma unroll
    for (int k = 0; k < VEC; ++k) ss += to_f32(p.v[k]) * to_f32(p.v[k]);
  }
  ss = block_sum(ss);
  const float rs = static_cast<float>(1.0 / sqrt(static_cast<double>(ss) / C + eps));
  if (threadIdx.x == 0) rstd[row] = rs;
  P* yr = reinterpret_cast<P*>(y + row * C);
  for (int j = threadIdx.x; j < packs; j += blockDim.x) {
    const P p = xr[j], wv = reinterpret_cast<const P*>(w)[j];
    P out;
#pragma unroll
    for (int k = 0; k < VEC; ++k) out.v[k] = from_f32<T>((to_f32(p.v[k]) * rs) * to_f32(wv.v[k]));
    yr[j] = out;
  }
}

// Rows [g * rows_per_group, ...) of group g = blockIdx.x. gw_partial[g, c] = sum over the group's rows of
// gy * x * rstd; gx = rstd * (w*gy - x * rstd^2 * mean(w*gy*x)). The next row's x and gy are loaded
// before this row's reduction, so the loads overlap the barrier waits.
template <typename T, int VEC, int ITEMS>
__device__ __forceinline__ void load_rows(const T* x, const T* gy, int64_t row, int C, Pack<T, VEC> (&xn)[ITEMS],
                                          Pack<T, VEC> (&gn)[ITEMS]) {
  using P = Pack<T, VEC>;
  const P* xr = reinterpret_cast<const P*>(x + row * C);
  const P* gyr = reinterpret_cast<const P*>(gy + row * C);
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = threadIdx.x + i * blockDim.x;
    if (j < C / VEC) {
      xn[i] = xr[j];
      gn[i] = gyr[j];
    }
  }
}

template <typename T, int VEC, int ITEMS>
__global__ void __launch_bounds__(kBackwardMaxThreads)
    rmsnorm_backward_kernel(const T* __restrict__ x,         // [N, C]
                            const T* __restrict__ w,         // [C]
                            const float* __restrict__ rstd,  // [N]
                            const T* __restrict__ gy,        // [N, C]
                            T* __restrict__ gx,              // [N, C]
                            float* __restrict__ gw_partial,  // [groups, C]
                            int64_t N, int C, int64_t rows_per_group) {
  using P = Pack<T, VEC>;
  const int packs = C / VEC;
  float wv[ITEMS][VEC], acc[ITEMS][VEC];
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = threadIdx.x + i * blockDim.x;
    P p{};
    if (j < packs) p = reinterpret_cast<const P*>(w)[j];
#pragma unroll
    for (int k = 0; k < VEC; ++k) {
      wv[i][k] = to_f32(p.v[k]);
      acc[i][k] = 0.0f;
    }
  }
  const int64_t begin = blockIdx.x * rows_per_group;
  const int64_t end = begin + rows_per_group < N ? begin + rows_per_group : N;
  P xn[ITEMS], gn[ITEMS];  // the next row's packs
  if (begin < end) load_rows(x, gy, begin, C, xn, gn);
  for (int64_t row = begin; row < end; ++row) {
    float xv[ITEMS][VEC], gv[ITEMS][VEC];
    float dot = 0.0f;
#pragma unroll
    for (int i = 0; i < ITEMS; ++i) {
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        xv[i][k] = to_f32(xn[i].v[k]);
        gv[i][k] = to_f32(gn[i].v[k]);
        if (threadIdx.x + i * blockDim.x < packs) dot += wv[i][k] * gv[i][k] * xv[i][k];
      }
    }
    if (row + 1 < end) load_rows(x, gy, row + 1, C, xn, gn);
    dot = block_sum(dot);
    const float rs = rstd[row];
    const float kk = static_cast<float>(static_cast<double>(dot) / C) * rs * rs;
    P* gxr = reinterpret_cast<P*>(gx + row * C);
#pragma unroll
    for (int i = 0; i < ITEMS; ++i) {
      const int j = threadIdx.x + i * blockDim.x;
      if (j < packs) {
        P out;
#pragma unroll
        for (int k = 0; k < VEC; ++k) {
          out.v[k] = from_f32<T>(rs * (wv[i][k] * gv[i][k] - xv[i][k] * kk));
          acc[i][k] += gv[i][k] * xv[i][k] * rs;
        }
        gxr[j] = out;
      }
    }
  }
  float* part = gw_partial + static_cast<int64_t>(blockIdx.x) * C;
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = threadIdx.x + i * blockDim.x;
    if (j < packs) {
#pragma unroll
      for (int k = 0; k < VEC; ++k) part[j * VEC + k] = acc[i][k];
    }
  }
}

// Rows too long for registers: each row read twice; a column's gw partial is kept in global memory by
// the one thread that owns the column (no atomics).
template <typename T, int VEC>
__global__ void rmsnorm_backward_loop_kernel(const T* __restrict__ x,         // [N, C]
                                             const T* __restrict__ w,         // [C]
                                             const float* __restrict__ rstd,  // [N]
                                             const T* __restrict__ gy,        // [N, C]
                                             T* __restrict__ gx,              // [N, C]
                                             float* __restrict__ gw_partial,  // [groups, C]
                                             int64_t N, int C, int64_t rows_per_group) {
  using P = Pack<T, VEC>;
  const int packs = C / VEC;
  const P* wp = reinterpret_cast<const P*>(w);
  float* part = gw_partial + static_cast<int64_t>(blockIdx.x) * C;
  // Each thread owns columns j*VEC + k for its packs j, in the zeroing here and the updates below.
  for (int j = threadIdx.x; j < packs; j += blockDim.x)
#pragma unroll
    for (int k = 0; k < VEC; ++k) part[j * VEC + k] = 0.0f;
  const int64_t begin = blockIdx.x * rows_per_group;
  const int64_t end = begin + rows_per_group < N ? begin + rows_per_group : N;
  for (int64_t row = begin; row < end; ++row) {
    const P* xr = reinterpret_cast<const P*>(x + row * C);
    const P* gyr = reinterpret_cast<const P*>(gy + row * C);
    float dot = 0.0f;
    for (int j = threadIdx.x; j < packs; j += blockDim.x) {
      const P a = xr[j], b = gyr[j], wv = wp[j];
#pragma unroll
      for (int k = 0; k < VEC; ++k) dot += to_f32(wv.v[k]) * to_f32(b.v[k]) * to_f32(a.v[k]);
    }
    dot = block_sum(dot);
    const float rs = rstd[row];
    const float kk = static_cast<float>(static_cast<double>(dot) / C) * rs * rs;
    P* gxr = reinterpret_cast<P*>(gx + row * C);
    for (int j = threadIdx.x; j < packs; j += blockDim.x) {
      const P a = xr[j], b = gyr[j], wv = wp[j];
      P out;
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const float xf = to_f32(a.v[k]), gf = to_f32(b.v[k]);
        out.v[k] = from_f32<T>(rs * (to_f32(wv.v[k]) * gf - xf * kk));
        part[j * VEC + k] += gf * xf * rs;
      }
      gxr[j] = out;
    }
  }
}

// gw[c] = sum over groups of gw_partial[g, c] in a fixed order: a 32 x 32 block takes 32 columns, each
// thread row y sums groups y, y + 32, ... (f64), then column sums over y in order.
template <typename T>
__global__ void rmsnorm_gw_kernel(const float* __restrict__ gw_partial,  // [groups, C]
                                  T* __restrict__ gw,                    // [C]
                                  int64_t groups, int C) {
  __shared__ double sums[32][33];
  const int c = blockIdx.x * 32 + threadIdx.x;
  double s = 0.0;
  if (c < C)
    for (int64_t g = threadIdx.y; g < groups; g += 32) s += gw_partial[g * C + c];
  sums[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && c < C) {
    double total = 0.0;
    for (int y = 0; y < 32; ++y) total += sums[y][threadIdx.x];
    gw[c] = from_f32<T>(static_cast<float>(total));
  }
}

// Launch shape for a row of `packs` packs: the fewest items per thread (at most max_items) that keep
// the block at or under kTargetThreads, else max_threads; items = 0 when the row does not fit (loop
// kernel). Block sizes are whole warps.
struct RowShape {
  int items;
  int threads;
};

RowShape row_shape(int64_t packs, int max_items, int max_threads) {
  for (int items = 1; items <= max_items; items *= 2) {
    const int64_t threads = (packs + items - 1) / items;
    if (threads <= kTargetThreads || (items == max_items && threads <= max_threads))
      return {items, threads < 32 ? 32 : static_cast<int>((threads + 31) / 32 * 32)};
  }
  return {0, kLoopThreads};
}

// Calls f(std::integral_constant<int, ITEMS>) for the run-time item count (1, 2 or 4, at most MAX).
template <int MAX, typename F> void dispatch_items(int items, F&& f) {
  if (items == 1) f(std::integral_constant<int, 1>{});
  else if constexpr (MAX >= 4) {
    if (items == 2) f(std::integral_constant<int, 2>{});
    else f(std::integral_constant<int, 4>{});
  } else f(std::integral_constant<int, 2>{});
}

// 128-bit packs when every row starts 16-byte aligned, else one element per access.
template <typename T> bool can_pack(int64_t C, std::initializer_list<const void*> ptrs) {
  if (C % kPack16<T> != 0) return false;
  for (const void* p : ptrs)
    if (!aligned16(p)) return false;
  return true;
}

}  // namespace

// inputs: x [N, C] float, w [C] (x's dtype); outputs: y [N, C], rstd [N] f32; attrs: eps.
void rmsnorm_forward(const OpArgs& a) {
  const char* k = "rmsnorm_forward";
  check_counts(k, a, 2, 2, 1);
  const TensorView &x = a.inputs[0], &w = a.inputs[1], &y = a.outputs[0], &rstd = a.outputs[1];
  check_dense_float(k, "x", x, 2);
  const int64_t N = x.shape[0], C = x.shape[1];
  check_vector(k, "w", w, C, x.dtype);
  check_like(k, "y", y, "x", x);
  check_vector(k, "rstd", rstd, N, DType::f32);
  const double eps = a.attrs[0];
  require(eps >= 0 && eps < INFINITY, k, "eps must be finite and >= 0, got " + std::to_string(eps));
  if (N == 0) return;
  cudaStream_t stream = stream_of(a);
  dispatch_float(k, x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto launch = [&](auto vec) {
      constexpr int V = decltype(vec)::value;
      const RowShape shape = row_shape(C / V, kForwardItems, kForwardMaxThreads);
      const auto args = std::make_tuple(x.ptr<T>(), w.ptr<T>(), y.ptr<T>(), rstd.ptr<float>(), static_cast<int>(C), eps);
      if (shape.items == 0) {
        std::apply([&](auto... a) { rmsnorm_forward_loop_kernel<T, V><<<static_cast<unsigned>(N), shape.threads, 0, stream>>>(a...); }, args);
        return;
      }
      dispatch_items<kForwardItems>(shape.items, [&](auto items) {
        constexpr int I = decltype(items)::value;
        std::apply([&](auto... a) { rmsnorm_forward_kernel<T, V, I><<<static_cast<unsigned>(N), shape.threads, 0, stream>>>(a...); }, args);
      });
    };
    if (can_pack<T>(C, {x.data, w.data, y.data})) launch(std::integral_constant<int, kPack16<T>>{});
    else launch(std::integral_constant<int, 1>{});
  });
  check_launch(k);
}

// inputs: x [N, C] float, w [C], rstd [N] f32, gy [N, C]; outputs: gx [N, C], gw [C]; attrs: none.
void rmsnorm_backward(const OpArgs& a) {
  const char* k = "rmsnorm_backward";
  check_counts(k, a, 4, 2, 0);
  const TensorView &x = a.inputs[0], &w = a.inputs[1], &rstd = a.inputs[2], &gy = a.inputs[3];
  const TensorView &gx = a.outputs[0], &gw = a.outputs[1];
  check_dense_float(k, "x", x, 2);
  const int64_t N = x.shape[0], C = x.shape[1];
  check_vector(k, "w", w, C, x.dtype);
  check_vector(k, "rstd", rstd, N, DType::f32);
  check_like(k, "gy", gy, "x", x);
  check_like(k, "gx", gx, "x", x);
  check_like(k, "gw", gw, "w", w);
  if (C == 0) return;
  cudaStream_t stream = stream_of(a);
  const int64_t groups = N < kMaxGroups ? N : kMaxGroups;
  const int64_t rows_per_group = groups > 0 ? (N + groups - 1) / groups : 0;
  StreamScratch partial(k, static_cast<size_t>(groups > 0 ? groups : 1) * C * sizeof(float), stream);
  dispatch_float(k, x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto launch = [&](auto vec) {
      constexpr int V = decltype(vec)::value;
      const RowShape shape = row_shape(C / V, kBackwardItems, kBackwardMaxThreads);
      const auto args = std::make_tuple(x.ptr<T>(), w.ptr<T>(), rstd.ptr<float>(), gy.ptr<T>(), gx.ptr<T>(),
                                        partial.as<float>(), N, static_cast<int>(C), rows_per_group);
      const unsigned grid = static_cast<unsigned>(groups);
      if (shape.items == 0) {
        std::apply([&](auto... a) { rmsnorm_backward_loop_kernel<T, V><<<grid, shape.threads, 0, stream>>>(a...); }, args);
        return;
      }
      dispatch_items<kBackwardItems>(shape.items, [&](auto items) {
        constexpr int I = decltype(items)::value;
        std::apply([&](auto... a) { rmsnorm_backward_kernel<T, V, I><<<grid, shape.threads, 0, stream>>>(a...); }, args);
      });
    };
    if (groups > 0) {
      if (can_pack<T>(C, {x.data, w.data, gy.data, gx.data})) launch(std::integral_constant<int, kPack16<T>>{});
      else launch(std::integral_constant<int, 1>{});
      check_launch(k);
    }
    // With no rows, gw sums nothing: the column kernel writes zeros.
    rmsnorm_gw_kernel<T><<<static_cast<unsigned>((C + 31) / 32), dim3(32, 32), 0, stream>>>(partial.as<float>(), gw.ptr<T>(),
                                                                                           groups, static_cast<int>(C));
    check_launch(k);
  });
}

SLMKIT_REGISTER_KERNELS({{"rmsnorm_forward", rmsnorm_forward}, {"rmsnorm_backward", rmsnorm_backward}});

}  // namespace slmkit
