// RMSNorm over the last dim (y = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps)): forward and backward.
// Forward: a row of up to 512 packs belongs to 1-4 warps that hold it in registers, at most 4 packs per
// lane (few registers, so many rows in flight per multiprocessor); longer rows to one block; rows too long
// for registers take a loop kernel that reads the row again from L1/L2.
// Backward: a persistent grid. Rows of up to 512 packs go one per warp, streamed through shared memory with
// cp.async (no block barrier per row); longer rows go to blocks that each own a fixed run of rows. Either
// way gw's partial sums stay in registers, and a second small kernel adds the partials.
// Rows are moved in 16-byte packs where they allow it.
#include <algorithm>
#include <tuple>
#include <type_traits>
#include <utility>

#include "common/async_copy.cuh"
#include "common/launch.cuh"
#include "common/overlap.cuh"
#include "common/reductions.cuh"
#include "common/values.cuh"
#include "slmkit/rmsnorm.h"

namespace slmkit {
namespace {

constexpr int kMaxThreads = 1024;    // one block per row (forward) or per run of rows (backward)
constexpr int kLoopThreads = 512;    // loop kernels, rows longer than the register kernels hold
constexpr int kLoopWarpMaxC = 1024;  // loop kernels: rows up to this many elements go one per warp

// Forward with a few warps per row: 1-4 warps (the fewest that hold the row at <= 4 packs per lane) and
// 1-4 packs per lane; a row of 288 bf16 packs (C = 2304) is 3 warps x 3 packs, exactly.
using GroupWarps = std::integer_sequence<int, 1, 2, 3, 4>;
// Packs per lane: a row that needs 2 or 3 warps has more than 128 packs, so 3 or 4 per lane; 4 warps, 4.
template <int WARPS>
using GroupItems =
    std::conditional_t<WARPS == 1, std::integer_sequence<int, 1, 2, 3, 4>,
                       std::conditional_t<WARPS == 4, std::integer_sequence<int, 4>, std::integer_sequence<int, 3, 4>>>;
constexpr int kGroupMaxPacks = 4 * 32 * 4;
// Rows per block of the few-warp forward: 8 warps per block, or 12 for 3-warp rows. Measured on an H200
// (bench/NOTES-cuda.md): at <= 56 registers three 12-warp blocks fit per multiprocessor; 6 or 24 warps
// per block were 8-17% slower.
constexpr int group_rows(int warps_per_row) { return warps_per_row == 3 ? 4 : 8 / warps_per_row; }
constexpr int kLoopWarpRows = 8;  // the unpacked loop kernel's rows per block, one warp each
// Packs per thread of the one-block forward, at up to 1024 threads.
using BlockItems = std::integer_sequence<int, 1, 2, 4>;
// Packs per lane of the one-warp backward, which also holds the gw sums for them (8 or 4 floats a pack).
using RingItems = std::integer_sequence<int, 1, 2, 4, 9, 16>;
constexpr int kRingWarps = 8;   // at most, per block; fewer when the rings would not fit in shared memory
constexpr int kRingStages = 2;  // rows in flight per warp: the one computed on and the next
// Packs per thread of the one-block backward (at up to 512 threads), which also holds w and the gw sums.
using BackwardItems = std::integer_sequence<int, 1, 2>;
constexpr int kBackwardMaxThreads = 512;

// Calls f(std::integral_constant<int, I>) with the smallest I of Is that is >= need; false if none is.
template <typename F, int... Is> bool dispatch_items(int64_t need, std::integer_sequence<int, Is...>, F&& f) {
  bool done = false;
  ((!done && need <= Is ? (f(std::integral_constant<int, Is>{}), done = true) : false), ...);
  return done;
}

// The threads that own one row: WARPS warps (ROWS rows per block), or the whole block when WARPS == 0.
// Thread rank() handles packs rank() + i * size().
template <int WARPS, int ROWS = 1> struct RowGroup {
  static_assert(WARPS >= 0 && ROWS >= 1 && ROWS <= 15, "named barriers 1..ROWS");
  __device__ __forceinline__ static int size() { return WARPS ? 32 * WARPS : int(blockDim.x); }
  __device__ __forceinline__ static int slot() { return WARPS ? int(threadIdx.x) / (32 * WARPS) : 0; }
  __device__ __forceinline__ static int rank() { return WARPS ? int(threadIdx.x) % (32 * WARPS) : int(threadIdx.x); }
  // Group s of block b owns row b * ROWS + s.
  __device__ __forceinline__ static int64_t row() { return int64_t(blockIdx.x) * ROWS + slot(); }
  // The group's sum, to every thread of it; called once per kernel (the slots are not reused).
  __device__ __forceinline__ static float sum(float v) {
    if constexpr (WARPS == 0) {
      return block_sum(v);
    } else if constexpr (WARPS == 1) {
      return warp_sum(v);
    } else {
      __shared__ float part[ROWS][WARPS];
      v = warp_sum(v);
      if ((threadIdx.x & 31) == 0) part[slot()][rank() >> 5] = v;
      // Barrier 1 + slot for this row's threads only (barrier 0 is __syncthreads').
      asm volatile("bar.sync %0, %1;\n" ::"r"(1 + slot()), "r"(32 * WARPS) : "memory");
      float s = 0.0f;
#pragma unroll
      for (int q = 0; q < WARPS; ++q) s += part[slot()][q];
      return s;
    }
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

// Packs are taken by value: a reference into global memory would let the compiler load it one element at
// a time (2-byte loads for bf16) instead of as one 16-byte load.
template <typename P> __device__ __forceinline__ float sum_squares(const P p) {
  float s = 0.0f;
#pragma unroll
  for (int k = 0; k < int(sizeof(p.v) / sizeof(p.v[0])); ++k) s += load(p.v[k]) * load(p.v[k]);
  return s;
}

// rstd from the row's sum of squares; the one division and square root per row are done in f64.
__device__ __forceinline__ float row_rstd(float ss, int C, double eps) {
  return static_cast<float>(1.0 / sqrt(static_cast<double>(ss) / C + eps));
}

template <typename T, int VEC>
__device__ __forceinline__ Pack<T, VEC> normalize(const Pack<T, VEC> xp, const Pack<T, VEC> wp, float rs) {
  Pack<T, VEC> out;
#pragma unroll
  for (int k = 0; k < VEC; ++k) out.v[k] = store<T>((load(xp.v[k]) * rs) * load(wp.v[k]));
  return out;
}

// Rows held in registers: ITEMS packs of VEC elements per thread of the row's group (C % VEC == 0).
// w is read after the reduction: it is 2 * C bytes shared by every row, so it comes from L1, and not
// holding it during the reduction leaves registers for more rows in flight.
template <typename T, int VEC, int ITEMS, int WARPS, int ROWS>
__global__ void __launch_bounds__(WARPS ? 32 * WARPS * ROWS : kMaxThreads)
    rmsnorm_forward_kernel(const T* __restrict__ x,   // [N, C]
                           const T* __restrict__ w,   // [C]
                           T* __restrict__ y,         // [N, C]
                           float* __restrict__ rstd,  // [N]
                           int64_t N, int C, double eps) {
  wait_for_prior_kernels();
  using G = RowGroup<WARPS, ROWS>;
  using P = Pack<T, VEC>;
  const int64_t row = G::row();
  if (row >= N) return;  // whole groups, so the group's barrier sees all of its threads
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
template <typename T, int VEC, int WARPS, int ROWS>
__global__ void rmsnorm_forward_loop_kernel(const T* __restrict__ x,   // [N, C]
                                            const T* __restrict__ w,   // [C]
                                            T* __restrict__ y,         // [N, C]
                                            float* __restrict__ rstd,  // [N]
                                            int64_t N, int C, double eps) {
  wait_for_prior_kernels();
  using G = RowGroup<WARPS, ROWS>;
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

// The backward of one pack, in two steps every backward kernel shares: pack_dot's sums over the row give
// dot = sum(w * gy * x); with kk = mean(w * gy * x) * rstd^2 (row_kk), pack_grad returns
// gx = rstd * (w * gy - x * kk) and adds gy * x * rstd (the pack's gw terms) to acc.
template <typename T, int VEC>
__device__ __forceinline__ float pack_dot(const Pack<T, VEC> xp, const Pack<T, VEC> gp, const Pack<T, VEC> wp) {
  float s = 0.0f;
#pragma unroll
  for (int k = 0; k < VEC; ++k) s += load(wp.v[k]) * load(gp.v[k]) * load(xp.v[k]);
  return s;
}

__device__ __forceinline__ float row_kk(float dot, int C, float rs) {
  return static_cast<float>(static_cast<double>(dot) / C) * rs * rs;
}

template <typename T, int VEC>
__device__ __forceinline__ Pack<T, VEC> pack_grad(const Pack<T, VEC> xp, const Pack<T, VEC> gp, const Pack<T, VEC> wp,
                                                  float rs, float kk, float (&acc)[VEC]) {
  Pack<T, VEC> out;
#pragma unroll
  for (int k = 0; k < VEC; ++k) {
    const float xf = load(xp.v[k]), gf = load(gp.v[k]);
    out.v[k] = store<T>(rs * (load(wp.v[k]) * gf - xf * kk));
    acc[k] += gf * xf * rs;
  }
  return out;
}

// Bytes of one row in a ring stage: rounded up to 128 so that every row starts a fresh 128-byte line.
template <typename T> __host__ __device__ __forceinline__ size_t ring_row_bytes(int C) {
  return (static_cast<size_t>(C) * sizeof(T) + 127) / 128 * 128;
}

// gx and the gw sums of one row whose packs (x, gy) this lane reads from shared memory at xs, gs; each
// lane owns packs lane + 32 * i. Two passes over the packs: the row's dot product, then gx.
template <typename T, int VEC, int ITEMS>
__device__ __forceinline__ void backward_row(const Pack<T, VEC>* xs, const Pack<T, VEC>* gs, const Pack<T, VEC>* ws,
                                             float rs, int C, T* gx_row, float (&acc)[ITEMS][VEC]) {
  using P = Pack<T, VEC>;
  const int lane = threadIdx.x & 31, packs = C / VEC;
  float dot = 0.0f;
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = lane + 32 * i;
    if (j < packs) dot += pack_dot(xs[j], gs[j], ws[j]);
  }
  const float kk = row_kk(warp_sum(dot), C, rs);
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = lane + 32 * i;
    if (j < packs) reinterpret_cast<P*>(gx_row)[j] = pack_grad(xs[j], gs[j], ws[j], rs, kk, acc[i]);
  }
}

// One warp per row: warp q of the grid owns rows q, q + warps in the grid, ... and copies each row's x and
// gy into a ring of kRingStages stages with cp.async, kRingStages - 1 rows ahead of the one it computes
// on. A lane copies, and later reads, only its own packs, so the warp never waits on itself; the copies
// keep loads in flight without holding registers, which the gw sums use instead. At the end the block
// adds its warps' sums in warp order: gw_partial[blockIdx.x, c]. Shared memory: the rings (warps x stages
// x {x, gy} rows), then w.
template <typename T, int VEC, int ITEMS>
__global__ void __launch_bounds__(32 * kRingWarps, 1)
    rmsnorm_backward_ring_kernel(const T* __restrict__ x,         // [N, C]
                                 const T* __restrict__ w,         // [C]
                                 const float* __restrict__ rstd,  // [N]
                                 const T* __restrict__ gy,        // [N, C]
                                 T* __restrict__ gx,              // [N, C]
                                 float* __restrict__ gw_partial,  // [gridDim.x, C]
                                 int64_t N, int C) {
  wait_for_prior_kernels();
  using P = Pack<T, VEC>;
  extern __shared__ __align__(128) unsigned char ring_smem[];
  const int warps = blockDim.x >> 5, warp = threadIdx.x >> 5, lane = threadIdx.x & 31, packs = C / VEC;
  const size_t row_bytes = ring_row_bytes<T>(C);
  unsigned char* ring = ring_smem + static_cast<size_t>(warp) * kRingStages * 2 * row_bytes;
  P* ws = reinterpret_cast<P*>(ring_smem + static_cast<size_t>(warps) * kRingStages * 2 * row_bytes);
  for (int j = threadIdx.x; j < packs; j += blockDim.x) ws[j] = reinterpret_cast<const P*>(w)[j];
  __syncthreads();
  auto xs = [&](int64_t t) { return reinterpret_cast<P*>(ring + (t % kRingStages) * 2 * row_bytes); };
  auto gs = [&](int64_t t) { return reinterpret_cast<P*>(ring + ((t % kRingStages) * 2 + 1) * row_bytes); };
  const int64_t stride = static_cast<int64_t>(gridDim.x) * warps,
                first = static_cast<int64_t>(blockIdx.x) * warps + warp;
  const int64_t count = first < N ? (N - first + stride - 1) / stride : 0;
  // The warp's t-th row into its stage; a group is committed even past the end, so that waiting for
  // "all but the newest kRingStages - 1 groups" always means "row t has landed".
  auto fetch = [&](int64_t t) {
    if (t < count) {
      const int64_t row = first + t * stride;
      const P* xr = reinterpret_cast<const P*>(x + row * C);
      const P* gr = reinterpret_cast<const P*>(gy + row * C);
#pragma unroll
      for (int i = 0; i < ITEMS; ++i) {
        const int j = lane + 32 * i;
        if (j < packs) {
          cp_async_16(xs(t) + j, xr + j);
          cp_async_16(gs(t) + j, gr + j);
        }
      }
    }
    cp_async_commit();
  };
  float acc[ITEMS][VEC] = {};
  for (int t = 0; t < kRingStages - 1; ++t) fetch(t);
  for (int64_t t = 0; t < count; ++t) {
    // Refills the stage read in row t - 1, whose values this lane has already used.
    fetch(t + kRingStages - 1);
    cp_async_wait<kRingStages - 1>();
    const int64_t row = first + t * stride;
    backward_row<T, VEC, ITEMS>(xs(t), gs(t), ws, rstd[row], C, gx + row * C, acc);
  }
  cp_async_wait<0>();
  // The rings are free now and hold the warps' sums [warps, C] (a warp's ring is at least 4 * C bytes).
  __syncthreads();
  float* sums = reinterpret_cast<float*>(ring_smem);
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = lane + 32 * i;
    if (j < packs) {
#pragma unroll
      for (int k = 0; k < VEC; ++k) sums[static_cast<size_t>(warp) * C + j * VEC + k] = acc[i][k];
    }
  }
  __syncthreads();
  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    float s = 0.0f;
    for (int q = 0; q < warps; ++q) s += sums[static_cast<size_t>(q) * C + c];
    gw_partial[static_cast<int64_t>(blockIdx.x) * C + c] = s;
  }
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
  wait_for_prior_kernels();
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
    for (int i = 0; i < ITEMS; ++i) dot += pack_dot(xp[i], gp[i], wp[i]);  // packs past the row are zero
    dot = block_sum_alternating(dot, static_cast<int>(row & 1));
    const float rs = rstd[row];
    const float kk = row_kk(dot, C, rs);
    P* gxr = reinterpret_cast<P*>(gx + row * C);
#pragma unroll
    for (int i = 0; i < ITEMS; ++i) {
      const int j = rank + i * size;
      const P out = pack_grad(xp[i], gp[i], wp[i], rs, kk, acc[i]);
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
  wait_for_prior_kernels();
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
    for (int j = threadIdx.x; j < packs; j += blockDim.x) dot += pack_dot(xr[j], gyr[j], wp[j]);
    dot = block_sum_alternating(dot, static_cast<int>(row & 1));
    const float rs = rstd[row];
    const float kk = row_kk(dot, C, rs);
    P* gxr = reinterpret_cast<P*>(gx + row * C);
    for (int j = threadIdx.x; j < packs; j += blockDim.x) {
      float acc[VEC];
#pragma unroll
      for (int k = 0; k < VEC; ++k) acc[k] = part[j * VEC + k];
      gxr[j] = pack_grad(xr[j], gyr[j], wp[j], rs, kk, acc);
#pragma unroll
      for (int k = 0; k < VEC; ++k) part[j * VEC + k] = acc[k];
    }
  }
}

// gw[c] = sum over groups of gw_partial[g, c] in a fixed order. A block of 16 columns x 64 thread rows:
// thread row y sums groups y, y + 64, ... in f64 (8 loads in flight), then thread row 0 adds the 64 sums
// in order. 16 columns per block give C / 16 blocks (144 at C = 2304), enough to cover the GPU.
constexpr int kGwCols = 16, kGwRows = 64, kGwUnroll = 8;

template <typename T>
__global__ void __launch_bounds__(kGwCols* kGwRows)
    rmsnorm_gw_kernel(const float* __restrict__ gw_partial,  // [groups, C]
                      T* __restrict__ gw,                    // [C]
                      int64_t groups, int C) {
  wait_for_prior_kernels();
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
    gw[c] = store<T>(static_cast<float>(total));
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

// Blocks of `kernel` at `threads` threads and `smem` bytes of dynamic shared memory that are resident on
// the whole GPU at once.
template <typename K> int64_t resident_blocks(const char* k, K kernel, int threads, size_t smem = 0) {
  int per_sm = 0;
  check_cuda(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, smem), k, "cudaOccupancy");
  return std::max<int64_t>(1, int64_t(device_attribute(k, cudaDevAttrMultiProcessorCount)) * std::max(per_sm, 1));
}

}  // namespace

// Arguments: slmkit/rmsnorm.h.
void rmsnorm_forward(const OpArgs& a) {
  const char* k = kRmsnormForward.name;
  const RmsnormForwardArgs r = decode_rmsnorm_forward(a);
  const TensorView &x = r.x, &w = r.w, &y = r.y, &rstd = r.rstd;
  const int64_t N = r.rows, C = r.cols;
  const double eps = r.eps;
  require(C <= INT32_MAX, k, "rows of more than 2^31 - 1 elements, x " + shape_str(x));
  if (N == 0) return;
  cudaStream_t stream = stream_of(a);
  dispatch_float(k, x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto args =
        std::make_tuple(x.ptr<T>(), w.ptr<T>(), y.ptr<T>(), rstd.ptr<float>(), N, static_cast<int>(C), eps);
    auto launch = [&](auto kernel, unsigned grid, int threads) {
      std::apply([&](auto... p) { launch_overlapped(k, kernel, grid, threads, 0, stream, p...); }, args);
    };
    auto blocks = [&](int rows) { return static_cast<unsigned>((N + rows - 1) / rows); };
    constexpr int V = kPack16<T>;
    const int64_t packs = C / V;
    bool done = false;
    if (can_pack<T>(C, {x.data, w.data, y.data})) {
      if (packs <= kGroupMaxPacks)
        dispatch_items((packs + 127) / 128, GroupWarps{}, [&](auto warps) {
          constexpr int W = decltype(warps)::value, R = group_rows(W);
          done = dispatch_items((packs + 32 * W - 1) / (32 * W), GroupItems<W>{}, [&](auto items) {
            launch(rmsnorm_forward_kernel<T, V, decltype(items)::value, W, R>, blocks(R), 32 * W * R);
          });
        });
      // One block per row: the fewest items per thread that keep the block within 1024 threads.
      if (!done)
        done = dispatch_items((packs + kMaxThreads - 1) / kMaxThreads, BlockItems{}, [&](auto items) {
          constexpr int I = decltype(items)::value;
          launch(rmsnorm_forward_kernel<T, V, I, 0, 1>, blocks(1), round_up_warps((packs + I - 1) / I));
        });
      if (!done) launch(rmsnorm_forward_loop_kernel<T, V, 0, 1>, blocks(1), kLoopThreads);
    } else if (C <= kLoopWarpMaxC) {
      launch(rmsnorm_forward_loop_kernel<T, 1, 1, kLoopWarpRows>, blocks(kLoopWarpRows), 32 * kLoopWarpRows);
    } else {
      launch(rmsnorm_forward_loop_kernel<T, 1, 0, 1>, blocks(1), kLoopThreads);
    }
  });
}

