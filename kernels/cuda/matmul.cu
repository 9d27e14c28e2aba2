// matmul: batched strided GEMM (native/KERNELS.md) through cuBLASLt, or hand-written kernels without it.
#include <cstdint>

#include "common/async_copy.cuh"
#include "common/launch.cuh"
#include "common/tensor_core.cuh"
#include "cublaslt_gemm.h"
#include "slmkit/matmul.h"

namespace slmkit {
namespace {

// Sizes and element strides of y[Bt, M, N] = a[Bt, M, K] @ b[Bt, K, N]; y is contiguous.
struct GemmDims {
  int64_t batch, M, N, K;
  int64_t a_bs, a_sm, a_sk;  // a's batch, row and k strides (batch stride 0 = broadcast)
  int64_t b_bs, b_sk, b_sn;
};

// The grid's z dimension is capped at 65535; larger batches loop.
constexpr int64_t kMaxGridZ = 65535;

// --- bf16: tensor cores (mma.sync m16n8k16, f32 accumulate) -----------------------------------------------

// A 128x128 output tile per block of 8 warps (2 x 4, each 64x32); k advances 32 per stage, two stages
// in shared memory so that loading stage k+1 overlaps the mma of stage k. Rows are padded by 8
// elements (16 bytes): ldmatrix then reads 8 rows that start in different bank groups.
constexpr int kTileM = 128, kTileN = 128, kTileK = 32, kGemmThreads = 256;
constexpr int kALd = kTileK + 8;  // a tile [128][32] stored [m][k]
constexpr int kBLd = kTileN + 8;  // b tile [32][128] stored [k][n]

// Which 8-element chunks of a stage each thread moves: 512 chunks per operand, two per thread.
// a: chunk c -> row c / 4, k (c % 4) * 8;  b: chunk c -> k c / 16, n (c % 16) * 8.
struct StageCoords { int a_row[2], a_k[2], b_k[2], b_n[2]; };
__device__ __forceinline__ StageCoords stage_coords(int tid) {
  StageCoords s;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    int c = tid + i * kGemmThreads;
    s.a_row[i] = c / 4;
    s.a_k[i] = (c % 4) * 8;
    s.b_k[i] = c / 16;
    s.b_n[i] = (c % 16) * 8;
  }
  return s;
}

// Vectorised loading (kVec): a is k-contiguous, b n-contiguous, 16-byte aligned rows and K, N multiples
// of 8, so every chunk is one cp.async that is wholly inside or wholly outside the matrix. Otherwise
// (transposed or oddly sized operands) elements are gathered one by one into registers a stage ahead
// and stored to shared memory after the mma of the current stage.
template <bool kVec>
__global__ void __launch_bounds__(kGemmThreads)
    matmul_bf16_mma_kernel(const __nv_bfloat16* __restrict__ a,  // [Bt, M, K] strided
                           const __nv_bfloat16* __restrict__ b,  // [Bt, K, N] strided
                           __nv_bfloat16* __restrict__ y,        // [Bt, M, N] contiguous
                           GemmDims g) {
  __shared__ __align__(16) __nv_bfloat16 as[2][kTileM * kALd];
  __shared__ __align__(16) __nv_bfloat16 bs[2][kTileK * kBLd];
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
  const int warp_m = warp / 4, warp_n = warp % 4;
  const int64_t m0 = int64_t(blockIdx.x) * kTileM, n0 = int64_t(blockIdx.y) * kTileN;
  const StageCoords sc = stage_coords(tid);
  const int64_t k_tiles = (g.K + kTileK - 1) / kTileK;

  for (int64_t bt = blockIdx.z; bt < g.batch; bt += gridDim.z) {
    const __nv_bfloat16* ab = a + bt * g.a_bs;
    const __nv_bfloat16* bb = b + bt * g.b_bs;
    float acc[4][4][4] = {};
    uint4 a_reg[2], b_reg[2];  // the scalar path's next stage, 8 bf16 per chunk

    auto load_stage = [&](int64_t kt, int buf) {
      const int64_t k0 = kt * kTileK;
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        const int64_t m = m0 + sc.a_row[i], ka = k0 + sc.a_k[i];
        const int64_t kb = k0 + sc.b_k[i], n = n0 + sc.b_n[i];
        if constexpr (kVec) {
          bool a_in = m < g.M && ka < g.K, b_in = kb < g.K && n < g.N;
          cp_async_16(&as[buf][sc.a_row[i] * kALd + sc.a_k[i]], a_in ? ab + m * g.a_sm + ka : ab, a_in ? 16 : 0);
          cp_async_16(&bs[buf][sc.b_k[i] * kBLd + sc.b_n[i]], b_in ? bb + kb * g.b_sk + n : bb, b_in ? 16 : 0);
        } else {
          __align__(16) __nv_bfloat16 av[8];
          __align__(16) __nv_bfloat16 bv[8];
#pragma unroll
          for (int j = 0; j < 8; ++j) {
            av[j] = (m < g.M && ka + j < g.K) ? ab[m * g.a_sm + (ka + j) * g.a_sk] : __float2bfloat16(0.f);
            bv[j] = (kb < g.K && n + j < g.N) ? bb[kb * g.b_sk + (n + j) * g.b_sn] : __float2bfloat16(0.f);
          }
          a_reg[i] = *reinterpret_cast<uint4*>(av);
          b_reg[i] = *reinterpret_cast<uint4*>(bv);
        }
      }
      if constexpr (kVec) cp_async_commit();
    };
    auto store_stage = [&](int buf) {
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        *reinterpret_cast<uint4*>(&as[buf][sc.a_row[i] * kALd + sc.a_k[i]]) = a_reg[i];
        *reinterpret_cast<uint4*>(&bs[buf][sc.b_k[i] * kBLd + sc.b_n[i]]) = b_reg[i];
      }
    };

