// Tensor-core attention for bf16 and head dims 64/128 (FlashAttention-2 style, mma.sync m16n8k16, sm_80+):
// forward with online softmax and optional split-KV (+ combine), backward as a dK/dV kernel and a dQ
// kernel, both deterministic (no atomics). Included by attention.cu, whose launchers choose these kernels.
//
// Fragment layouts of mma.sync.m16n8k16 (bf16 in, f32 accumulate), with g = lane / 4 and c = lane % 4:
//   A (16x16, row-major) 4 regs of bf16x2: a0 = A[g][2c..2c+1], a1 = A[g+8][2c..], a2 = A[g][2c+8..],
//                                          a3 = A[g+8][2c+8..]
//   B (16x8, k x n)      2 regs of bf16x2: b0 = B[2c..2c+1][g], b1 = B[2c+8..2c+9][g]
//   C (16x8)             4 f32:            c0, c1 = C[g][2c], C[g][2c+1]; c2, c3 = C[g+8][2c], C[g+8][2c+1]
// ldmatrix.x4 loads four 8x8 bf16 matrices; lanes 8i..8i+7 give the row addresses of matrix i and every
// lane receives, per matrix, the pair at (row g, cols 2c..2c+1) (with .trans: (rows 2c, 2c+1; col g)).
// Hence, for a tile stored row-major in shared memory with row stride kLd:
//   A fragment at (m0, k0):          row m0 + lane%8 + 8*((lane/8)%2), col k0 + 8*(lane/16)
//   B = X^T, X stored [n][k] (K in S = Q K^T): row n0 + lane%8 + 8*(lane/16), col k0 + 8*((lane/8)%2)
//     -> regs {b0, b1} of n-tile n0 and {b0, b1} of n-tile n0 + 8
//   B = X, X stored [k][n] (V in O = P V), .trans: row k0 + lane%8 + 8*((lane/8)%2), col n0 + 8*(lane/16)
//     -> the same four registers.
// A C fragment of a 16 x 16 block (two n-tiles j = 2kk, 2kk+1) becomes an A fragment of the next product
// without data movement: a0 = pack(C_j c0, c1), a1 = pack(C_j c2, c3), a2/a3 the same from C_{j+1}.
// Shared-memory rows are padded by 16 bytes (kLd = D + 8), so the 8 row addresses of one ldmatrix matrix
// fall into 8 different 16-byte bank groups.
#pragma once
#include <cuda_bf16.h>

#include <cstdint>

#include "common/tensor_core.cuh"

