// Attention for Hopper (sm_90a) with wgmma and TMA: bf16 in, f32 accumulate. Forward with online softmax
// and lse saved; backward as a dQ kernel and a dK/dV kernel, deterministic like attention_mma.cuh's. Same
// Dims, layouts and lse semantics as the mma.sync kernels (forward: one split); included by attention.cu,
// which picks the forward on sm_90 for prefill (group * T > 64) and the backward on sm_90.
//
// wgmma (warpgroup MMA): the 4 warps of a warpgroup (128 threads) issue one m64nNk16 product together.
// - Accumulator D (64 x N, f32): warp w of the group owns rows 16w..16w+15; register i of a thread holds
//   row 16w + lane/4 + 8*((i/2)%2), column 8*(i/4) + 2*(lane%4) + i%2: per 8-column slice the same C
//   fragment as mma.sync m16n8k16 (attention_mma.cuh), so the softmax code reads it the same way.
// - A from registers (64 x 16 bf16): per warp the A fragment of mma.sync m16n8k16. The S accumulator of
//   16 keys (two 8-column slices) therefore becomes the A operand of O += P V after rounding to bf16,
//   with no data movement (as in the mma.sync kernel).
// - A or B from shared memory: a 64-bit descriptor (start address >> 4 in bits 0-13, leading byte offset
//   >> 4 in 16-29, stride byte offset >> 4 in 32-45, swizzle mode in 62-63, 1 = 128-byte swizzle).
//
// Shared-memory layout of every tile (Q, K, V): rows of D bf16 cut into D/64 column blocks; block c holds
// rows x 128 bytes (64 elements of each row), row r at byte r * 128, its 16-byte chunk j stored at chunk
// j ^ (r % 8). That XOR is the 128-byte swizzle of both wgmma and the tensor memory accelerator (TMA)
// (address bits 4-6 ^= bits 7-9, applied to the absolute shared address), so each block starts on a
// 1024-byte boundary (8 rows = one swizzle atom); one TMA box of 64 columns x rows fills one block.
// - K-major operands (Q as A, K as B of S = Q K^T; the inner dimension D is contiguous): 8-row groups
//   are 1024 bytes apart (stride byte offset); the leading byte offset is unused with swizzling. k-step kk
//   (16 elements = 32 bytes) starts at block kk/4, byte 32*(kk%4): the hardware swizzles the computed
//   address, so advancing the start inside the 128-byte row is exact.
// - MN-major operand (V as B of O = P V: B[key][d] with d contiguous, instruction flag trans-b = 1): the
//   8-key groups are 1024 bytes apart (stride byte offset) and the 64-column blocks of d are one block
//   (rows * 128 bytes) apart (leading byte offset); k-step kk (16 keys) starts 16 rows = 2048 bytes on.
//
// Tiles arrive by TMA (cp.async.bulk.tensor, issued by one thread) and complete on an mbarrier per
// buffer, which carries the byte count; rows past the tensor's end (keys past S) arrive as zeros.
#pragma once
#include <cuda.h>  // CUtensorMap (a type only: the launcher finds the driver function at run time)

#include "attention_mma.cuh"
#include "common/async_copy.cuh"

// The wgmma code exists only in the sm_90a device pass; elsewhere the kernel is an empty stub that the
// launcher never starts (it checks wgmma_available() first).
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define SLMKIT_WGMMA 1
#endif