    load_stage(0, 0);
    if constexpr (kVec) cp_async_wait<0>();
    else store_stage(0);
    __syncthreads();
    for (int64_t kt = 0; kt < k_tiles; ++kt) {
      const int buf = int(kt & 1);
      // The other buffer was last read in stage kt-1, which every warp finished before the barrier.
      if (kt + 1 < k_tiles) load_stage(kt + 1, buf ^ 1);
#pragma unroll
      for (int ks = 0; ks < kTileK / 16; ++ks) {
        uint32_t af[4][4], bf[4][2];
#pragma unroll
        for (int mi = 0; mi < 4; ++mi)
          ldmatrix_x4(af[mi], &as[buf][(warp_m * 64 + mi * 16 + lane % 16) * kALd + ks * 16 + (lane / 16) * 8]);
#pragma unroll
        for (int pair = 0; pair < 2; ++pair) {
          uint32_t r[4];
          ldmatrix_x4_trans(
              r,
              &bs[buf][(ks * 16 + lane % 8 + ((lane / 8) % 2) * 8) * kBLd + warp_n * 32 + pair * 16 + (lane / 16) * 8]);
          bf[2 * pair][0] = r[0];
          bf[2 * pair][1] = r[1];
          bf[2 * pair + 1][0] = r[2];
          bf[2 * pair + 1][1] = r[3];
        }
#pragma unroll
        for (int mi = 0; mi < 4; ++mi)
#pragma unroll
          for (int ni = 0; ni < 4; ++ni) mma_m16n8k16_bf16(acc[mi][ni], af[mi], bf[ni][0], bf[ni][1]);
      }
      if (kt + 1 < k_tiles) {
        if constexpr (kVec) cp_async_wait<0>();
        else store_stage(buf ^ 1);
      }
      __syncthreads();
    }

    // Accumulator layout of m16n8: c0, c1 at (row lane/4, cols 2*(lane%4) + {0, 1}); c2, c3 eight rows down.
    __nv_bfloat16* yb = y + bt * g.M * g.N;
#pragma unroll
    for (int mi = 0; mi < 4; ++mi)
#pragma unroll
      for (int ni = 0; ni < 4; ++ni)
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          const int64_t m = m0 + warp_m * 64 + mi * 16 + lane / 4 + half * 8;
          const int64_t n = n0 + warp_n * 32 + ni * 8 + (lane % 4) * 2;
          if (m >= g.M) continue;
          const float v0 = acc[mi][ni][2 * half], v1 = acc[mi][ni][2 * half + 1];
          if (n + 1 < g.N && (g.N % 2) == 0) {
            *reinterpret_cast<__nv_bfloat162*>(yb + m * g.N + n) = __floats2bfloat162_rn(v0, v1);
          } else {
            if (n < g.N) yb[m * g.N + n] = __float2bfloat16(v0);
            if (n + 1 < g.N) yb[m * g.N + n + 1] = __float2bfloat16(v1);
          }
        }
  }
}

// --- f32: tiled SIMT (exact f32 FMAs, any strides) -----------------------------------------------------------

// A 64x64 tile per block of 256 threads, each computing 4x4 outputs spaced 16 apart (so that a warp's
// shared-memory reads of b are consecutive); k advances 16 per step.
constexpr int kF32Tile = 64, kF32K = 16;