namespace slmkit {
namespace attn_mma {

using bf16 = __nv_bfloat16;
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

// Sizes seen by the mma kernels. Keys per split is a multiple of the key tile.
struct Dims {
  int B, H, Hkv, T, S, group;
  float scale, scale_log2;
  bool causal;
  int64_t kv_offset;
  int split_keys;
};

// Last key (inclusive) query t may see, as an int clamped to [-1, S - 1].
__device__ __forceinline__ int last_key(const Dims& g, int t) {
  if (!g.causal) return g.S - 1;
  const int64_t e = int64_t(t) + g.kv_offset;
  return e < g.S - 1 ? int(e) : g.S - 1;
}

// The keys a block of kBr query rows needs. Rows run over (query head of the group, t); blocks are taken
// in reverse order of blockIdx.y so the heaviest (latest) causal tiles start in the first wave.
struct QueryBlock {
  int r0;      // first row of the block
  int s_end;   // no row of the block sees a key at or past s_end
  int s_full;  // every row of the block sees every key before s_full
};
template <int kBr> __device__ __forceinline__ QueryBlock query_block(const Dims& g) {
  const int rows = g.group * g.T;
  const int r0 = (gridDim.y - 1 - blockIdx.y) * kBr;
  const int r_last = min(r0 + kBr, rows) - 1;
  int t_lo = 0, t_hi = g.T - 1;  // a block spanning two heads of the group sees every t
  if (r0 / g.T == r_last / g.T) t_lo = r0 % g.T, t_hi = r_last % g.T;
  return {r0, last_key(g, t_hi) + 1, last_key(g, t_lo) + 1};
}

// 2^x by the special-function unit (flush-to-zero; ex2(-inf) = 0): the softmax exponentials, whose
// ~2 ulp f32 error is far below the bf16 rounding of P that follows.
__device__ __forceinline__ float ex2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// Lane offsets of the three ldmatrix addressing patterns above (row, col within a 16 x 16 block).
__device__ __forceinline__ int a_row(int lane) { return (lane & 7) + ((lane >> 3) & 1) * 8; }
__device__ __forceinline__ int a_col(int lane) { return (lane >> 4) * 8; }
__device__ __forceinline__ int bt_row(int lane) { return (lane & 7) + (lane >> 4) * 8; }
__device__ __forceinline__ int bt_col(int lane) { return ((lane >> 3) & 1) * 8; }
// .trans on [k][n] storage uses the A pattern (a_row, a_col).

// acc[mt][n-tile] += A[mt rows of a_s at row m_base + 16 mt][0..K) * X^T, X = x_s rows [0, kN) (stored
// [n][k]): the product of two row-major tiles sharing their inner (column) dimension K.
template <int kMT, int kN, int kK, int kLdA, int kLdX>
__device__ __forceinline__ void mma_abt(float (&acc)[kMT][kN / 8][4], const bf16* a_s, int m_base, const bf16* x_s,
                                        int lane) {
#pragma unroll
  for (int kk = 0; kk < kK / 16; ++kk) {
    uint32_t a[kMT][4];
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt)
      ldmatrix_x4(a[mt], a_s + (m_base + mt * 16 + a_row(lane)) * kLdA + kk * 16 + a_col(lane));
#pragma unroll
    for (int nb = 0; nb < kN / 16; ++nb) {
      uint32_t b[4];
      ldmatrix_x4(b, x_s + (nb * 16 + bt_row(lane)) * kLdX + kk * 16 + bt_col(lane));
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt) {
        mma_m16n8k16_bf16(acc[mt][2 * nb], a[mt], b[0], b[1]);
        mma_m16n8k16_bf16(acc[mt][2 * nb + 1], a[mt], b[2], b[3]);
      }
    }
  }
}

// acc[mt][n-tile] += P[mt] * X, P given as C fragments p[mt][kK/8][4] (rows of this warp, kK columns),
// X = x_s rows [0, kK) (stored [k][n], kN columns): the second product of attention.
template <int kMT, int kK, int kN, int kLdX>
__device__ __forceinline__ void mma_px(float (&acc)[kMT][kN / 8][4], const float (&p)[kMT][kK / 8][4], const bf16* x_s,
                                       int lane) {
#pragma unroll
  for (int kk = 0; kk < kK / 16; ++kk) {
    uint32_t a[kMT][4];
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt) {
      a[mt][0] = pack_bf16(p[mt][2 * kk][0], p[mt][2 * kk][1]);
      a[mt][1] = pack_bf16(p[mt][2 * kk][2], p[mt][2 * kk][3]);
      a[mt][2] = pack_bf16(p[mt][2 * kk + 1][0], p[mt][2 * kk + 1][1]);
      a[mt][3] = pack_bf16(p[mt][2 * kk + 1][2], p[mt][2 * kk + 1][3]);
    }
#pragma unroll
    for (int nb = 0; nb < kN / 16; ++nb) {
      uint32_t b[4];
      ldmatrix_x4_trans(b, x_s + (kk * 16 + a_row(lane)) * kLdX + nb * 16 + a_col(lane));
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt) {
        mma_m16n8k16_bf16(acc[mt][2 * nb], a[mt], b[0], b[1]);
        mma_m16n8k16_bf16(acc[mt][2 * nb + 1], a[mt], b[2], b[3]);
      }
    }
  }
}

template <int kMT, int kN> __device__ __forceinline__ void zero(float (&acc)[kMT][kN][4]) {
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int n = 0; n < kN; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[mt][n][e] = 0.f;
}