namespace slmkit {
namespace attn_wgmma {

using attn_mma::bf16;
using attn_mma::Dims;

// has_wgmma: 1 in the device code built for sm_90a, 0 in every other device pass: read by the launcher with
// cudaMemcpyFromSymbol, it tells whether the module loaded for this GPU carries the wgmma kernel.
#ifdef SLMKIT_WGMMA
__device__ int has_wgmma = 1;
#else
__device__ int has_wgmma = 0;
#endif

#ifdef SLMKIT_WGMMA

__device__ __forceinline__ uint64_t descriptor(uint32_t addr, uint32_t leading, uint32_t stride) {
  return uint64_t((addr & 0x3FFFF) >> 4) | uint64_t(leading >> 4) << 16 | uint64_t(stride >> 4) << 32 | 1ull << 62;
}

__device__ __forceinline__ void wg_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wg_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
// Waits until at most n of this warpgroup's committed wgmma groups are still in flight.
template <int n> __device__ __forceinline__ void wg_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(n) : "memory");
}
// Keeps the compiler from moving reads or writes of accumulator registers across wgmma issue and wait
// (the asm statements of the wait name no registers).
template <int N> __device__ __forceinline__ void pin(float (&d)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

#define SLMKIT_ACC32                                                                                      \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, " \
  "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31}"
#define SLMKIT_ACC64                                                                                      \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, " \
  "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "  \
  "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "  \
  "%62, %63}"
#define SLMKIT_F8(i)                                                                                          \
  "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), \
      "+f"(d[i + 7])
#define SLMKIT_F32 SLMKIT_F8(0), SLMKIT_F8(8), SLMKIT_F8(16), SLMKIT_F8(24)
#define SLMKIT_F64 SLMKIT_F32, SLMKIT_F8(32), SLMKIT_F8(40), SLMKIT_F8(48), SLMKIT_F8(56)

// d (64 x N) = A B (+ d when accumulate), A and B K-major in shared memory (descriptors a, b).
template <int N> __device__ __forceinline__ void wgmma_ss(float (&d)[N / 2], uint64_t a, uint64_t b, int accumulate);
template <> __device__ __forceinline__ void wgmma_ss<64>(float (&d)[32], uint64_t a, uint64_t b, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 " SLMKIT_ACC32 ", %32, %33, p, 1, 1, 0, 0;\n}\n"
      : SLMKIT_F32
      : "l"(a), "l"(b), "r"(accumulate));
}
template <> __device__ __forceinline__ void wgmma_ss<128>(float (&d)[64], uint64_t a, uint64_t b, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " SLMKIT_ACC64 ", %64, %65, p, 1, 1, 0, 0;\n}\n"
      : SLMKIT_F64
      : "l"(a), "l"(b), "r"(accumulate));
}

// d (64 x N) += A B, A (64 x 16) from registers, B MN-major in shared memory (descriptor b, trans-b = 1).
template <int N> __device__ __forceinline__ void wgmma_rs(float (&d)[N / 2], const uint32_t (&a)[4], uint64_t b);
template <> __device__ __forceinline__ void wgmma_rs<64>(float (&d)[32], const uint32_t (&a)[4], uint64_t b) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 " SLMKIT_ACC32
      ", {%32, %33, %34, %35}, %36, p, 1, 1, 1;\n}\n"
      : SLMKIT_F32
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1));
}
template <> __device__ __forceinline__ void wgmma_rs<128>(float (&d)[64], const uint32_t (&a)[4], uint64_t b) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " SLMKIT_ACC64
      ", {%64, %65, %66, %67}, %68, p, 1, 1, 1;\n}\n"
      : SLMKIT_F64
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1));
}

#undef SLMKIT_ACC32
#undef SLMKIT_ACC64
#undef SLMKIT_F8
#undef SLMKIT_F32
#undef SLMKIT_F64

// Issues S = Q K^T for one warpgroup (64 rows of Q at q_wg, kBc keys at kt; D/16 k-steps) as one
// commit group. k-step kk reads column block kk/4 at byte 32 (kk % 4) of the 128-byte rows.
template <int D, int kBr, int kBc>
__device__ __forceinline__ void issue_qk(float (&s)[kBc / 2], uint32_t q_wg, uint32_t kt) {
  wg_fence();
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    const uint32_t blk = kk / 4, off = (kk % 4) * 32;
    wgmma_ss<kBc>(s, descriptor(q_wg + blk * kBr * 128 + off, 16, 1024),
                  descriptor(kt + blk * kBc * 128 + off, 16, 1024), kk > 0);
  }
  wg_commit();
}

// Issues O += P V as one commit group: P (the softmax numerators in s) rounded to bf16 A fragments, the
// kBc/16 k-steps 16 keys (2048 bytes) apart in the MN-major V tile at vt.
template <int D, int kBc>
__device__ __forceinline__ void issue_pv(float (&acc)[D / 2], const float (&s)[kBc / 2], uint32_t vt) {
  uint32_t p[kBc / 16][4];
#pragma unroll
  for (int kk = 0; kk < kBc / 16; ++kk) {
    p[kk][0] = pack_bf16(s[8 * kk], s[8 * kk + 1]);
    p[kk][1] = pack_bf16(s[8 * kk + 2], s[8 * kk + 3]);
    p[kk][2] = pack_bf16(s[8 * kk + 4], s[8 * kk + 5]);
    p[kk][3] = pack_bf16(s[8 * kk + 6], s[8 * kk + 7]);
  }
  pin(acc);
  wg_fence();
#pragma unroll
  for (int kk = 0; kk < kBc / 16; ++kk) wgmma_rs<D>(acc, p[kk], descriptor(vt + kk * 2048u, kBc * 128u, 1024));
  wg_commit();
}