__global__ void __launch_bounds__(kGemmThreads) matmul_f32_kernel(const float* __restrict__ a,  // [Bt, M, K] strided
                                                                  const float* __restrict__ b,  // [Bt, K, N] strided
                                                                  float* __restrict__ y,        // [Bt, M, N] contiguous
                                                                  GemmDims g) {
  __shared__ float as[kF32K][kF32Tile + 4];  // [k][m]
  __shared__ float bs[kF32K][kF32Tile + 4];  // [k][n]
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const int64_t m0 = int64_t(blockIdx.x) * kF32Tile, n0 = int64_t(blockIdx.y) * kF32Tile;
  for (int64_t bt = blockIdx.z; bt < g.batch; bt += gridDim.z) {
    const float* ab = a + bt * g.a_bs;
    const float* bb = b + bt * g.b_bs;
    float acc[4][4] = {};
    for (int64_t k0 = 0; k0 < g.K; k0 += kF32K) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int e = tid + i * kGemmThreads;
        const int ak = e % kF32K, am = e / kF32K;  // consecutive threads walk k: coalesced for row-major a
        const int64_t m = m0 + am, k = k0 + ak;
        as[ak][am] = (m < g.M && k < g.K) ? ab[m * g.a_sm + k * g.a_sk] : 0.f;
        const int bn = e % kF32Tile, bk = e / kF32Tile;
        const int64_t n = n0 + bn, kb = k0 + bk;
        bs[bk][bn] = (kb < g.K && n < g.N) ? bb[kb * g.b_sk + n * g.b_sn] : 0.f;
      }
      __syncthreads();
#pragma unroll
      for (int k = 0; k < kF32K; ++k) {
        float av[4], bv[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          av[i] = as[k][ty + 16 * i];
          bv[i] = bs[k][tx + 16 * i];
        }
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
      }
      __syncthreads();
    }
    float* yb = y + bt * g.M * g.N;
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int64_t m = m0 + ty + 16 * i, n = n0 + tx + 16 * j;
        if (m < g.M && n < g.N) yb[m * g.N + n] = acc[i][j];
      }
  }
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

void fallback_matmul(const TensorView& a, const TensorView& b, const TensorView& y, const GemmDims& g,
                     cudaStream_t stream) {
  const unsigned z = static_cast<unsigned>(g.batch < kMaxGridZ ? g.batch : kMaxGridZ);
  if (y.dtype == DType::f32) {
    dim3 grid(unsigned((g.M + kF32Tile - 1) / kF32Tile), unsigned((g.N + kF32Tile - 1) / kF32Tile), z);
    matmul_f32_kernel<<<grid, kGemmThreads, 0, stream>>>(a.ptr<float>(), b.ptr<float>(), y.ptr<float>(), g);
  } else {
    dim3 grid(unsigned((g.M + kTileM - 1) / kTileM), unsigned((g.N + kTileN - 1) / kTileN), z);
    const bool vec = g.a_sk == 1 && g.b_sn == 1 && g.K % 8 == 0 && g.N % 8 == 0 && g.a_sm % 8 == 0 && g.b_sk % 8 == 0 &&
                     g.a_bs % 8 == 0 && g.b_bs % 8 == 0 && aligned16(a.data) && aligned16(b.data);
    auto ap = a.ptr<__nv_bfloat16>();
    auto bp = b.ptr<__nv_bfloat16>();
    auto yp = y.ptr<__nv_bfloat16>();
    if (vec) matmul_bf16_mma_kernel<true><<<grid, kGemmThreads, 0, stream>>>(ap, bp, yp, g);
    else matmul_bf16_mma_kernel<false><<<grid, kGemmThreads, 0, stream>>>(ap, bp, yp, g);
  }
  check_launch("matmul");
}

}  // namespace

// Arguments: slmkit/matmul.h.
void matmul(const OpArgs& args) {
  const MatmulArgs m = decode_matmul(args);
  const TensorView &a = m.a, &b = m.b, &y = m.y;
  if (y.numel() == 0) return;
  cudaStream_t stream = stream_of(args);
  if (m.k == 0) {  // an empty sum
    check_cuda(cudaMemsetAsync(y.data, 0, y.numel() * dtype_size(y.dtype), stream), kMatmul.name, "cudaMemsetAsync");
    return;
  }
  if (cublaslt_matmul(m, stream)) return;
  const GemmDims g{m.batch,      m.m,          m.n,          m.k,          a.strides[0],
                   a.strides[1], a.strides[2], b.strides[0], b.strides[1], b.strides[2]};
  fallback_matmul(a, b, y, g, stream);
}

SLMKIT_REGISTER_KERNELS({{&kMatmul, matmul}});

}  // namespace slmkit
