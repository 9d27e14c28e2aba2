// RMSNorm over the last dim (y = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps)): forward and backward.
// Forward: a row belongs to one warp when it fits in its registers (no block barrier; 8 rows per block),
// else to one block; rows too long for registers take a loop kernel that reads the row again from L1/L2.
// Backward: a persistent grid of blocks, each owning a fixed run of rows and keeping its gw partial sums in
// registers; a second small kernel adds the partials. Rows are moved in 16-byte packs where they allow it.
#include <algorithm>
#include <tuple>
#include <utility>

#include "fused.cuh"

namespace slmkit {
namespace {

constexpr int kWarpsPerBlock = 8;       // forward, one warp per row: 256-thread blocks
constexpr int kMaxThreads = 1024;       // one block per row (forward) or per run of rows (backward)
constexpr int kLoopThreads = 512;       // loop kernels, rows longer than the register kernels hold
constexpr int kLoopWarpMaxC = 1024;     // loop kernels: rows up to this many elements go one per warp

// Packs per lane of the one-warp forward: a row of 288 bf16 packs (C = 2304) is 9 per lane, exactly.
using WarpItems = std::integer_sequence<int, 1, 2, 4, 6, 9, 12, 16>;
// Packs per thread of the one-block forward, at up to 1024 threads.
using BlockItems = std::integer_sequence<int, 1, 2, 4>;
// Packs per thread of the backward (at up to 512 threads), which also holds w and the gw sums for them.
using BackwardItems = std::integer_sequence<int, 1, 2>;
constexpr int kBackwardMaxThreads = 512;

// Calls f(std::integral_constant<int, I>) with the smallest I of Is that is >= need; false if none is.
template <typename F, int... Is> bool dispatch_items(int64_t need, std::integer_sequence<int, Is...>, F&& f) {
  bool done = false;
  ((!done && need <= Is ? (f(std::integral_constant<int, Is>{}), done = true) : false), ...);
  return done;
}

// The threads that own one row: a warp, or the whole block. Thread rank() handles packs rank() + i * size().
template <bool WARP> struct RowGroup {
  __device__ __forceinline__ static int size() { return WARP ? 32 : int(blockDim.x); }
  __device__ __forceinline__ static int rank() { return WARP ? int(threadIdx.x & 31) : int(threadIdx.x); }
  // The row a group owns: warp w of block b owns row b * warps + w.
  __device__ __forceinline__ static int64_t row() {
    return WARP ? int64_t(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5) : int64_t(blockIdx.x);
  }
  __device__ __forceinline__ static float sum(float v) {
    if constexpr (WARP) return warp_sum(v);
    else return block_sum(v);
  }
};

// Packs rank + i * size of a row of `packs` packs, loaded together so that all are in flight at once;
// those past the row's end are zero, so sums over them add nothing.
template <typename P, int ITEMS>
__device__ __forceinline__ void load_packs(const P* row, int packs, int rank, int size, P (&out)[ITEMS]) {
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = rank + i * size;
    out[i] = j < packs ? row[j] : P{};
  }
}

template <typename P> __device__ __forceinline__ float sum_squares(const P& p) {
  float s = 0.0f;
#pragma unroll
  for (int k = 0; k < int(sizeof(p.v) / sizeof(p.v[0])); ++k) s += to_f32(p.v[k]) * to_f32(p.v[k]);
  return s;
}

// rstd from the row's sum of squares; the one division and square root per row are done in f64.
__device__ __forceinline__ float row_rstd(float ss, int C, double eps) {
  return static_cast<float>(1.0 / sqrt(static_cast<double>(ss) / C + eps));
}

template <typename T, int VEC>
__device__ __forceinline__ Pack<T, VEC> normalize(const Pack<T, VEC>& xp, const Pack<T, VEC>& wp, float rs) {
  Pack<T, VEC> out;
#pragma unroll
  for (int k = 0; k < VEC; ++k) out.v[k] = from_f32<T>((to_f32(xp.v[k]) * rs) * to_f32(wp.v[k]));
  return out;
}

// Rows held in registers: ITEMS packs of VEC elements per thread of the row's group (C % VEC == 0).
// w is read after the reduction: it is 2 * C bytes shared by every row, so it comes from L1, and not
// holding it during the reduction leaves registers for more rows in flight.
template <typename T, int VEC, int ITEMS, bool WARP>
__global__ void __launch_bounds__(WARP ? 32 * kWarpsPerBlock : kMaxThreads)
    rmsnorm_forward_kernel(const T* __restrict__ x,   // [N, C]
                           const T* __restrict__ w,   // [C]
                           T* __restrict__ y,         // [N, C]
                           float* __restrict__ rstd,  // [N]
                           int64_t N, int C, double eps) {
  using G = RowGroup<WARP>;
  using P = Pack<T, VEC>;
  const int64_t row = G::row();
  if (row >= N) return;  // whole warps (warp mode); the block mode's grid is N
  const int packs = C / VEC;
  P xp[ITEMS];
  load_packs(reinterpret_cast<const P*>(x + row * C), packs, G::rank(), G::size(), xp);
  float ss = 0.0f;
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) ss += sum_squares(xp[i]);
  const float rs = row_rstd(G::sum(ss), C, eps);
  if (G::rank() == 0) rstd[row] = rs;
  P* yr = reinterpret_cast<P*>(y + row * C);
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = G::rank() + i * G::size();
    if (j < packs) yr[j] = normalize(xp[i], reinterpret_cast<const P*>(w)[j], rs);
  }
}