// Copies rows [0, kRows) of a tile whose row i starts at src(i) (nullptr: zero-fill) into shared memory
// with row stride kLd, 16 bytes per cp.async. `any` is a valid global address, handed to the zero-fills.
template <int kRows, int D, int kLd, int kThreads, typename RowPtr>
__device__ __forceinline__ void load_tile(bf16* dst, const bf16* any, RowPtr src) {
  constexpr int kChunks = D / 8, kTotal = kRows * kChunks;
#pragma unroll
  for (int it = 0; it < (kTotal + kThreads - 1) / kThreads; ++it) {
    const int i = int(threadIdx.x) + it * kThreads;
    if (kTotal % kThreads != 0 && i >= kTotal) break;
    const int r = i / kChunks, c = i % kChunks;
    const bf16* p = src(r);
    cp_async_16(dst + r * kLd + c * 8, p ? p + c * 8 : any, p != nullptr ? 16 : 0);
  }
}

// ------------------------------------------------------------------------------------------------------
// Forward. Block: kWarps warps, kBr = 16 * kMT * kWarps query rows of one kv head (b, hk); the rows of
// the block run over the (query head of the group, t) pairs, so a decoding step with T = 1 packs all
// query heads sharing a kv head into one tile. Warp w owns rows [16 kMT w, 16 kMT (w + 1)). Keys come in
// tiles of kBc in a ring of kStages shared-memory buffers filled by cp.async (kStages - 1 tiles ahead);
// blockIdx.z selects a split of the keys. With one split the kernel writes o (bf16) and lse; with
// several it writes f32 partial outputs (normalised within the split) and partial lse to o_part /
// lse_part, which attention_combine_kernel merges.
template <int D, int kWarps, int kMT, int kBc, int kStages>
__global__ void __launch_bounds__(kWarps * 32)
    attention_forward_mma_kernel(const bf16* __restrict__ q,    // [B, H, T, D]
                                 const bf16* __restrict__ k,    // [B, Hkv, S, D]
                                 const bf16* __restrict__ v,    // [B, Hkv, S, D]
                                 bf16* __restrict__ o,          // [B, H, T, D] (one split)
                                 float* __restrict__ lse,       // [B, H, T] (one split)
                                 float* __restrict__ o_part,    // [splits, B, H, T, D] (several splits)
                                 float* __restrict__ lse_part,  // [splits, B, H, T] (several splits)
                                 Dims g) {
  constexpr int kBr = 16 * kMT * kWarps, kLd = D + 8, kThreads = kWarps * 32;
  extern __shared__ uint4 smem_raw[];
  bf16* q_s = reinterpret_cast<bf16*>(smem_raw);
  bf16* k_s = q_s + kBr * kLd;  // [kStages][kBc][kLd]
  bf16* v_s = k_s + kStages * kBc * kLd;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int b = blockIdx.x / g.Hkv, hk = blockIdx.x % g.Hkv;
  const int rows = g.group * g.T;
  const QueryBlock qb = query_block<kBr>(g);
  const int r0 = qb.r0, s_end = qb.s_end, s_full = qb.s_full;
  const int s_begin = blockIdx.z * g.split_keys;
  const int s_stop = min(s_end, s_begin + g.split_keys);
  const int n_tiles = s_stop > s_begin ? (s_stop - s_begin + kBc - 1) / kBc : 0;

  const int64_t q_head0 = int64_t(b) * g.H + int64_t(hk) * g.group;                // first query head of the group
  auto row_offset = [&](int r) { return ((q_head0 + r / g.T) * g.T + r % g.T); };  // into [B*H*T]
  const bf16* kb = k + (int64_t(b) * g.Hkv + hk) * g.S * D;
  const bf16* vb = v + (int64_t(b) * g.Hkv + hk) * g.S * D;
  auto load_kv = [&](int j) {
    const int s0 = s_begin + j * kBc;
    bf16* kd = k_s + (j % kStages) * kBc * kLd;
    bf16* vd = v_s + (j % kStages) * kBc * kLd;
    load_tile<kBc, D, kLd, kThreads>(kd, kb, [&](int r) { return s0 + r < g.S ? kb + int64_t(s0 + r) * D : nullptr; });
    load_tile<kBc, D, kLd, kThreads>(vd, vb, [&](int r) { return s0 + r < g.S ? vb + int64_t(s0 + r) * D : nullptr; });
  };
  // Prologue: Q and tiles 0 .. kStages - 2, one commit group per tile (empty groups keep the count).
  if (n_tiles > 0)
    load_tile<kBr, D, kLd, kThreads>(q_s, q,
                                     [&](int r) { return r0 + r < rows ? q + row_offset(r0 + r) * D : nullptr; });
#pragma unroll
  for (int j = 0; j < kStages - 1; ++j) {
    if (j < n_tiles) load_kv(j);
    cp_async_commit();
  }

  const int m_base = warp * 16 * kMT;
  const bool warp_has_rows = r0 + m_base < rows;
  float acc[kMT][D / 8][4];
  zero(acc);
  float m[kMT][2], l[kMT][2];
  int lim[kMT][2];  // last visible key of the thread's rows g and g + 8 of each m-tile
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
      m[mt][hf] = -INFINITY;
      l[mt][hf] = 0.f;
      const int r = r0 + m_base + mt * 16 + lane / 4 + 8 * hf;
      lim[mt][hf] = r < rows ? last_key(g, r % g.T) : -1;
    }

  for (int j = 0; j < n_tiles; ++j) {
    cp_async_wait<kStages - 2>();  // the groups of tiles after j may still fly
    __syncthreads();               // tile j is in; every warp is done with tile j - 1, whose buffer is refilled next
    if (j + kStages - 1 < n_tiles) load_kv(j + kStages - 1);
    cp_async_commit();
    if (!warp_has_rows) continue;
    const int s0 = s_begin + j * kBc;
    const bf16* kt = k_s + (j % kStages) * kBc * kLd;
    const bf16* vt = v_s + (j % kStages) * kBc * kLd;
    float s[kMT][kBc / 8][4];
    zero(s);
    mma_abt<kMT, kBc, D, kLd, kLd>(s, q_s, m_base, kt, lane);
    const bool mask = s0 + kBc > s_full;
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt) {
#pragma unroll
      for (int hf = 0; hf < 2; ++hf) {
        // Raw scores; scale > 0 (the launcher sends other scales to the SIMT kernels), so the scaled
        // maximum is the raw maximum times scale and p = 2^(s scale log2(e) - m) is one FFMA and one EX2.
        float mx = -INFINITY;
#pragma unroll
        for (int n = 0; n < kBc / 8; ++n)
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            if (mask && s0 + n * 8 + 2 * (lane % 4) + e > lim[mt][hf]) s[mt][n][2 * hf + e] = -INFINITY;
            mx = fmaxf(mx, s[mt][n][2 * hf + e]);
          }
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
        const float m_new = fmaxf(m[mt][hf], mx * g.scale_log2);
        const float base = m_new == -INFINITY ? 0.f : m_new;  // a row with no visible key yet stays at 0
        const float alpha = ex2(m[mt][hf] - base);
        m[mt][hf] = m_new;
        float sum = 0.f;
#pragma unroll
        for (int n = 0; n < kBc / 8; ++n)
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const float p = ex2(fmaf(s[mt][n][2 * hf + e], g.scale_log2, -base));
            s[mt][n][2 * hf + e] = p;
            sum += p;
          }
        l[mt][hf] = l[mt][hf] * alpha + sum;  // this thread's share; the quad is summed at the end