// Arguments: slmkit/rmsnorm.h.
// The grid is what the GPU holds at once (a persistent grid), so gw's summation order depends on N, C and the
// GPU (its multiprocessors and shared memory), never on scheduling: the same inputs give the same bits on one GPU.
void rmsnorm_backward(const OpArgs& a) {
  const char* k = kRmsnormBackward.name;
  const RmsnormBackwardArgs r = decode_rmsnorm_backward(a);
  const TensorView &x = r.x, &w = r.w, &rstd = r.rstd, &gy = r.gy, &gx = r.gx, &gw = r.gw;
  const int64_t N = r.rows, C = r.cols;
  require(C <= INT32_MAX, k, "rows of more than 2^31 - 1 elements, x " + shape_str(x));
  if (C == 0) return;
  cudaStream_t stream = stream_of(a);
  dispatch_float(k, x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    // gw = the sum of `groups` partial rows, in a fixed order; with no rows the column kernel writes zeros.
    auto sum_partials = [&](const StreamScratch& partial, int64_t groups) {
      launch_overlapped(k, rmsnorm_gw_kernel<T>, static_cast<unsigned>((C + kGwCols - 1) / kGwCols),
                        dim3(kGwCols, kGwRows), 0, stream, partial.as<float>(), gw.ptr<T>(), groups,
                        static_cast<int>(C));
    };
    // Row-run kernels: as many blocks as the GPU holds at once, each owning a run of rows.
    auto run_row_runs = [&](auto kernel, int threads) {
      int64_t groups = 0, rows_per_group = 0;
      if (N > 0) {
        const int64_t resident = resident_blocks(k, kernel, threads);
        rows_per_group = (N + resident - 1) / resident;
        groups = (N + rows_per_group - 1) / rows_per_group;
      }
      StreamScratch partial(k, static_cast<size_t>(std::max<int64_t>(groups, 1)) * C * sizeof(float), stream);
      if (groups > 0) {
        launch_overlapped(k, kernel, static_cast<unsigned>(groups), threads, 0, stream, x.ptr<T>(), w.ptr<T>(),
                          rstd.ptr<float>(), gy.ptr<T>(), gx.ptr<T>(), partial.as<float>(), N, static_cast<int>(C),
                          rows_per_group);
      }
      sum_partials(partial, groups);
    };
    // The one-warp ring kernel: as many warps per block as the rings fit in shared memory (at most
    // kRingWarps), as many blocks as the GPU holds, fewer when there are fewer rows than warps.
    // False when not even one warp's ring fits.
    auto run_ring = [&](auto kernel) {
      const size_t warp_bytes = kRingStages * 2 * ring_row_bytes<T>(static_cast<int>(C)), w_bytes = C * sizeof(T);
      const size_t smem_max = static_cast<size_t>(device_attribute(k, cudaDevAttrMaxSharedMemoryPerBlockOptin));
      if (smem_max < warp_bytes + w_bytes) return false;
      const int warps = static_cast<int>(std::min<size_t>(kRingWarps, (smem_max - w_bytes) / warp_bytes));
      const size_t smem = warps * warp_bytes + w_bytes;
      allow_smem(kernel, smem, k);
      const int64_t groups = std::min(resident_blocks(k, kernel, 32 * warps, smem), (N + warps - 1) / warps);
      StreamScratch partial(k, static_cast<size_t>(std::max<int64_t>(groups, 1)) * C * sizeof(float), stream);
      if (groups > 0) {
        launch_overlapped(k, kernel, static_cast<unsigned>(groups), 32 * warps, smem, stream, x.ptr<T>(), w.ptr<T>(),
                          rstd.ptr<float>(), gy.ptr<T>(), gx.ptr<T>(), partial.as<float>(), N, static_cast<int>(C));
      }
      sum_partials(partial, groups);
      return true;
    };
    constexpr int V = kPack16<T>;
    const int64_t packs = C / V;
    bool done = false;
    const bool packed = can_pack<T>(C, {x.data, w.data, gy.data, gx.data});
    if (packed)
      dispatch_items((packs + 31) / 32, RingItems{},
                     [&](auto items) { done = run_ring(rmsnorm_backward_ring_kernel<T, V, decltype(items)::value>); });
    if (packed && !done)
      done = dispatch_items((packs + kBackwardMaxThreads - 1) / kBackwardMaxThreads, BackwardItems{}, [&](auto items) {
        constexpr int I = decltype(items)::value;
        run_row_runs(rmsnorm_backward_kernel<T, V, I>, round_up_warps((packs + I - 1) / I));
      });
    if (done) return;
    if (packed) run_row_runs(rmsnorm_backward_loop_kernel<T, V>, kLoopThreads);
    else run_row_runs(rmsnorm_backward_loop_kernel<T, 1>, round_up_warps(std::min<int64_t>(C, kLoopThreads)));
  });
}

SLMKIT_REGISTER_KERNELS({{&kRmsnormForward, rmsnorm_forward}, {&kRmsnormBackward, rmsnorm_backward}});

}  // namespace slmkit