// Rows too long for registers, or not in 16-byte packs: the row is read twice (sum of squares, then y).
template <typename T, int VEC, bool WARP>
__global__ void rmsnorm_forward_loop_kernel(const T* __restrict__ x,   // [N, C]
                                            const T* __restrict__ w,   // [C]
                                            T* __restrict__ y,         // [N, C]
                                            float* __restrict__ rstd,  // [N]
                                            int64_t N, int C, double eps) {
  using G = RowGroup<WARP>;
  using P = Pack<T, VEC>;
  const int64_t row = G::row();
  if (row >= N) return;
  const int packs = C / VEC;
  const P* xr = reinterpret_cast<const P*>(x + row * C);
  float ss = 0.0f;
  for (int j = G::rank(); j < packs; j += G::size()) ss += sum_squares(xr[j]);
  const float rs = row_rstd(G::sum(ss), C, eps);
  if (G::rank() == 0) rstd[row] = rs;
  P* yr = reinterpret_cast<P*>(y + row * C);
  for (int j = G::rank(); j < packs; j += G::size()) yr[j] = normalize(xr[j], reinterpret_cast<const P*>(w)[j], rs);
}

// Block sum with one barrier: successive calls alternate between two slot arrays (parity), and a slot
// array is written again only after the next call's barrier, which every thread passes after reading it.
__device__ __forceinline__ float block_sum_alternating(float v, int parity) {
  __shared__ float part[2][32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  if (lane == 0) part[parity][warp] = v;
  __syncthreads();
  float s = 0.0f;
  for (int i = 0; i < int(blockDim.x >> 5); ++i) s += part[parity][i];
  return s;
}

// Rows [g * rows_per_group, ...) of group g = blockIdx.x; thread t owns packs t + i * blockDim.x of every
// row. gw_partial[g, c] = sum over the group's rows of gy * x * rstd;
// gx = rstd * (w*gy - x * rstd^2 * mean(w*gy*x)). The next row's x and gy are loaded before this row's
// reduction, so the loads overlap the barrier wait.
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
  const int packs = C / VEC, rank = threadIdx.x, size = blockDim.x;
  P wp[ITEMS];
  load_packs(reinterpret_cast<const P*>(w), packs, rank, size, wp);
  float acc[ITEMS][VEC] = {};
  const int64_t begin = blockIdx.x * rows_per_group;
  const int64_t end = begin + rows_per_group < N ? begin + rows_per_group : N;
  P xn[ITEMS], gn[ITEMS];  // the next row's packs
  if (begin < end) {
    load_packs(reinterpret_cast<const P*>(x + begin * C), packs, rank, size, xn);
    load_packs(reinterpret_cast<const P*>(gy + begin * C), packs, rank, size, gn);
  }
  for (int64_t row = begin; row < end; ++row) {
    P xp[ITEMS], gp[ITEMS];
#pragma unroll
    for (int i = 0; i < ITEMS; ++i) {
      xp[i] = xn[i];
      gp[i] = gn[i];
    }
    if (row + 1 < end) {
      load_packs(reinterpret_cast<const P*>(x + (row + 1) * C), packs, rank, size, xn);
      load_packs(reinterpret_cast<const P*>(gy + (row + 1) * C), packs, rank, size, gn);
    }
    float dot = 0.0f;
#pragma unroll
    for (int i = 0; i < ITEMS; ++i)
#pragma unroll
      for (int k = 0; k < VEC; ++k) dot += to_f32(wp[i].v[k]) * to_f32(gp[i].v[k]) * to_f32(xp[i].v[k]);
    dot = block_sum_alternating(dot, static_cast<int>(row & 1));
    const float rs = rstd[row];
    const float kk = static_cast<float>(static_cast<double>(dot) / C) * rs * rs;
    P* gxr = reinterpret_cast<P*>(gx + row * C);
#pragma unroll
    for (int i = 0; i < ITEMS; ++i) {
      const int j = rank + i * size;
      P out;
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const float xf = to_f32(xp[i].v[k]), gf = to_f32(gp[i].v[k]);
        out.v[k] = from_f32<T>(rs * (to_f32(wp[i].v[k]) * gf - xf * kk));
        acc[i][k] += gf * xf * rs;
      }
      if (j < packs) gxr[j] = out;
    }
  }
  float* part = gw_partial + static_cast<int64_t>(blockIdx.x) * C;
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = rank + i * size;
    if (j < packs) {
#pragma unroll
      for (int k = 0; k < VEC; ++k) part[j * VEC + k] = acc[i][k];
    }
  }
}