#pragma unroll
        for (int n = 0; n < D / 8; ++n) {
          acc[mt][n][2 * hf] *= alpha;
          acc[mt][n][2 * hf + 1] *= alpha;
        }
      }
    }
    mma_px<kMT, kBc, D, kLd>(acc, s, vt, lane);
  }
  cp_async_wait<0>();  // nothing may still write shared memory when the block exits

  // Epilogue: rows g and g + 8 of each m-tile; lane c writes columns 8n + 2c, 8n + 2c + 1.
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
      float sum = l[mt][hf];
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      sum += __shfl_xor_sync(0xffffffffu, sum, 2);
      const int r = r0 + m_base + mt * 16 + lane / 4 + 8 * hf;
      if (r >= rows) continue;
      const int64_t row = row_offset(r);
      const float inv = sum > 0.f ? 1.f / sum : 0.f;  // a row that saw no key: o = 0, lse = -inf
      const float row_lse = sum > 0.f ? (m[mt][hf] + log2f(sum)) * kLn2 : -INFINITY;
      if (gridDim.z == 1) {
#pragma unroll
        for (int n = 0; n < D / 8; ++n) {
          const int d = n * 8 + 2 * (lane % 4);
          *reinterpret_cast<__nv_bfloat162*>(o + row * D + d) =
              __floats2bfloat162_rn(acc[mt][n][2 * hf] * inv, acc[mt][n][2 * hf + 1] * inv);
        }
        if (lane % 4 == 0) lse[row] = row_lse;
      } else {
        const int64_t rows_all = int64_t(g.B) * g.H * g.T;
        float* op = o_part + (blockIdx.z * rows_all + row) * D;
#pragma unroll
        for (int n = 0; n < D / 8; ++n) {
          const int d = n * 8 + 2 * (lane % 4);
          *reinterpret_cast<float2*>(op + d) = make_float2(acc[mt][n][2 * hf] * inv, acc[mt][n][2 * hf + 1] * inv);
        }
        if (lane % 4 == 0) lse_part[blockIdx.z * rows_all + row] = row_lse;
      }
    }
}