// Online softmax of one score tile (keys s0 .. s0 + kBc) for the thread's rows lane/4 and lane/4 + 8:
// masks keys past lim when `mask`, updates the running max m (log2 units) and sum l, leaves the
// numerators p = 2^(s scale log2(e) - m) in s and the factor for the output so far in alpha. scale > 0
// (the launcher sends other scales to the SIMT kernels), so the scaled max is the raw max times scale and
// p is one FFMA and one EX2.
template <int kBc>
__device__ __forceinline__ void softmax_tile(float (&s)[kBc / 2], float (&m)[2], float (&l)[2], float (&alpha)[2],
                                             const int (&lim)[2], bool mask, int s0, int lane, float scale_log2) {
#pragma unroll
  for (int hf = 0; hf < 2; ++hf) {
    float mx = -INFINITY;
#pragma unroll
    for (int n = 0; n < kBc / 8; ++n)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        float& x = s[4 * n + 2 * hf + e];
        if (mask && s0 + n * 8 + 2 * (lane % 4) + e > lim[hf]) x = -INFINITY;
        mx = fmaxf(mx, x);
      }
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
    const float m_new = fmaxf(m[hf], mx * scale_log2);
    const float base = m_new == -INFINITY ? 0.f : m_new;  // a row with no visible key yet stays at 0
    alpha[hf] = attn_mma::ex2(m[hf] - base);
    m[hf] = m_new;
    float sum = 0.f;
#pragma unroll
    for (int n = 0; n < kBc / 8; ++n)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        float& x = s[4 * n + 2 * hf + e];
        x = attn_mma::ex2(fmaf(x, scale_log2, -base));
        sum += x;
      }
    l[hf] = l[hf] * alpha[hf] + sum;  // this thread's share; the quad is summed at the end
  }
}

template <int D> __device__ __forceinline__ void rescale(float (&acc)[D / 2], const float (&alpha)[2]) {
#pragma unroll
  for (int n = 0; n < D / 8; ++n)
#pragma unroll
    for (int e = 0; e < 4; ++e) acc[4 * n + e] *= alpha[e / 2];
}

// Writes factor times row hf (lane/4 + 8 hf of the warp's 16) of a 64 x D accumulator as bf16 to dst,
// the start of that row in global memory; lane c holds columns 8n + 2c and 8n + 2c + 1.
template <int D>
__device__ __forceinline__ void store_row(bf16* dst, const float (&acc)[D / 2], int hf, int lane, float factor) {
#pragma unroll
  for (int n = 0; n < D / 8; ++n)
    *reinterpret_cast<__nv_bfloat162*>(dst + n * 8 + 2 * (lane % 4)) =
        __floats2bfloat162_rn(acc[4 * n + 2 * hf] * factor, acc[4 * n + 2 * hf + 1] * factor);
}

// Thread 0 initialises n mbarriers of one arrival each, 8 bytes apart from bar, and makes them visible
// to the copy engine; then the block synchronises.
__device__ __forceinline__ void init_barriers(uint32_t bar, int n) {
  if (threadIdx.x == 0) {
    for (int i = 0; i < n; ++i) mbar_init(bar + 8 * i, 1);
    mbar_init_fence();
  }
  __syncthreads();
}

// Thread 0 only: key tile j (K and V, D/64 boxes of 64 columns each, kBc rows of kv head blockIdx.x)
// into ring buffer j % kStages, completing on that buffer's mbarrier.
template <int D, int kBc, int kStages>
__device__ __forceinline__ void load_kv_tile(uint32_t k_s, uint32_t v_s, uint32_t bar, const CUtensorMap& tm_k,
                                             const CUtensorMap& tm_v, int j) {
  constexpr uint32_t kTileBytes = kBc * D * 2;
  const uint32_t buf = (j % kStages) * kTileBytes, full = bar + (j % kStages) * 8;
  mbar_expect(full, 2 * kTileBytes);
#pragma unroll
  for (int c = 0; c < D / 64; ++c) {
    tma_load(k_s + buf + c * kBc * 128, tm_k, c * 64, j * kBc, int(blockIdx.x), full);
    tma_load(v_s + buf + c * kBc * 128, tm_v, c * 64, j * kBc, int(blockIdx.x), full);
  }
}

#endif  // SLMKIT_WGMMA