// Rows too long for registers, or not in packs: each row read twice; a column's gw partial is kept in
// global memory by the one thread that owns the column (no atomics).
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
    dot = block_sum_alternating(dot, static_cast<int>(row & 1));
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

// gw[c] = sum over groups of gw_partial[g, c] in a fixed order. A block of 16 columns x 64 thread rows:
// thread row y sums groups y, y + 64, ... in f64 (8 loads in flight), then thread row 0 adds the 64 sums
// in order. 16 columns per block give C / 16 blocks (144 at C = 2304), enough to cover the GPU.
constexpr int kGwCols = 16, kGwRows = 64, kGwUnroll = 8;

template <typename T>
__global__ void __launch_bounds__(kGwCols * kGwRows)
    rmsnorm_gw_kernel(const float* __restrict__ gw_partial,  // [groups, C]
                      T* __restrict__ gw,                    // [C]
                      int64_t groups, int C) {
  __shared__ double sums[kGwRows][kGwCols + 1];
  const int c = blockIdx.x * kGwCols + threadIdx.x;
  double s = 0.0;
  if (c < C) {
    for (int64_t g0 = threadIdx.y; g0 < groups; g0 += kGwUnroll * kGwRows) {
      float v[kGwUnroll];
#pragma unroll
      for (int u = 0; u < kGwUnroll; ++u) {
        const int64_t g = g0 + u * kGwRows;
        v[u] = g < groups ? gw_partial[g * C + c] : 0.0f;
      }
#pragma unroll
      for (int u = 0; u < kGwUnroll; ++u) s += v[u];
    }
  }
  sums[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && c < C) {
    double total = 0.0;
    for (int y = 0; y < kGwRows; ++y) total += sums[y][threadIdx.x];
    gw[c] = from_f32<T>(static_cast<float>(total));
  }
}

// 128-bit packs when C is a whole number of packs and every row starts 16-byte aligned.
template <typename T> bool can_pack(int64_t C, std::initializer_list<const void*> ptrs) {
  if (C % kPack16<T> != 0) return false;
  for (const void* p : ptrs)
    if (!aligned16(p)) return false;
  return true;
}

int round_up_warps(int64_t threads) { return static_cast<int>(std::max<int64_t>(32, (threads + 31) / 32 * 32)); }