// Merges the splits of the forward: lse = log sum_z exp(lse_z), o = sum_z exp(lse_z - lse) o_z. One
// thread per 4 output elements of a row.
template <int D>
__global__ void attention_combine_kernel(const float* __restrict__ o_part,    // [splits, rows, D]
                                         const float* __restrict__ lse_part,  // [splits, rows]
                                         bf16* __restrict__ o,                // [rows, D]
                                         float* __restrict__ lse,             // [rows]
                                         int64_t rows, int splits) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * (D / 4)) return;
  const int64_t row = i / (D / 4);
  const int d = int(i % (D / 4)) * 4;
  float mx = -INFINITY;
  for (int z = 0; z < splits; ++z) mx = fmaxf(mx, lse_part[z * rows + row]);
  float4 sum4 = make_float4(0.f, 0.f, 0.f, 0.f);
  float wsum = 0.f;
  if (mx != -INFINITY) {
    for (int z = 0; z < splits; ++z) {
      const float w = __expf(lse_part[z * rows + row] - mx);
      const float4 x = *reinterpret_cast<const float4*>(o_part + (z * rows + row) * D + d);
      sum4.x += w * x.x, sum4.y += w * x.y, sum4.z += w * x.z, sum4.w += w * x.w;
      wsum += w;
    }
  }
  const float inv = wsum > 0.f ? 1.f / wsum : 0.f;
  *reinterpret_cast<__nv_bfloat162*>(o + row * D + d) = __floats2bfloat162_rn(sum4.x * inv, sum4.y * inv);
  *reinterpret_cast<__nv_bfloat162*>(o + row * D + d + 2) = __floats2bfloat162_rn(sum4.z * inv, sum4.w * inv);
  if (d == 0) lse[row] = wsum > 0.f ? mx + logf(wsum) : -INFINITY;
}