// Forward. Block: kWG warpgroups, kBr = 64 kWG query rows of one kv head (b, hk), rows running over the
// (query head of the group, t) pairs as in the mma.sync kernel; warpgroup w owns rows [64w, 64w + 64).
// The group's heads are adjacent in q, so the block's rows are rows q_head0 * T + r0 .. + kBr of q seen
// as [B*H*T, D] (rows past the group belong to the next heads: computed, never written).
// Keys in tiles of kBc, a ring of kStages shared-memory buffers that thread 0 fills by TMA kStages - 1
// tiles ahead, each completing on its mbarrier.
// Per tile each warpgroup computes S = Q K^T (D/16 wgmma, Q and K from shared memory), waits, runs the
// online softmax in registers, then O += P V (kBc/16 wgmma, P from registers) and waits for it, so that
// the buffer is free when the next barrier passes. The warpgroups of a block (and of the other block on
// the SM, for D 64) overlap one another's softmax with their products.
// Overlapping a warpgroup's own softmax with its products (S_j and P_{j-1} V_{j-1} issued together, the
// softmax of tile j run while P_{j-1} V_{j-1} is in flight, two score arrays) measured 3-27% slower on
// the H200 in every configuration tried (bench/NOTES-cuda-attention.md), so it is not kept.
// Shared memory: Q [kBr x D], then kStages x (K [kBc x D], V [kBc x D]), all swizzled, then kStages + 1
// mbarriers (one per buffer, one for Q), plus 1024 bytes of slack for the alignment of the first tile.
// Tensor maps (built by the launcher, 128-byte swizzle, boxes of 64 columns): tm_q over q as
// [1][B*H*T][D] with kBr-row boxes, tm_k and tm_v over k and v as [B*Hkv][S][D] with kBc-row boxes.
template <int D, int kWG, int kBc, int kStages, int kMinBlocks>
__global__ void __launch_bounds__(kWG * 128, kMinBlocks)
    attention_forward_wgmma_kernel(const __grid_constant__ CUtensorMap tm_q,  // q [B, H, T, D]
                                   const __grid_constant__ CUtensorMap tm_k,  // k [B, Hkv, S, D]
                                   const __grid_constant__ CUtensorMap tm_v,  // v [B, Hkv, S, D]
                                   bf16* __restrict__ o,                      // [B, H, T, D]
                                   float* __restrict__ lse,                   // [B, H, T]
                                   Dims g) {
#ifdef SLMKIT_WGMMA
  constexpr int kBr = 64 * kWG;
  constexpr uint32_t kQBytes = kBr * D * 2, kTileBytes = kBc * D * 2;
  extern __shared__ uint4 smem_raw[];
  const uint32_t q_s = (smem_addr(smem_raw) + 1023u) & ~1023u;
  const uint32_t k_s = q_s + kQBytes, v_s = k_s + kStages * kTileBytes;
  const uint32_t bar = v_s + kStages * kTileBytes, bar_q = bar + kStages * 8;  // mbarrier of buffer i: bar + 8 i
  const int lane = threadIdx.x % 32, wg = threadIdx.x / 128;
  const int b = blockIdx.x / g.Hkv, hk = blockIdx.x % g.Hkv;
  const int rows = g.group * g.T;
  const attn_mma::QueryBlock qb = attn_mma::query_block<kBr>(g);
  const int r0 = qb.r0, s_end = qb.s_end, s_full = qb.s_full;
  const int n_tiles = (s_end + kBc - 1) / kBc;

  const int64_t q_head0 = int64_t(b) * g.H + int64_t(hk) * g.group;  // first query head of the group
  auto row_offset = [&](int r) { return q_head0 * g.T + r; };        // row r of the block in [B*H*T]
  auto load_kv = [&](int j) { load_kv_tile<D, kBc, kStages>(k_s, v_s, bar, tm_k, tm_v, j); };
  init_barriers(bar, kStages + 1);
  // Prologue: Q and tiles 0 .. kStages - 2.
  if (threadIdx.x == 0 && n_tiles > 0) {
    mbar_expect(bar_q, kQBytes);
#pragma unroll
    for (int c = 0; c < D / 64; ++c) tma_load(q_s + c * kBr * 128, tm_q, c * 64, int(row_offset(r0)), 0, bar_q);
    for (int j = 0; j < kStages - 1 && j < n_tiles; ++j) load_kv(j);
  }

  const int m_base = wg * 64 + (threadIdx.x / 32 % 4) * 16;  // this warp's first row in the block
  float acc[D / 2];
#pragma unroll
  for (int i = 0; i < D / 2; ++i) acc[i] = 0.f;
  float m[2], l[2];
  int lim[2];  // last visible key of the thread's rows lane/4 and lane/4 + 8
#pragma unroll
  for (int hf = 0; hf < 2; ++hf) {
    m[hf] = -INFINITY;
    l[hf] = 0.f;
    const int r = r0 + m_base + lane / 4 + 8 * hf;
    lim[hf] = r < rows ? attn_mma::last_key(g, r % g.T) : -1;
  }
  const uint32_t q_wg = q_s + wg * 64 * 128;  // this warpgroup's 64 rows of Q, in every column block
  auto k_tile = [&](int j) { return k_s + (j % kStages) * kTileBytes; };
  auto v_tile = [&](int j) { return v_s + (j % kStages) * kTileBytes; };

  for (int j = 0; j < n_tiles; ++j) {
    __syncthreads();  // every warpgroup is done with tile j - 1, whose buffer is refilled next
    if (threadIdx.x == 0 && j + kStages - 1 < n_tiles) load_kv(j + kStages - 1);
    if (j == 0) mbar_wait(bar_q, 0);
    mbar_wait(bar + (j % kStages) * 8, (j / kStages) & 1);  // tile j is in
    float s[kBc / 2];
    issue_qk<D, kBr, kBc>(s, q_wg, k_tile(j));
    wg_wait<0>();
    pin(s);
    float alpha[2];
    softmax_tile<kBc>(s, m, l, alpha, lim, j * kBc + kBc > s_full, j * kBc, lane, g.scale_log2);
    rescale<D>(acc, alpha);
    issue_pv<D, kBc>(acc, s, v_tile(j));
    wg_wait<0>();
    pin(acc);
  }

  // Epilogue: rows lane/4 and lane/4 + 8 of the warp; lane c writes columns 8n + 2c, 8n + 2c + 1.
#pragma unroll
  for (int hf = 0; hf < 2; ++hf) {
    float sum = l[hf];
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    sum += __shfl_xor_sync(0xffffffffu, sum, 2);
    const int r = r0 + m_base + lane / 4 + 8 * hf;
    if (r >= rows) continue;
    const int64_t row = row_offset(r);
    const float inv = sum > 0.f ? 1.f / sum : 0.f;  // a row that saw no key: o = 0, lse = -inf
    store_row<D>(o + row * D, acc, hf, lane, inv);
    if (lane % 4 == 0) lse[row] = sum > 0.f ? (m[hf] + log2f(sum)) * attn_mma::kLn2 : -INFINITY;
  }
#endif  // SLMKIT_WGMMA
}