// Blocks of `kernel` at `threads` threads that are resident on the whole GPU at once.
template <typename K> int64_t resident_blocks(const char* k, K kernel, int threads) {
  int device = 0, sms = 0, per_sm = 0;
  check_cuda(cudaGetDevice(&device), k, "cudaGetDevice");
  check_cuda(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), k, "cudaDeviceGetAttribute");
  check_cuda(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, 0), k, "cudaOccupancy");
  return std::max<int64_t>(1, int64_t(sms) * std::max(per_sm, 1));
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
  require(C <= INT32_MAX, k, "rows of more than 2^31 - 1 elements, x " + shape_str(x));
  if (N == 0) return;
  cudaStream_t stream = stream_of(a);
  dispatch_float(k, x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto args = std::make_tuple(x.ptr<T>(), w.ptr<T>(), y.ptr<T>(), rstd.ptr<float>(), N, static_cast<int>(C), eps);
    const unsigned warp_grid = static_cast<unsigned>((N + kWarpsPerBlock - 1) / kWarpsPerBlock);
    auto launch = [&](auto kernel, unsigned grid, int threads) {
      std::apply([&](auto... p) { kernel<<<grid, threads, 0, stream>>>(p...); }, args);
    };
    constexpr int V = kPack16<T>;
    const int64_t packs = C / V;
    bool done = false;
    if (can_pack<T>(C, {x.data, w.data, y.data})) {
      done = dispatch_items((packs + 31) / 32, WarpItems{}, [&](auto items) {
        launch(rmsnorm_forward_kernel<T, V, decltype(items)::value, true>, warp_grid, 32 * kWarpsPerBlock);
      });
      // One block per row: the fewest items per thread that keep the block within 1024 threads.
      if (!done)
        done = dispatch_items((packs + kMaxThreads - 1) / kMaxThreads, BlockItems{}, [&](auto items) {
          constexpr int I = decltype(items)::value;
          launch(rmsnorm_forward_kernel<T, V, I, false>, static_cast<unsigned>(N), round_up_warps((packs + I - 1) / I));
        });
      if (!done) launch(rmsnorm_forward_loop_kernel<T, V, false>, static_cast<unsigned>(N), kLoopThreads);
    } else if (C <= kLoopWarpMaxC) {
      launch(rmsnorm_forward_loop_kernel<T, 1, true>, warp_grid, 32 * kWarpsPerBlock);
    } else {
      launch(rmsnorm_forward_loop_kernel<T, 1, false>, static_cast<unsigned>(N), kLoopThreads);
    }
  });
  check_launch(k);
}

// inputs: x [N, C] float, w [C], rstd [N] f32, gy [N, C]; outputs: gx [N, C], gw [C]; attrs: none.
// The grid is what the GPU holds at once (a persistent grid), so gw's summation order depends on N and the
// GPU's multiprocessor count, never on scheduling: the same inputs give the same bits on one GPU.
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
  require(C <= INT32_MAX, k, "rows of more than 2^31 - 1 elements, x " + shape_str(x));
  if (C == 0) return;
  cudaStream_t stream = stream_of(a);
  dispatch_float(k, x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    // Picks the kernel and block size; the group count follows from the kernel's occupancy.
    auto run = [&](auto kernel, int threads) {
      int64_t groups = 0, rows_per_group = 0;
      if (N > 0) {
        const int64_t resident = resident_blocks(k, kernel, threads);
        rows_per_group = (N + resident - 1) / resident;
        groups = (N + rows_per_group - 1) / rows_per_group;
      }
      StreamScratch partial(k, static_cast<size_t>(std::max<int64_t>(groups, 1)) * C * sizeof(float), stream);
      if (groups > 0) {
        kernel<<<static_cast<unsigned>(groups), threads, 0, stream>>>(x.ptr<T>(), w.ptr<T>(), rstd.ptr<float>(), gy.ptr<T>(),
                                                                      gx.ptr<T>(), partial.as<float>(), N,
                                                                      static_cast<int>(C), rows_per_group);
        check_launch(k);
      }
      // With no rows, gw sums nothing: the column kernel writes zeros.
      rmsnorm_gw_kernel<T><<<static_cast<unsigned>((C + kGwCols - 1) / kGwCols), dim3(kGwCols, kGwRows), 0, stream>>>(
          partial.as<float>(), gw.ptr<T>(), groups, static_cast<int>(C));
      check_launch(k);
    };
    constexpr int V = kPack16<T>;
    const int64_t packs = C / V;
    bool done = false;
    if (can_pack<T>(C, {x.data, w.data, gy.data, gx.data}))
      done = dispatch_items((packs + kBackwardMaxThreads - 1) / kBackwardMaxThreads, BackwardItems{}, [&](auto items) {
        constexpr int I = decltype(items)::value;
        run(rmsnorm_backward_kernel<T, V, I>, round_up_warps((packs + I - 1) / I));
      });
    if (done) return;
    if (can_pack<T>(C, {x.data, w.data, gy.data, gx.data})) run(rmsnorm_backward_loop_kernel<T, V>, kLoopThreads);
    else run(rmsnorm_backward_loop_kernel<T, 1>, round_up_warps(std::min<int64_t>(C, kLoopThreads)));
  });
}

SLMKIT_REGISTER_KERNELS({{"rmsnorm_forward", rmsnorm_forward}, {"rmsnorm_backward", rmsnorm_backward}});

}  // namespace slmkit