// ------------------------------------------------------------------------------------------------------
// Backward, dQ: one block per (b, h, kBr query rows); warp w owns rows [16 kMT w, 16 kMT (w + 1)). Walks
// the visible key tiles (double-buffered K, V): S = Q K^T, P = exp(scale S - lse), dP = dO V^T,
// dS = P (dP - delta), dQ += dS K. Recomputing S and dP here (instead of accumulating dQ with atomics in
// the dK/dV kernel) costs two more products per tile but keeps dQ deterministic.
template <int D, int kWarps, int kMT, int kBc>
__global__ void __launch_bounds__(kWarps * 32)
    attention_backward_dq_mma_kernel(const bf16* __restrict__ q,       // [B, H, T, D]
                                     const bf16* __restrict__ k,       // [B, Hkv, S, D]
                                     const bf16* __restrict__ v,       // [B, Hkv, S, D]
                                     const bf16* __restrict__ go,      // [B, H, T, D]
                                     const float* __restrict__ lse,    // [B, H, T]
                                     const float* __restrict__ delta,  // [B, H, T]
                                     bf16* __restrict__ gq,            // [B, H, T, D]
                                     Dims g) {
  constexpr int kBr = 16 * kMT * kWarps, kLd = D + 8, kThreads = kWarps * 32;
  extern __shared__ uint4 smem_raw[];
  bf16* q_s = reinterpret_cast<bf16*>(smem_raw);
  bf16* do_s = q_s + kBr * kLd;
  bf16* k_s = do_s + kBr * kLd;  // [2][kBc][kLd]
  bf16* v_s = k_s + 2 * kBc * kLd;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int bh = blockIdx.x, b = bh / g.H, hk = (bh % g.H) / g.group;
  const int t0 = (gridDim.y - 1 - blockIdx.y) * kBr;
  const int t_last = min(t0 + kBr, g.T) - 1;
  const int s_end = last_key(g, t_last) + 1;
  const int s_full = last_key(g, t0) + 1;
  const int n_tiles = (max(s_end, 0) + kBc - 1) / kBc;
  const int64_t row0 = int64_t(bh) * g.T;
  const bf16* kb = k + (int64_t(b) * g.Hkv + hk) * g.S * D;
  const bf16* vb = v + (int64_t(b) * g.Hkv + hk) * g.S * D;
  auto load_kv = [&](int j) {
    const int s0 = j * kBc;
    load_tile<kBc, D, kLd, kThreads>(k_s + (j & 1) * kBc * kLd, kb,
                                     [&](int r) { return s0 + r < g.S ? kb + int64_t(s0 + r) * D : nullptr; });
    load_tile<kBc, D, kLd, kThreads>(v_s + (j & 1) * kBc * kLd, vb,
                                     [&](int r) { return s0 + r < g.S ? vb + int64_t(s0 + r) * D : nullptr; });
  };
  load_tile<kBr, D, kLd, kThreads>(q_s, q, [&](int r) { return t0 + r < g.T ? q + (row0 + t0 + r) * D : nullptr; });
  load_tile<kBr, D, kLd, kThreads>(do_s, go, [&](int r) { return t0 + r < g.T ? go + (row0 + t0 + r) * D : nullptr; });
  if (n_tiles > 0) load_kv(0);
  cp_async_commit();

  const int m_base = warp * 16 * kMT;
  float dq[kMT][D / 8][4];
  zero(dq);
  float row_lse[kMT][2], row_delta[kMT][2];
  int lim[kMT][2];
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
      const int t = t0 + m_base + mt * 16 + lane / 4 + 8 * hf;
      const bool ok = t < g.T;
      row_lse[mt][hf] = ok ? lse[row0 + t] * kLog2e : INFINITY;  // rows past T: p = 0
      row_delta[mt][hf] = ok ? delta[row0 + t] : 0.f;
      lim[mt][hf] = ok ? last_key(g, t) : -1;
    }

  for (int j = 0; j < n_tiles; ++j) {
    cp_async_wait<0>();
    __syncthreads();
    if (j + 1 < n_tiles) {
      load_kv(j + 1);
      cp_async_commit();
    }
    const int s0 = j * kBc;
    const bf16* kt = k_s + (j & 1) * kBc * kLd;
    const bf16* vt = v_s + (j & 1) * kBc * kLd;
    float s[kMT][kBc / 8][4], dp[kMT][kBc / 8][4];
    zero(s);
    zero(dp);
    mma_abt<kMT, kBc, D, kLd, kLd>(s, q_s, m_base, kt, lane);
    mma_abt<kMT, kBc, D, kLd, kLd>(dp, do_s, m_base, vt, lane);
    const bool mask = s0 + kBc > s_full;
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
      for (int n = 0; n < kBc / 8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int hf = e / 2;
          float p = ex2(fmaf(s[mt][n][e], g.scale_log2, -row_lse[mt][hf]));
          if (mask && s0 + n * 8 + 2 * (lane % 4) + (e & 1) > lim[mt][hf]) p = 0.f;
          s[mt][n][e] = p * (dp[mt][n][e] - row_delta[mt][hf]);  // dS
        }
    mma_px<kMT, kBc, D, kLd>(dq, s, kt, lane);
  }