// Backward, dQ (deterministic, no atomics): the forward's block and tiles with one more product. Block:
// 2 warpgroups, 128 query rows of one kv head (b, hk) mapped over the group's (head, t) pairs exactly as
// in the forward (so Q and dO are rows of [B*H*T, D], one TMA box each); key tiles of kBc (K and V) in a
// ring of kStages buffers filled by TMA. Per tile each warpgroup issues S = Q K^T and dP = dO V^T
// together (both operands from shared memory), waits, forms dS = P (dP - delta) with
// P = 2^(S scale log2(e) - lse log2(e)) in registers, then dQ += dS K (dS from registers as the forward's
// P, K read MN-major like the forward's V). gq = scale dQ.
// Waiting for S alone and forming P while dP is still computed (in both backward kernels) measured
// -0.5% (D 128) to +2% (D 64) on the H200, within run-to-run noise, so the kernels wait for both.
// Tensor maps: tm_q and tm_do over [1][B*H*T][D] with 128-row boxes, tm_k and tm_v over [B*Hkv][S][D]
// with kBc-row boxes (as the forward's).
template <int D, int kBc, int kStages, int kMinBlocks>
__global__ void __launch_bounds__(256, kMinBlocks)
    attention_backward_dq_wgmma_kernel(const __grid_constant__ CUtensorMap tm_q,   // q [B, H, T, D]
                                       const __grid_constant__ CUtensorMap tm_do,  // go [B, H, T, D]
                                       const __grid_constant__ CUtensorMap tm_k,   // k [B, Hkv, S, D]
                                       const __grid_constant__ CUtensorMap tm_v,   // v [B, Hkv, S, D]
                                       const float* __restrict__ lse,              // [B, H, T]
                                       const float* __restrict__ delta,            // [B, H, T]
                                       bf16* __restrict__ gq,                      // [B, H, T, D]
                                       Dims g) {
#ifdef SLMKIT_WGMMA
  constexpr int kBr = 128;
  constexpr uint32_t kQBytes = kBr * D * 2, kTileBytes = kBc * D * 2;
  extern __shared__ uint4 smem_raw[];
  const uint32_t q_s = (smem_addr(smem_raw) + 1023u) & ~1023u;
  const uint32_t do_s = q_s + kQBytes, k_s = do_s + kQBytes, v_s = k_s + kStages * kTileBytes;
  const uint32_t bar = v_s + kStages * kTileBytes, bar_q = bar + kStages * 8;
  const int lane = threadIdx.x % 32, wg = threadIdx.x / 128;
  const int b = blockIdx.x / g.Hkv, hk = blockIdx.x % g.Hkv;
  const int rows = g.group * g.T;
  const attn_mma::QueryBlock qb = attn_mma::query_block<kBr>(g);
  const int r0 = qb.r0, s_end = qb.s_end, s_full = qb.s_full;
  const int n_tiles = (s_end + kBc - 1) / kBc;
  const int64_t q_head0 = int64_t(b) * g.H + int64_t(hk) * g.group;
  auto row_offset = [&](int r) { return q_head0 * g.T + r; };
  auto load_kv = [&](int j) { load_kv_tile<D, kBc, kStages>(k_s, v_s, bar, tm_k, tm_v, j); };
  init_barriers(bar, kStages + 1);
  if (threadIdx.x == 0 && n_tiles > 0) {
    mbar_expect(bar_q, 2 * kQBytes);
#pragma unroll
    for (int c = 0; c < D / 64; ++c) {
      tma_load(q_s + c * kBr * 128, tm_q, c * 64, int(row_offset(r0)), 0, bar_q);
      tma_load(do_s + c * kBr * 128, tm_do, c * 64, int(row_offset(r0)), 0, bar_q);
    }
    for (int j = 0; j < kStages - 1 && j < n_tiles; ++j) load_kv(j);
  }

  const int m_base = wg * 64 + (threadIdx.x / 32 % 4) * 16;
  float dq[D / 2];
#pragma unroll
  for (int i = 0; i < D / 2; ++i) dq[i] = 0.f;
  float row_lse[2], row_delta[2];  // lse in log2 units
  int lim[2];
#pragma unroll
  for (int hf = 0; hf < 2; ++hf) {
    const int r = r0 + m_base + lane / 4 + 8 * hf;
    const bool ok = r < rows;
    row_lse[hf] = ok ? lse[row_offset(r)] * attn_mma::kLog2e : INFINITY;  // rows past the group: p = 0
    row_delta[hf] = ok ? delta[row_offset(r)] : 0.f;
    lim[hf] = ok ? attn_mma::last_key(g, r % g.T) : -1;
  }
  const uint32_t q_wg = q_s + wg * 64 * 128, do_wg = do_s + wg * 64 * 128;

  for (int j = 0; j < n_tiles; ++j) {
    __syncthreads();  // tile j - 1's buffer is free
    if (threadIdx.x == 0 && j + kStages - 1 < n_tiles) load_kv(j + kStages - 1);
    if (j == 0) mbar_wait(bar_q, 0);
    mbar_wait(bar + (j % kStages) * 8, (j / kStages) & 1);
    const uint32_t kt = k_s + (j % kStages) * kTileBytes, vt = v_s + (j % kStages) * kTileBytes;
    float s[kBc / 2], dp[kBc / 2];
    issue_qk<D, kBr, kBc>(s, q_wg, kt);
    issue_qk<D, kBr, kBc>(dp, do_wg, vt);
    wg_wait<0>();
    pin(s);
    const bool mask = j * kBc + kBc > s_full;
#pragma unroll
    for (int i = 0; i < kBc / 2; ++i) {
      const int hf = (i / 2) % 2;
      float p = attn_mma::ex2(fmaf(s[i], g.scale_log2, -row_lse[hf]));
      if (mask && j * kBc + 8 * (i / 4) + 2 * (lane % 4) + i % 2 > lim[hf]) p = 0.f;
      s[i] = p;
    }
    pin(dp);
#pragma unroll
    for (int i = 0; i < kBc / 2; ++i) s[i] *= dp[i] - row_delta[(i / 2) % 2];  // dS
    issue_pv<D, kBc>(dq, s, kt);
    wg_wait<0>();
    pin(dq);
  }

#pragma unroll
  for (int hf = 0; hf < 2; ++hf) {
    const int r = r0 + m_base + lane / 4 + 8 * hf;
    if (r >= rows) continue;
    store_row<D>(gq + row_offset(r) * D, dq, hf, lane, g.scale);
  }
#endif  // SLMKIT_WGMMA
}

// Backward, dK and dV (deterministic: the group's query heads are summed inside the block). Block: 2
// warpgroups, 128 keys of one kv head (b, hk), warpgroup w owning keys [64w, 64w + 64); K and V arrive
// once by TMA. For every query head of the group and every query tile of kBq that sees the block (Q and
// dO by TMA, lse and delta by cp.async, a ring of kStages buffers): S^T = K Q^T and dP^T = V dO^T issued
// together (the forward's S = Q K^T with K in Q's place), P^T = 2^(S^T scale log2(e) - lse log2(e)) per
// query column, dV += P^T dO issued at once (P^T from registers: the accumulator of S^T is the A
// operand's layout, dO read MN-major like the forward's V), dS^T = P^T (dP^T - delta) formed while dV's
// product runs, dK += dS^T Q. gk = scale dK, gv = dV.
// Key blocks are scheduled lowest keys first: in a causal problem they see the most queries.
// Tensor maps: tm_k, tm_v over [B*Hkv][S][D] with 128-row boxes; tm_q, tm_do over [B*H][T][D] with
// kBq-row boxes (queries past T arrive as zeros and are masked).
template <int D, int kBq, int kStages, int kMinBlocks>
__global__ void __launch_bounds__(256, kMinBlocks)
    attention_backward_dkv_wgmma_kernel(const __grid_constant__ CUtensorMap tm_q,   // q [B, H, T, D]
                                        const __grid_constant__ CUtensorMap tm_do,  // go [B, H, T, D]
                                        const __grid_constant__ CUtensorMap tm_k,   // k [B, Hkv, S, D]
                                        const __grid_constant__ CUtensorMap tm_v,   // v [B, Hkv, S, D]
                                        const float* __restrict__ lse,              // [B, H, T]
                                        const float* __restrict__ delta,            // [B, H, T]
                                        bf16* __restrict__ gk,                      // [B, Hkv, S, D]
                                        bf16* __restrict__ gv,                      // [B, Hkv, S, D]
                                        Dims g) {
#ifdef SLMKIT_WGMMA
  constexpr int kBk = 128;
  constexpr uint32_t kKBytes = kBk * D * 2, kTileBytes = kBq * D * 2;
  extern __shared__ uint4 smem_raw[];
  const uint32_t k_s = (smem_addr(smem_raw) + 1023u) & ~1023u;
  const uint32_t v_s = k_s + kKBytes, q_s = v_s + kKBytes, do_s = q_s + kStages * kTileBytes;
  const uint32_t bar = do_s + kStages * kTileBytes, bar_kv = bar + kStages * 8;
  // lse and delta, [kStages][kBq] each, after the mbarriers.
  float* lse_s = reinterpret_cast<float*>(smem_raw) + (bar_kv + 8 - smem_addr(smem_raw)) / 4;
  float* delta_s = lse_s + kStages * kBq;
  const int lane = threadIdx.x % 32, wg = threadIdx.x / 128;
  const int bhk = blockIdx.x, b = bhk / g.Hkv, hk = bhk % g.Hkv;
  const int s0 = blockIdx.y * kBk;
  int64_t t_first = g.causal ? int64_t(s0) - g.kv_offset : 0;
  t_first = t_first < 0 ? 0 : t_first;
  const int q_tile0 = t_first < g.T ? int(t_first / kBq) : 0;
  const int n_qtiles = t_first < g.T ? (g.T + kBq - 1) / kBq - q_tile0 : 0;
  const int n_iters = n_qtiles * g.group;
  const int64_t head0 = int64_t(b) * g.H + int64_t(hk) * g.group;
  // Thread 0 issues the TMA part of query tile i; every thread its share of lse and delta (cp.async).
  auto load_q = [&](int i) {
    const int head = int(head0 + i / n_qtiles), t0 = (q_tile0 + i % n_qtiles) * kBq, buf = i % kStages;
    if (threadIdx.x == 0) {
      const uint32_t full = bar + buf * 8;
      mbar_expect(full, 2 * kTileBytes);
#pragma unroll
      for (int c = 0; c < D / 64; ++c) {
        tma_load(q_s + buf * kTileBytes + c * kBq * 128, tm_q, c * 64, t0, head, full);
        tma_load(do_s + buf * kTileBytes + c * kBq * 128, tm_do, c * 64, t0, head, full);
      }
    }
    for (int r = threadIdx.x; r < kBq; r += 256) {
      const bool ok = t0 + r < g.T;
      const int64_t at = int64_t(head) * g.T + t0 + r;
      cp_async_4(lse_s + buf * kBq + r, ok ? lse + at : lse, ok ? 4 : 0);
      cp_async_4(delta_s + buf * kBq + r, ok ? delta + at : delta, ok ? 4 : 0);
    }
  };
  init_barriers(bar, kStages + 1);
  if (n_iters > 0) {
    if (threadIdx.x == 0) {
      mbar_expect(bar_kv, 2 * kKBytes);
#pragma unroll
      for (int c = 0; c < D / 64; ++c) {
        tma_load(k_s + c * kBk * 128, tm_k, c * 64, s0, bhk, bar_kv);
        tma_load(v_s + c * kBk * 128, tm_v, c * 64, s0, bhk, bar_kv);
      }
    }
    for (int i = 0; i < kStages - 1; ++i) {
      if (i < n_iters) load_q(i);
      cp_async_commit();
    }
  }

  const int m_base = wg * 64 + (threadIdx.x / 32 % 4) * 16;
  float dk[D / 2], dv[D / 2];
#pragma unroll
  for (int i = 0; i < D / 2; ++i) dk[i] = 0.f, dv[i] = 0.f;
  int key[2];
#pragma unroll
  for (int hf = 0; hf < 2; ++hf) key[hf] = s0 + m_base + lane / 4 + 8 * hf;
  const uint32_t k_wg = k_s + wg * 64 * 128, v_wg = v_s + wg * 64 * 128;

  for (int i = 0; i < n_iters; ++i) {
    cp_async_wait<kStages - 2>();  // this thread's lse/delta copies of tile i are in
    __syncthreads();               // everyone's are; tile i - 1's buffers are free
    if (i + kStages - 1 < n_iters) load_q(i + kStages - 1);
    cp_async_commit();  // (possibly empty) keeps one group per tile
    if (i == 0) mbar_wait(bar_kv, 0);
    const int buf = i % kStages;
    mbar_wait(bar + buf * 8, (i / kStages) & 1);
    const int t0 = (q_tile0 + i % n_qtiles) * kBq;
    const uint32_t qt = q_s + buf * kTileBytes, dot = do_s + buf * kTileBytes;
    const float* lt = lse_s + buf * kBq;
    const float* dt = delta_s + buf * kBq;
    float st[kBq / 2], dpt[kBq / 2];
    issue_qk<D, kBk, kBq>(st, k_wg, qt);
    issue_qk<D, kBk, kBq>(dpt, v_wg, dot);
    wg_wait<0>();
    pin(st);
    const bool mask =
        t0 + kBq > g.T || s0 + kBk > g.S || (g.causal && int64_t(s0) + kBk - 1 > int64_t(t0) + g.kv_offset);
#pragma unroll
    for (int e = 0; e < kBq / 2; ++e) {
      const int tc = 8 * (e / 4) + 2 * (lane % 4) + e % 2;  // query column within the tile
      float p = attn_mma::ex2(fmaf(st[e], g.scale_log2, -lt[tc] * attn_mma::kLog2e));
      if (mask) {
        const int t = t0 + tc, s = key[(e / 2) % 2];
        if (t >= g.T || s >= g.S || (g.causal && int64_t(s) > int64_t(t) + g.kv_offset)) p = 0.f;
      }
      st[e] = p;
    }
    issue_pv<D, kBq>(dv, st, dot);
    pin(dpt);
#pragma unroll
    for (int e = 0; e < kBq / 2; ++e) st[e] *= dpt[e] - dt[8 * (e / 4) + 2 * (lane % 4) + e % 2];  // dS^T
    issue_pv<D, kBq>(dk, st, qt);
    wg_wait<0>();
    pin(dv);
    pin(dk);
  }
  cp_async_wait<0>();

#pragma unroll
  for (int hf = 0; hf < 2; ++hf) {
    const int s = key[hf];
    if (s >= g.S) continue;
    const int64_t row = int64_t(bhk) * g.S + s;
    store_row<D>(gk + row * D, dk, hf, lane, g.scale);
    store_row<D>(gv + row * D, dv, hf, lane, 1.f);
  }
#endif  // SLMKIT_WGMMA
}

}  // namespace attn_wgmma
}  // namespace slmkit