#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
      const int t = t0 + m_base + mt * 16 + lane / 4 + 8 * hf;
      if (t >= g.T) continue;
#pragma unroll
      for (int n = 0; n < D / 8; ++n) {
        const int d = n * 8 + 2 * (lane % 4);
        *reinterpret_cast<__nv_bfloat162*>(gq + (row0 + t) * D + d) =
            __floats2bfloat162_rn(dq[mt][n][2 * hf] * g.scale, dq[mt][n][2 * hf + 1] * g.scale);
      }
    }
}

// Backward, dK and dV: one block per (b, hk, kBk keys); warp w owns keys [16 kMT w, 16 kMT (w + 1)). For
// every query head of the group and every query tile of kBq that sees the block (Q, dO, lse, delta
// double-buffered): S^T = K Q^T, P^T = exp(scale S^T - lse), dV += P^T dO, dP^T = V dO^T,
// dS^T = P^T (dP^T - delta), dK += dS^T Q. The group's heads are summed inside the block: no atomics.
template <int D, int kWarps, int kMT, int kBq>
__global__ void __launch_bounds__(kWarps * 32)
    attention_backward_dkv_mma_kernel(const bf16* __restrict__ q,       // [B, H, T, D]
                                      const bf16* __restrict__ k,       // [B, Hkv, S, D]
                                      const bf16* __restrict__ v,       // [B, Hkv, S, D]
                                      const bf16* __restrict__ go,      // [B, H, T, D]
                                      const float* __restrict__ lse,    // [B, H, T]
                                      const float* __restrict__ delta,  // [B, H, T]
                                      bf16* __restrict__ gk,            // [B, Hkv, S, D]
                                      bf16* __restrict__ gv,            // [B, Hkv, S, D]
                                      Dims g) {
  constexpr int kBk = 16 * kMT * kWarps, kLd = D + 8, kThreads = kWarps * 32;
  extern __shared__ uint4 smem_raw[];
  bf16* k_s = reinterpret_cast<bf16*>(smem_raw);
  bf16* v_s = k_s + kBk * kLd;
  bf16* q_s = v_s + kBk * kLd;                                    // [2][kBq][kLd]
  bf16* do_s = q_s + 2 * kBq * kLd;                               // [2][kBq][kLd]
  float* lse_s = reinterpret_cast<float*>(do_s + 2 * kBq * kLd);  // [2][kBq]
  float* delta_s = lse_s + 2 * kBq;                               // [2][kBq]
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int bhk = blockIdx.x, b = bhk / g.Hkv, hk = bhk % g.Hkv;
  const int s0 = (gridDim.y - 1 - blockIdx.y) * kBk;
  // Query t sees key s when s <= t + kv_offset: the block's first key needs t >= s0 - kv_offset.
  int64_t t_first = g.causal ? int64_t(s0) - g.kv_offset : 0;
  t_first = t_first < 0 ? 0 : t_first;
  const int q_tile0 = t_first < g.T ? int(t_first / kBq) : 0;
  const int n_qtiles = t_first < g.T ? (g.T + kBq - 1) / kBq - q_tile0 : 0;
  const int n_iters = n_qtiles * g.group;
  const int64_t kv_row0 = int64_t(bhk) * g.S;
  const int64_t head0 = int64_t(b) * g.H + int64_t(hk) * g.group;

  load_tile<kBk, D, kLd, kThreads>(k_s, k, [&](int r) { return s0 + r < g.S ? k + (kv_row0 + s0 + r) * D : nullptr; });
  load_tile<kBk, D, kLd, kThreads>(v_s, v, [&](int r) { return s0 + r < g.S ? v + (kv_row0 + s0 + r) * D : nullptr; });
  auto load_q = [&](int i) {
    const int64_t row0 = (head0 + i / n_qtiles) * g.T;
    const int t0 = (q_tile0 + i % n_qtiles) * kBq;
    const int buf = i & 1;
    load_tile<kBq, D, kLd, kThreads>(q_s + buf * kBq * kLd, q,
                                     [&](int r) { return t0 + r < g.T ? q + (row0 + t0 + r) * D : nullptr; });
    load_tile<kBq, D, kLd, kThreads>(do_s + buf * kBq * kLd, go,
                                     [&](int r) { return t0 + r < g.T ? go + (row0 + t0 + r) * D : nullptr; });
    for (int r = threadIdx.x; r < kBq; r += kThreads) {
      const bool ok = t0 + r < g.T;
      cp_async_4(lse_s + buf * kBq + r, ok ? lse + row0 + t0 + r : lse, ok ? 4 : 0);
      cp_async_4(delta_s + buf * kBq + r, ok ? delta + row0 + t0 + r : delta, ok ? 4 : 0);
    }
  };
  if (n_iters > 0) load_q(0);
  cp_async_commit();

  const int m_base = warp * 16 * kMT;
  float dk[kMT][D / 8][4], dv[kMT][D / 8][4];
  zero(dk);
  zero(dv);
  int key[kMT][2];
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) key[mt][hf] = s0 + m_base + mt * 16 + lane / 4 + 8 * hf;

  for (int i = 0; i < n_iters; ++i) {
    cp_async_wait<0>();
    __syncthreads();
    if (i + 1 < n_iters) {
      load_q(i + 1);
      cp_async_commit();
    }
    const int t0 = (q_tile0 + i % n_qtiles) * kBq;
    const int buf = i & 1;
    const bf16* qt = q_s + buf * kBq * kLd;
    const bf16* dot = do_s + buf * kBq * kLd;
    const float* lt = lse_s + buf * kBq;
    const float* dt = delta_s + buf * kBq;
    float st[kMT][kBq / 8][4], dpt[kMT][kBq / 8][4];
    zero(st);
    mma_abt<kMT, kBq, D, kLd, kLd>(st, k_s, m_base, qt, lane);
    // Masked when a query of the tile is past T, a key past S, or a key past some query's causal limit.
    const bool mask =
        t0 + kBq > g.T || s0 + kBk > g.S || (g.causal && int64_t(s0) + kBk - 1 > int64_t(t0) + g.kv_offset);
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
      for (int n = 0; n < kBq / 8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int tc = n * 8 + 2 * (lane % 4) + (e & 1);  // query column within the tile
          float p = ex2(fmaf(st[mt][n][e], g.scale_log2, -lt[tc] * kLog2e));
          if (mask) {
            const int t = t0 + tc, s = key[mt][e / 2];
            if (t >= g.T || s >= g.S || (g.causal && int64_t(s) > int64_t(t) + g.kv_offset)) p = 0.f;
          }
          st[mt][n][e] = p;
        }
    mma_px<kMT, kBq, D, kLd>(dv, st, dot, lane);
    zero(dpt);
    mma_abt<kMT, kBq, D, kLd, kLd>(dpt, v_s, m_base, dot, lane);
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
      for (int n = 0; n < kBq / 8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int tc = n * 8 + 2 * (lane % 4) + (e & 1);
          st[mt][n][e] *= dpt[mt][n][e] - dt[tc];  // dS^T
        }
    mma_px<kMT, kBq, D, kLd>(dk, st, qt, lane);
  }
  cp_async_wait<0>();  // with no query tile, the K and V copies are still outstanding

#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
      const int s = key[mt][hf];
      if (s >= g.S) continue;
#pragma unroll
      for (int n = 0; n < D / 8; ++n) {
        const int d = n * 8 + 2 * (lane % 4);
        *reinterpret_cast<__nv_bfloat162*>(gk + (kv_row0 + s) * D + d) =
            __floats2bfloat162_rn(dk[mt][n][2 * hf] * g.scale, dk[mt][n][2 * hf + 1] * g.scale);
        *reinterpret_cast<__nv_bfloat162*>(gv + (kv_row0 + s) * D + d) =
            __floats2bfloat162_rn(dv[mt][n][2 * hf], dv[mt][n][2 * hf + 1]);
      }
    }
}

}  // namespace attn_mma
}  // namespace slmkit
