// Scaled dot-product attention with GQA, causal masking and a key offset: flash-style forward (online
// softmax, no T×S matrix) and a backward that recomputes probabilities from lse (native/KERNELS.md).
//
// bf16 with D = 64 or 128 and scale > 0 runs the tensor-core kernels of attention_mma.cuh
// (FlashAttention-2 style, split-KV for decoding); on Hopper (sm_90, with the sm_90a code of this build)
// the prefill forward and the backward run the wgmma + TMA kernels of attention_wgmma.cuh instead. Every
// other case (f32, other head dims) runs the SIMT kernels below: a warp owns a few query (or key) rows;
// lane j scores key (or query) j of a 32-row tile held in shared memory, and lane l accumulates output
// elements d = l + 32c.
// Variants for tests and benchmarks, read on every call: SLMKIT_ATTENTION=simt forces the SIMT kernels,
// SLMKIT_ATTENTION=mma the mma.sync kernels (no wgmma), SLMKIT_ATTENTION_BWD=mma the mma.sync backward;
// SLMKIT_ATTENTION_SPLITS=n forces n key splits in the tensor-core forward; SLMKIT_ATTENTION_TILES=alt
// picks the other tile shapes of the forward and of the mma.sync backward; SLMKIT_ATTENTION_DQ=atomic
// accumulates dQ with f32 atomics (mma.sync backward).
// Deterministic by default: gk and gv are summed over the query heads sharing a kv head inside one block
// and dQ has its own kernel, no atomics.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include <cudaTypedefs.h>

#include "attention_mma.cuh"
#include "attention_select.h"
#include "attention_wgmma.cuh"
#include "launch.cuh"
#include "slmkit/attention.h"

namespace slmkit {
namespace {

constexpr int kWarps = 4;           // per block
constexpr int kRowsPerWarp = 4;     // rows a warp owns: 16 rows per block
constexpr int kBlockRows = kWarps * kRowsPerWarp;
constexpr int kTile = 32;           // keys (forward, gq) or queries (gk/gv) per shared-memory tile
constexpr int kMaxD = 128;          // D <= 32 * kChunks, kChunks <= 4
constexpr float kNegInf = -INFINITY;

struct AttnDims {
  int64_t B, H, Hkv, T, S, D;
  float scale;
  bool causal;
  int64_t kv_offset;
};

template <typename T> __device__ __forceinline__ float to_f(T x) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __bfloat162float(x);
  else return x;
}
template <typename T> __device__ __forceinline__ T from_f(float x) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __float2bfloat16_rn(x);
  else return x;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Row stride of tiles that lane j reads row j of: odd for even D, so the 32 lanes hit 32 banks.
__host__ __device__ __forceinline__ int64_t padded(int64_t D) { return D | 1; }

// Copies rows [r0, r0 + rows) of a [n, D] matrix into shared memory as f32 with row stride ld; rows
// past n become zeros.
template <typename T>
__device__ void load_rows(float* dst, int64_t ld, const T* src, int64_t r0, int rows, int64_t n, int64_t D) {
  for (int64_t i = threadIdx.x; i < int64_t(rows) * D; i += blockDim.x) {
    const int64_t r = i / D, d = i % D;
    dst[r * ld + d] = r0 + r < n ? to_f(src[(r0 + r) * D + d]) : 0.f;
  }
}

// Last key (exclusive end) any of queries [t0, t1) may see.
__device__ __forceinline__ int64_t key_end(const AttnDims& g, int64_t t_last) {
  if (!g.causal) return g.S;
  const int64_t end = t_last + g.kv_offset + 1;
  return end < 0 ? 0 : (end < g.S ? end : g.S);
}

__device__ __forceinline__ bool visible(const AttnDims& g, int64_t t, int64_t s) {
  return s < g.S && t < g.T && (!g.causal || s <= t + g.kv_offset);
}

// One block per (b, h, 16 query rows). Shared: q [16][D], k [32][D|1], v [32][D].
template <typename T, int kChunks>
__global__ void __launch_bounds__(kWarps * 32)
    attention_forward_kernel(const T* __restrict__ q,  // [B, H, T, D]
                             const T* __restrict__ k,  // [B, Hkv, S, D]
                             const T* __restrict__ v,  // [B, Hkv, S, D]
                             T* __restrict__ o,        // [B, H, T, D]
                             float* __restrict__ lse,  // [B, H, T]
                             AttnDims g) {
  extern __shared__ float smem[];
  const int64_t D = g.D, kld = padded(D);
  float* q_s = smem;
  float* k_s = q_s + kBlockRows * D;
  float* v_s = k_s + kTile * kld;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t q_tiles = (g.T + kBlockRows - 1) / kBlockRows;
  const int64_t bh = blockIdx.x / q_tiles, t0 = (blockIdx.x % q_tiles) * kBlockRows;
  const int64_t b = bh / g.H, h = bh % g.H, hk = h / (g.H / g.Hkv);
  const T* qb = q + bh * g.T * D;
  const T* kb = k + (b * g.Hkv + hk) * g.S * D;
  const T* vb = v + (b * g.Hkv + hk) * g.S * D;
  load_rows(q_s, D, qb, t0, kBlockRows, g.T, D);

  float m[kRowsPerWarp], l[kRowsPerWarp], acc[kRowsPerWarp][kChunks];
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    m[r] = kNegInf;
    l[r] = 0.f;
#pragma unroll
    for (int c = 0; c < kChunks; ++c) acc[r][c] = 0.f;
  }
  const int64_t s_end = key_end(g, (t0 + kBlockRows < g.T ? t0 + kBlockRows : g.T) - 1);
  for (int64_t s0 = 0; s0 < s_end; s0 += kTile) {
    __syncthreads();  // the previous tile is no longer read (and q_s is written, on the first pass)
    load_rows(k_s, kld, kb, s0, kTile, g.S, D);
    load_rows(v_s, D, vb, s0, kTile, g.S, D);
    __syncthreads();
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
      const int row = warp * kRowsPerWarp + r;
      const int64_t t = t0 + row;
      const bool vis = visible(g, t, s0 + lane);
      float score = kNegInf;
      if (vis) {
        float dot = 0.f;
        for (int64_t d = 0; d < D; ++d) dot = fmaf(q_s[row * D + d], k_s[lane * kld + d], dot);
        score = dot * g.scale;
      }
      const float m_new = fmaxf(m[r], warp_max(score));
      if (m_new == kNegInf) continue;  // no visible key yet for this row (uniform across the warp)
      const float alpha = __expf(m[r] - m_new);  // 0 when m was -inf
      const float p = vis ? __expf(score - m_new) : 0.f;
      l[r] = l[r] * alpha + warp_sum(p);
      m[r] = m_new;
#pragma unroll
      for (int c = 0; c < kChunks; ++c) acc[r][c] *= alpha;
      for (int j = 0; j < kTile; ++j) {
        const float pj = __shfl_sync(0xffffffffu, p, j);
#pragma unroll
        for (int c = 0; c < kChunks; ++c) {
          const int64_t d = lane + 32 * c;
          if (d < D) acc[r][c] = fmaf(pj, v_s[j * D + d], acc[r][c]);
        }
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    const int64_t t = t0 + warp * kRowsPerWarp + r;
    if (t >= g.T) continue;
    const float inv = l[r] > 0.f ? 1.f / l[r] : 0.f;  // a row that saw no key: o = 0, lse = -inf
#pragma unroll
    for (int c = 0; c < kChunks; ++c) {
      const int64_t d = lane + 32 * c;
      if (d < D) o[(bh * g.T + t) * D + d] = from_f<T>(acc[r][c] * inv);
    }
    if (lane == 0) lse[bh * g.T + t] = l[r] > 0.f ? m[r] + logf(l[r]) : kNegInf;
  }
}

// delta[row] = sum_d go[row, d] * o[row, d] (f32), one warp per row.
template <typename T>
__global__ void attention_delta_kernel(const T* __restrict__ o,   // [rows, D]
                                       const T* __restrict__ go,  // [rows, D]
                                       float* __restrict__ delta, // [rows]
                                       int64_t rows, int64_t D) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = int64_t(gridDim.x) * (blockDim.x / 32);
  for (int64_t row = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32; row < rows; row += warps) {
    float s = 0.f;
    for (int64_t d = lane; d < D; d += 32) s = fmaf(to_f(go[row * D + d]), to_f(o[row * D + d]), s);
    s = warp_sum(s);
    if (lane == 0) delta[row] = s;
  }
}

// gq: one block per (b, h, 16 query rows), walking the keys as the forward does.
// Shared: q [16][D], go [16][D], k [32][D|1], v [32][D|1].
template <typename T, int kChunks>
__global__ void __launch_bounds__(kWarps * 32)
    attention_backward_q_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                                const T* __restrict__ go,        // [B, H, T, D]
                                const float* __restrict__ lse,   // [B, H, T]
                                const float* __restrict__ delta, // [B, H, T]
                                T* __restrict__ gq,              // [B, H, T, D]
                                AttnDims g) {
  extern __shared__ float smem[];
  const int64_t D = g.D, kld = padded(D);
  float* q_s = smem;
  float* go_s = q_s + kBlockRows * D;
  float* k_s = go_s + kBlockRows * D;
  float* v_s = k_s + kTile * kld;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t q_tiles = (g.T + kBlockRows - 1) / kBlockRows;
  const int64_t bh = blockIdx.x / q_tiles, t0 = (blockIdx.x % q_tiles) * kBlockRows;
  const int64_t b = bh / g.H, h = bh % g.H, hk = h / (g.H / g.Hkv);
  const T* kb = k + (b * g.Hkv + hk) * g.S * D;
  const T* vb = v + (b * g.Hkv + hk) * g.S * D;
  load_rows(q_s, D, q + bh * g.T * D, t0, kBlockRows, g.T, D);
  load_rows(go_s, D, go + bh * g.T * D, t0, kBlockRows, g.T, D);
  float row_lse[kRowsPerWarp], row_delta[kRowsPerWarp], acc[kRowsPerWarp][kChunks] = {};
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    const int64_t t = t0 + warp * kRowsPerWarp + r;
    row_lse[r] = t < g.T ? lse[bh * g.T + t] : 0.f;
    row_delta[r] = t < g.T ? delta[bh * g.T + t] : 0.f;
  }
  const int64_t s_end = key_end(g, (t0 + kBlockRows < g.T ? t0 + kBlockRows : g.T) - 1);
  for (int64_t s0 = 0; s0 < s_end; s0 += kTile) {
    __syncthreads();
    load_rows(k_s, kld, kb, s0, kTile, g.S, D);
    load_rows(v_s, kld, vb, s0, kTile, g.S, D);
    __syncthreads();
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
      const int row = warp * kRowsPerWarp + r;
      const bool vis = visible(g, t0 + row, s0 + lane);
      float ds = 0.f;
      if (vis) {
        float qk = 0.f, dp = 0.f;
        for (int64_t d = 0; d < D; ++d) {
          qk = fmaf(q_s[row * D + d], k_s[lane * kld + d], qk);
          dp = fmaf(go_s[row * D + d], v_s[lane * kld + d], dp);
        }
        const float p = __expf(qk * g.scale - row_lse[r]);
        ds = p * (dp - row_delta[r]);
      }
      for (int j = 0; j < kTile; ++j) {
        const float dsj = __shfl_sync(0xffffffffu, ds, j);
#pragma unroll
        for (int c = 0; c < kChunks; ++c) {
          const int64_t d = lane + 32 * c;
          if (d < D) acc[r][c] = fmaf(dsj, k_s[j * kld + d], acc[r][c]);
        }
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    const int64_t t = t0 + warp * kRowsPerWarp + r;
    if (t >= g.T) continue;
#pragma unroll
    for (int c = 0; c < kChunks; ++c) {
      const int64_t d = lane + 32 * c;
      if (d < D) gq[(bh * g.T + t) * D + d] = from_f<T>(acc[r][c] * g.scale);
    }
  }
}

// gk, gv: one block per (b, kv head, 16 key rows), looping over the H/Hkv query heads that share the kv
// head and over their visible queries in tiles of 32. Shared: k [16][D], v [16][D], q [32][D|1],
// go [32][D|1], lse [32], delta [32].
template <typename T, int kChunks>
__global__ void __launch_bounds__(kWarps * 32)
    attention_backward_kv_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                                 const T* __restrict__ go, const float* __restrict__ lse,
                                 const float* __restrict__ delta,
                                 T* __restrict__ gk,  // [B, Hkv, S, D]
                                 T* __restrict__ gv,  // [B, Hkv, S, D]
                                 AttnDims g) {
  extern __shared__ float smem[];
  const int64_t D = g.D, qld = padded(D);
  float* k_s = smem;
  float* v_s = k_s + kBlockRows * D;
  float* q_s = v_s + kBlockRows * D;
  float* go_s = q_s + kTile * qld;
  float* lse_s = go_s + kTile * qld;
  float* delta_s = lse_s + kTile;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t k_tiles = (g.S + kBlockRows - 1) / kBlockRows;
  const int64_t bhk = blockIdx.x / k_tiles, s0 = (blockIdx.x % k_tiles) * kBlockRows;
  const int64_t b = bhk / g.Hkv, hk = bhk % g.Hkv, group = g.H / g.Hkv;
  load_rows(k_s, D, k + bhk * g.S * D, s0, kBlockRows, g.S, D);
  load_rows(v_s, D, v + bhk * g.S * D, s0, kBlockRows, g.S, D);
  float acc_k[kRowsPerWarp][kChunks] = {}, acc_v[kRowsPerWarp][kChunks] = {};
  // Query t sees key s when s <= t + kv_offset: the block's first key needs t >= s0 - kv_offset.
  int64_t t_begin = g.causal ? s0 - g.kv_offset : 0;
  t_begin = t_begin < 0 ? 0 : t_begin / kTile * kTile;
  for (int64_t h = hk * group; h < (hk + 1) * group; ++h) {
    const int64_t bh = b * g.H + h;
    for (int64_t t0 = t_begin; t0 < g.T; t0 += kTile) {
      __syncthreads();
      load_rows(q_s, qld, q + bh * g.T * D, t0, kTile, g.T, D);
      load_rows(go_s, qld, go + bh * g.T * D, t0, kTile, g.T, D);
      if (threadIdx.x < kTile) {
        const int64_t t = t0 + threadIdx.x;
        lse_s[threadIdx.x] = t < g.T ? lse[bh * g.T + t] : 0.f;
        delta_s[threadIdx.x] = t < g.T ? delta[bh * g.T + t] : 0.f;
      }
      __syncthreads();
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) {
        const int row = warp * kRowsPerWarp + r;
        const bool vis = visible(g, t0 + lane, s0 + row);
        float p = 0.f, ds = 0.f;
        if (vis) {
          float qk = 0.f, dp = 0.f;
          for (int64_t d = 0; d < D; ++d) {
            qk = fmaf(q_s[lane * qld + d], k_s[row * D + d], qk);
            dp = fmaf(go_s[lane * qld + d], v_s[row * D + d], dp);
          }
          p = __expf(qk * g.scale - lse_s[lane]);
          ds = p * (dp - delta_s[lane]);
        }
        for (int j = 0; j < kTile; ++j) {
          const float pj = __shfl_sync(0xffffffffu, p, j);
          const float dsj = __shfl_sync(0xffffffffu, ds, j);
#pragma unroll
          for (int c = 0; c < kChunks; ++c) {
            const int64_t d = lane + 32 * c;
            if (d < D) {
              acc_v[r][c] = fmaf(pj, go_s[j * qld + d], acc_v[r][c]);
              acc_k[r][c] = fmaf(dsj, q_s[j * qld + d], acc_k[r][c]);
            }
          }
        }
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    const int64_t s = s0 + warp * kRowsPerWarp + r;
    if (s >= g.S) continue;
#pragma unroll
    for (int c = 0; c < kChunks; ++c) {
      const int64_t d = lane + 32 * c;
      if (d < D) {
        gk[(bhk * g.S + s) * D + d] = from_f<T>(acc_k[r][c] * g.scale);
        gv[(bhk * g.S + s) * D + d] = from_f<T>(acc_v[r][c]);
      }
    }
  }
}

// --- launchers ----------------------------------------------------------------------------------------

void check_lse(const char* kernel, const TensorView& lse, const AttnDims& g) {
  if (lse.ndim != 3 || lse.shape[0] != g.B || lse.shape[1] != g.H || lse.shape[2] != g.T ||
      lse.dtype != DType::f32 || !lse.is_contiguous())
    throw KernelError(std::string(kernel) + ": lse must be a contiguous f32 [B, H, T] = [" + std::to_string(g.B) + ", " +
                      std::to_string(g.H) + ", " + std::to_string(g.T) + "], got " + shape_str(lse) + " " +
                      dtype_name(lse.dtype));
}

// Checks q, k, v and the attrs shared by both kernels; returns the sizes.
AttnDims check_attention(const char* kernel, const OpArgs& a) {
  const TensorView &q = a.inputs[0], &k = a.inputs[1], &v = a.inputs[2];
  if (q.ndim != 4 || k.ndim != 4 || q.shape[0] != k.shape[0] || q.shape[3] != k.shape[3])
    throw KernelError(std::string(kernel) + ": expected q [B, H, T, D] and k [B, Hkv, S, D], got q " + shape_str(q) +
                      ", k " + shape_str(k));
  if (q.dtype != DType::f32 && q.dtype != DType::bf16)
    throw KernelError(std::string(kernel) + ": q must be f32 or bf16, got " + dtype_name(q.dtype));
  if (!q.is_contiguous()) throw KernelError(std::string(kernel) + ": q " + shape_str(q) + " must be contiguous");
  if (k.dtype != q.dtype || !k.is_contiguous())
    throw KernelError(std::string(kernel) + ": k " + shape_str(k) + " must be contiguous " + dtype_name(q.dtype));
  check_like(kernel, "v", v, "k", k);
  AttnDims g{q.shape[0], q.shape[1], k.shape[1], q.shape[2], k.shape[2], q.shape[3], 0.f, false, 0};
  if (g.Hkv == 0 ? g.H != 0 : g.H % g.Hkv != 0)
    throw KernelError(std::string(kernel) + ": Hkv = " + std::to_string(g.Hkv) + " must divide H = " +
                      std::to_string(g.H));
  if (g.D > kMaxD)
    throw KernelError(std::string(kernel) + ": head dim D = " + std::to_string(g.D) +
                      " is not supported on CUDA (at most " + std::to_string(kMaxD) + ")");
  const double causal = a.attrs[1], offset = a.attrs[2];
  if (!(offset >= 0) || offset != std::floor(offset))
    throw KernelError(std::string(kernel) + ": kv_offset must be a whole number >= 0, got " + std::to_string(offset));
  g.scale = static_cast<float>(a.attrs[0]);
  g.causal = causal != 0;
  g.kv_offset = static_cast<int64_t>(offset);
  return g;
}

// Calls f(TypeTag<T>, std::integral_constant<int, kChunks>) for the dtype and the smallest chunk count
// covering D.
template <typename F> void dispatch_attention(DType dtype, int64_t D, F&& f) {
  auto by_chunks = [&](auto tag) {
    if (D <= 32) f(tag, std::integral_constant<int, 1>{});
    else if (D <= 64) f(tag, std::integral_constant<int, 2>{});
    else f(tag, std::integral_constant<int, 4>{});
  };
  if (dtype == DType::f32) by_chunks(TypeTag<float>{});
  else by_chunks(TypeTag<__nv_bfloat16>{});
}

unsigned blocks_for(int64_t n, const char* kernel) {
  if (n > INT32_MAX) throw KernelError(std::string(kernel) + ": too many blocks (" + std::to_string(n) + ")");
  return static_cast<unsigned>(n);
}

// --- tensor-core path (bf16, D 64 or 128) ----------------------------------------------------------------

bool use_mma(const TensorView& q, const AttnDims& g) {
  if (q.dtype != DType::bf16 || (g.D != 64 && g.D != 128) || !(g.scale > 0.f)) return false;
  return !env_is("SLMKIT_ATTENTION", "simt");
}

// The driver's cuTensorMapEncodeTiled (TMA descriptors), found at run time: cudart is linked statically
// and the driver library is not linked at all. nullptr where the driver lacks it.
PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder() {
  static const PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void* p = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &found) != cudaSuccess ||
        found != cudaDriverEntryPointSuccess) {
      cudaGetLastError();
      p = nullptr;
    }
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(p);
  }();
  return fn;
}

// TMA descriptor of a contiguous bf16 tensor seen as [outer][rows][D], read in boxes of 64 columns x
// box_rows rows into the 128-byte-swizzled layout of attention_wgmma.cuh; rows past the end read as 0.
CUtensorMap tile_map(const void* base, int64_t outer, int64_t rows, int64_t D, int box_rows, const char* name) {
  CUtensorMap map;
  const cuuint64_t dims[3] = {cuuint64_t(D), cuuint64_t(rows), cuuint64_t(outer)};
  const cuuint64_t strides[2] = {cuuint64_t(D) * 2, cuuint64_t(rows * D) * 2};  // bytes, of dims 1 and 2
  const cuuint32_t box[3] = {64, cuuint32_t(box_rows), 1};
  const cuuint32_t steps[3] = {1, 1, 1};
  const CUresult r = tensor_map_encoder()(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 3, const_cast<void*>(base), dims, strides,
                                          box, steps, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                                          CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS)
    throw KernelError(std::string(name) + ": cuTensorMapEncodeTiled failed (" + std::to_string(int(r)) + ")");
  return map;
}

// Whether the current GPU runs the wgmma forward: an sm_90 device whose loaded module is the sm_90a SASS
// of this build (attn_wgmma::has_wgmma is 1 only there; a PTX JIT of compute_90 or another GPU reads 0).
// Asked once per device (a synchronous read of one int), then cached.
bool wgmma_available() {
  constexpr int kMaxDevices = 64;
  static int cached[kMaxDevices] = {};  // 0 unknown, 1 yes, 2 no
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || dev < 0 || dev >= kMaxDevices) {
    cudaGetLastError();
    return false;
  }
  if (cached[dev] == 0) {
    int major = 0, minor = 0, has = 0;
    const bool ok = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) == cudaSuccess &&
                    cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) == cudaSuccess &&
                    major == 9 && minor == 0 &&
                    cudaMemcpyFromSymbol(&has, attn_wgmma::has_wgmma, sizeof(int)) == cudaSuccess;
    cudaGetLastError();
    cached[dev] = ok && has == 1 && tensor_map_encoder() ? 1 : 2;
  }
  return cached[dev] == 1;
}

attn_mma::Dims mma_dims(const AttnDims& g, int64_t max_int, const char* kernel) {
  if (g.B * g.H > INT32_MAX || g.T > max_int || g.S > max_int || (g.H / g.Hkv) * g.T > max_int)
    throw KernelError(std::string(kernel) + ": sizes too large for the tensor-core kernels");
  attn_mma::Dims d{};
  d.B = int(g.B), d.H = int(g.H), d.Hkv = int(g.Hkv), d.T = int(g.T), d.S = int(g.S);
  d.group = int(g.H / g.Hkv);
  d.scale = g.scale;
  d.scale_log2 = g.scale * attn_mma::kLog2e;
  d.causal = g.causal;
  d.kv_offset = g.kv_offset;
  d.split_keys = int(g.S);
  return d;
}

// Key splits for the forward: only when the (b, kv head, row tile) blocks cannot fill the GPU and each
// split still gets >= kMinSplitKeys keys (decoding: few query rows against a long cache).
int forward_splits(int64_t blocks, int64_t keys, const char* name) {
  constexpr int64_t kMinSplitKeys = 256;
  if (const char* env = std::getenv("SLMKIT_ATTENTION_SPLITS")) {
    const long n = std::strtol(env, nullptr, 10);
    if (n >= 1) return int(std::min<long>(n, 1024));
  }
  const int64_t sms = device_attribute(name, cudaDevAttrMultiProcessorCount);
  if (blocks >= sms || keys < 2 * kMinSplitKeys) return 1;
  const int64_t want = (2 * sms + blocks - 1) / blocks;
  return int(std::max<int64_t>(1, std::min<int64_t>({want, keys / kMinSplitKeys, 128})));
}

template <int D, int kWarps, int kMT, int kBc, int kStages>
void launch_forward_mma(const OpArgs& a, const AttnDims& g, const char* name) {
  using attn_mma::bf16;
  constexpr int kBr = 16 * kMT * kWarps, kLd = D + 8;
  attn_mma::Dims d = mma_dims(g, INT32_MAX - 2 * kBr, name);
  cudaStream_t stream = stream_of(a);
  const int64_t rows = int64_t(d.group) * d.T;
  const int64_t row_tiles = (rows + kBr - 1) / kBr;
  if (row_tiles > 65535) throw KernelError(std::string(name) + ": too many query rows per kv head");
  // Keys any block may need: all S (causal rows stop earlier; splits past a block's end are empty).
  const int64_t keys = g.causal ? std::min<int64_t>(g.S, g.T + g.kv_offset) : g.S;
  int splits = forward_splits(int64_t(d.B) * d.Hkv * row_tiles, keys, name);
  if (keys == 0) splits = 1;
  int64_t chunk = (std::max<int64_t>(keys, 1) + splits - 1) / splits;
  chunk = (chunk + kBc - 1) / kBc * kBc;
  splits = int((std::max<int64_t>(keys, 1) + chunk - 1) / chunk);
  d.split_keys = int(std::min<int64_t>(chunk, INT32_MAX - kBc));
  auto kernel = attn_mma::attention_forward_mma_kernel<D, kWarps, kMT, kBc, kStages>;
  const size_t smem = sizeof(bf16) * size_t(kBr + 2 * kStages * kBc) * kLd;
  allow_smem(kernel, smem, name);
  const dim3 grid(blocks_for(int64_t(d.B) * d.Hkv, name), unsigned(row_tiles), unsigned(splits));
  const bf16 *q = a.inputs[0].ptr<bf16>(), *k = a.inputs[1].ptr<bf16>(), *v = a.inputs[2].ptr<bf16>();
  bf16* o = a.outputs[0].ptr<bf16>();
  float* lse = a.outputs[1].ptr<float>();
  if (splits == 1) {
    kernel<<<grid, kWarps * 32, smem, stream>>>(q, k, v, o, lse, nullptr, nullptr, d);
    check_launch(name);
    return;
  }
  const int64_t out_rows = g.B * g.H * g.T;
  float* part = nullptr;
  check_cuda(cudaMallocAsync(reinterpret_cast<void**>(&part), sizeof(float) * size_t(splits) * out_rows * (D + 1), stream),
             name, "cudaMallocAsync");
  float* lse_part = part + size_t(splits) * out_rows * D;
  kernel<<<grid, kWarps * 32, smem, stream>>>(q, k, v, o, lse, part, lse_part, d);
  check_launch(name);
  attn_mma::attention_combine_kernel<D><<<blocks_for((out_rows * (D / 4) + 255) / 256, name), 256, 0, stream>>>(
      part, lse_part, o, lse, out_rows, splits);
  check_launch(name);
  check_cuda(cudaFreeAsync(part, stream), name, "cudaFreeAsync");
}

// SLMKIT_ATTENTION_TILES=alt selects the other key-tile width of each prefill kernel (benchmarks).
bool alt_tiles() { return env_is("SLMKIT_ATTENTION_TILES", "alt"); }

// The wgmma forward: prefill (more than 64 query rows per kv head) on a GPU that runs it, unless
// SLMKIT_ATTENTION=mma, and only when the mma.sync launcher would not split the keys (the wgmma kernel
// has no split-KV path: few long sequences keep the mma.sync kernel and its splits).
bool use_wgmma(const AttnDims& g, const char* name) {
  // TMA coordinates are int32: q's rows are addressed as one [B*H*T] range.
  if (env_is("SLMKIT_ATTENTION", "mma") || g.B * g.H * g.T > INT32_MAX || !wgmma_available()) return false;
  const int64_t rows = (g.H / g.Hkv) * g.T, blocks = g.B * g.Hkv * ((rows + 127) / 128);
  const int64_t keys = g.causal ? std::min<int64_t>(g.S, g.T + g.kv_offset) : g.S;
  return forward_splits(blocks, keys, name) == 1;
}

template <int D, int kWG, int kBc, int kStages, int kMinBlocks>
void launch_forward_wgmma(const OpArgs& a, const AttnDims& g, const char* name) {
  using attn_mma::bf16;
  constexpr int kBr = 64 * kWG;
  const attn_mma::Dims d = mma_dims(g, INT32_MAX - 2 * kBr, name);
  const int64_t row_tiles = (int64_t(d.group) * d.T + kBr - 1) / kBr;
  if (row_tiles > 65535) throw KernelError(std::string(name) + ": too many query rows per kv head");
  auto kernel = attn_wgmma::attention_forward_wgmma_kernel<D, kWG, kBc, kStages, kMinBlocks>;
  // Tiles, kStages + 1 mbarriers, and slack for aligning the first tile to 1024 bytes.
  const size_t smem = sizeof(bf16) * size_t(kBr + 2 * kStages * kBc) * D + 8 * (kStages + 1) + 1024;
  allow_smem(kernel, smem, name);
  const CUtensorMap tm_q = tile_map(a.inputs[0].data, 1, g.B * g.H * g.T, D, kBr, name);
  const CUtensorMap tm_k = tile_map(a.inputs[1].data, g.B * g.Hkv, g.S, D, kBc, name);
  const CUtensorMap tm_v = tile_map(a.inputs[2].data, g.B * g.Hkv, g.S, D, kBc, name);
  const dim3 grid(blocks_for(int64_t(d.B) * d.Hkv, name), unsigned(row_tiles));
  kernel<<<grid, kWG * 128, smem, stream_of(a)>>>(tm_q, tm_k, tm_v, a.outputs[0].ptr<bf16>(), a.outputs[1].ptr<float>(), d);
  check_launch(name);
}

// Two warpgroups (128 query rows) per block, 128-key tiles (measured on the H200,
// bench/NOTES-cuda-attention.md). D 64: two buffers, two blocks per SM (128 registers, 16 bytes of
// spill); alt: 64-key tiles, two blocks per SM, 7-10% slower. D 128: two buffers, one block per SM
// (160 KB of shared memory, 162 registers); alt: three buffers, the same speed within noise.
void attention_forward_wgmma(const OpArgs& a, const AttnDims& g, const char* name, bool alt) {
  if (g.D == 64) {
    if (alt) launch_forward_wgmma<64, 2, 64, 2, 2>(a, g, name);
    else launch_forward_wgmma<64, 2, 128, 2, 2>(a, g, name);
  } else {
    if (alt) launch_forward_wgmma<128, 2, 128, 3, 1>(a, g, name);
    else launch_forward_wgmma<128, 2, 128, 2, 1>(a, g, name);
  }
}

// Tiles: 4 warps of 2 x 16 query rows (128 rows), keys in tiles of 64, double-buffered. For D 128 the
// 64-key tile spills a few bytes at 255 registers and the 32-key one (alt) does not, yet 64 measured 6%
// faster on an H200 (bench/NOTES-cuda-attention.md). alt for D 64: three key buffers, which measured no
// faster. Decoding (all query rows of a kv head fit 64 rows): 64-row tiles and key splits that fill the
// GPU; D 128 keeps two buffers there (three would leave one block per SM: 25% slower, measured).
void attention_forward_mma(const OpArgs& a, const AttnDims& g, const char* name) {
  const bool small = (g.H / g.Hkv) * g.T <= 64, alt = alt_tiles();
  if (!small && use_wgmma(g, name)) {
    attention_forward_wgmma(a, g, name, alt);
    return;
  }
  if (g.D == 64) {
    if (small) launch_forward_mma<64, 4, 1, 64, 3>(a, g, name);
    else if (alt) launch_forward_mma<64, 4, 2, 64, 3>(a, g, name);
    else launch_forward_mma<64, 4, 2, 64, 2>(a, g, name);
  } else {
    if (small) launch_forward_mma<128, 4, 1, 64, 2>(a, g, name);
    else if (alt) launch_forward_mma<128, 4, 2, 32, 2>(a, g, name);
    else launch_forward_mma<128, 4, 2, 64, 2>(a, g, name);
  }
}

// SLMKIT_ATTENTION_DQ=atomic: dQ accumulated with f32 atomics inside the dK/dV kernel (faster, not
// bit-reproducible between runs); otherwise the separate deterministic dQ kernel.
bool atomic_dq() { return env_is("SLMKIT_ATTENTION_DQ", "atomic"); }

template <int D, int kWarpsQ, int kMTQ, int kBcQ, int kWarpsKV, int kMTKV, int kBqKV>
void launch_backward_mma(const OpArgs& a, const AttnDims& g, const float* delta, const char* name) {
  using attn_mma::bf16;
  constexpr int kLd = D + 8;
  constexpr int kBr = 16 * kMTQ * kWarpsQ, kBk = 16 * kMTKV * kWarpsKV;
  const attn_mma::Dims d = mma_dims(g, INT32_MAX - 2 * std::max(kBr, kBk), name);
  cudaStream_t stream = stream_of(a);
  const int64_t q_tiles = (g.T + kBr - 1) / kBr, k_tiles = (g.S + kBk - 1) / kBk;
  if (q_tiles > 65535 || k_tiles > 65535) throw KernelError(std::string(name) + ": sequence too long");
  const bf16 *q = a.inputs[0].ptr<bf16>(), *k = a.inputs[1].ptr<bf16>(), *v = a.inputs[2].ptr<bf16>();
  const bf16* go = a.inputs[5].ptr<bf16>();
  const float* lse = a.inputs[4].ptr<float>();
  bf16* gq = a.outputs[0].ptr<bf16>();
  const dim3 kv_grid(blocks_for(g.B * g.Hkv, name), unsigned(k_tiles));
  const size_t smem_kv = sizeof(bf16) * size_t(2 * kBk + 4 * kBqKV) * kLd + sizeof(float) * 4 * kBqKV;
  if (atomic_dq()) {
    const int64_t n = g.B * g.H * g.T * D;
    float* dq_acc = nullptr;
    check_cuda(cudaMallocAsync(reinterpret_cast<void**>(&dq_acc), sizeof(float) * n, stream), name, "cudaMallocAsync");
    check_cuda(cudaMemsetAsync(dq_acc, 0, sizeof(float) * n, stream), name, "cudaMemsetAsync");
    auto kv_kernel = attn_mma::attention_backward_dkv_mma_kernel<D, kWarpsKV, kMTKV, kBqKV, true>;
    const size_t smem = smem_kv + sizeof(bf16) * size_t(kBk) * (kBqKV + 8);
    allow_smem(kv_kernel, smem, name);
    kv_kernel<<<kv_grid, kWarpsKV * 32, smem, stream>>>(q, k, v, go, lse, delta, a.outputs[1].ptr<bf16>(),
                                                         a.outputs[2].ptr<bf16>(), dq_acc, d);
    check_launch(name);
    attn_mma::attention_dq_convert_kernel<<<grid_for(n / 4), kBlockThreads, 0, stream>>>(dq_acc, gq, n / 4, g.scale);
    check_launch(name);
    check_cuda(cudaFreeAsync(dq_acc, stream), name, "cudaFreeAsync");
    return;
  }
  auto dq_kernel = attn_mma::attention_backward_dq_mma_kernel<D, kWarpsQ, kMTQ, kBcQ>;
  const size_t smem_q = sizeof(bf16) * size_t(2 * kBr + 4 * kBcQ) * kLd;
  allow_smem(dq_kernel, smem_q, name);
  dq_kernel<<<dim3(blocks_for(g.B * g.H, name), unsigned(q_tiles)), kWarpsQ * 32, smem_q, stream>>>(
      q, k, v, go, lse, delta, gq, d);
  check_launch(name);
  auto kv_kernel = attn_mma::attention_backward_dkv_mma_kernel<D, kWarpsKV, kMTKV, kBqKV, false>;
  allow_smem(kv_kernel, smem_kv, name);
  kv_kernel<<<kv_grid, kWarpsKV * 32, smem_kv, stream>>>(q, k, v, go, lse, delta, a.outputs[1].ptr<bf16>(),
                                                          a.outputs[2].ptr<bf16>(), nullptr, d);
  check_launch(name);
}

// SLMKIT_ATTENTION_BWD=mma (or SLMKIT_ATTENTION=mma, or SLMKIT_ATTENTION_DQ=atomic) keeps the mma.sync
// backward on Hopper (benchmarks, tests).
bool use_wgmma_backward(const AttnDims& g) {
  return !env_is("SLMKIT_ATTENTION", "mma") && !env_is("SLMKIT_ATTENTION_BWD", "mma") && !atomic_dq() &&
         g.B * g.H * g.T <= INT32_MAX && wgmma_available();
}

// The wgmma backward (attention_wgmma.cuh): the dQ kernel (128 query rows, kBcQ-key tiles, kStagesQ
// buffers, kMinQ blocks per SM), then the dK/dV kernel (128 keys, kBqKV-query tiles, kStagesKV buffers).
template <int D, int kBcQ, int kStagesQ, int kMinQ, int kBqKV, int kStagesKV, int kMinKV>
void launch_backward_wgmma(const OpArgs& a, const AttnDims& g, const float* delta, const char* name) {
  using attn_mma::bf16;
  const attn_mma::Dims d = mma_dims(g, INT32_MAX - 256, name);
  cudaStream_t stream = stream_of(a);
  const float* lse = a.inputs[4].ptr<float>();
  const int64_t row_tiles = (int64_t(d.group) * d.T + 127) / 128, key_tiles = (g.S + 127) / 128;
  if (row_tiles > 65535 || key_tiles > 65535) throw KernelError(std::string(name) + ": sequence too long");
  const void *q = a.inputs[0].data, *k = a.inputs[1].data, *v = a.inputs[2].data, *go = a.inputs[5].data;
  {
    auto kernel = attn_wgmma::attention_backward_dq_wgmma_kernel<D, kBcQ, kStagesQ, kMinQ>;
    const size_t smem = sizeof(bf16) * size_t(2 * 128 + 2 * kStagesQ * kBcQ) * D + 8 * (kStagesQ + 1) + 1024;
    allow_smem(kernel, smem, name);
    const CUtensorMap tm_q = tile_map(q, 1, g.B * g.H * g.T, D, 128, name);
    const CUtensorMap tm_do = tile_map(go, 1, g.B * g.H * g.T, D, 128, name);
    const CUtensorMap tm_k = tile_map(k, g.B * g.Hkv, g.S, D, kBcQ, name);
    const CUtensorMap tm_v = tile_map(v, g.B * g.Hkv, g.S, D, kBcQ, name);
    kernel<<<dim3(blocks_for(g.B * g.Hkv, name), unsigned(row_tiles)), 256, smem, stream>>>(
        tm_q, tm_do, tm_k, tm_v, lse, delta, a.outputs[0].ptr<bf16>(), d);
    check_launch(name);
  }
  auto kernel = attn_wgmma::attention_backward_dkv_wgmma_kernel<D, kBqKV, kStagesKV, kMinKV>;
  const size_t smem = sizeof(bf16) * size_t(2 * 128 + 2 * kStagesKV * kBqKV) * D + 8 * (kStagesKV + 1) +
                      sizeof(float) * 2 * kStagesKV * kBqKV + 1024;
  allow_smem(kernel, smem, name);
  const CUtensorMap tm_q = tile_map(q, g.B * g.H, g.T, D, kBqKV, name);
  const CUtensorMap tm_do = tile_map(go, g.B * g.H, g.T, D, kBqKV, name);
  const CUtensorMap tm_k = tile_map(k, g.B * g.Hkv, g.S, D, 128, name);
  const CUtensorMap tm_v = tile_map(v, g.B * g.Hkv, g.S, D, 128, name);
  kernel<<<dim3(blocks_for(g.B * g.Hkv, name), unsigned(key_tiles)), 256, smem, stream>>>(
      tm_q, tm_do, tm_k, tm_v, lse, delta, a.outputs[1].ptr<bf16>(), a.outputs[2].ptr<bf16>(), d);
  check_launch(name);
}

// dQ: 128 query rows x 32 keys (D 64), 64 x 64 (D 128); dK/dV: 128 keys x 32 queries (D 64), 64 x 32
// (D 128); all within 255 registers without spills. alt: dK/dV with 8 warps of 16 keys (128 keys), so
// that twice the keys share each Q/dO tile, and for D 128 dQ with 2 x 16 rows per warp (128 x 32), so
// that each K/V fragment read from shared memory feeds two products.
void attention_backward_mma(const OpArgs& a, const AttnDims& g, const float* delta, const char* name) {
  const bool alt = alt_tiles();
  if (use_wgmma_backward(g)) {
    // D 64: dQ with 64-key tiles at two blocks per SM (122 registers), dK/dV with 128-query tiles (240
    // registers); D 128: 64-key and 64-query tiles, one block per SM (154 and 229 registers). Measured on
    // the H200 (bench/NOTES-cuda-attention.md, version 8): for D 64 7-12% faster forward+backward than
    // 128-key dQ tiles (1 block/SM) with 64-query dK/dV tiles; for D 128, 128-key dQ tiles and three
    // buffers for both kernels were the same within noise.
    if (g.D == 64) launch_backward_wgmma<64, 64, 2, 2, 128, 2, 1>(a, g, delta, name);
    else launch_backward_wgmma<128, 64, 2, 1, 64, 2, 1>(a, g, delta, name);
    return;
  }
  if (g.D == 64) {
    if (alt) launch_backward_mma<64, 4, 2, 32, 8, 1, 32>(a, g, delta, name);
    else launch_backward_mma<64, 4, 2, 32, 4, 2, 32>(a, g, delta, name);
  } else {
    if (alt) launch_backward_mma<128, 4, 2, 32, 8, 1, 32>(a, g, delta, name);
    else launch_backward_mma<128, 4, 1, 64, 4, 1, 32>(a, g, delta, name);
  }
}

}  // namespace

bool attention_wgmma_available() { return wgmma_available(); }

// inputs: q [B, H, T, D], k [B, Hkv, S, D], v [B, Hkv, S, D] (contiguous, one float dtype);
// outputs: o [B, H, T, D], lse [B, H, T] f32; attrs: scale, causal (0/1), kv_offset.
void attention_forward(const OpArgs& a) {
  const char* name = "attention_forward";
  check_counts(name, a, 3, 2, 3);
  const AttnDims g = check_attention(name, a);
  check_like(name, "o", a.outputs[0], "q", a.inputs[0]);
  check_lse(name, a.outputs[1], g);
  if (g.B * g.H * g.T == 0) return;
  if (use_mma(a.inputs[0], g)) {
    attention_forward_mma(a, g, name);
    return;
  }
  const int64_t rows = (g.T + kBlockRows - 1) / kBlockRows;
  const unsigned blocks = blocks_for(g.B * g.H * rows, name);
  const size_t smem = sizeof(float) * size_t(kBlockRows * g.D + kTile * padded(g.D) + kTile * g.D);
  cudaStream_t stream = stream_of(a);
  dispatch_attention(a.inputs[0].dtype, g.D, [&](auto tag, auto chunks) {
    using T = typename decltype(tag)::type;
    auto kernel = attention_forward_kernel<T, decltype(chunks)::value>;
    allow_smem(kernel, smem, name);
    kernel<<<blocks, kWarps * 32, smem, stream>>>(a.inputs[0].ptr<T>(), a.inputs[1].ptr<T>(), a.inputs[2].ptr<T>(),
                                                   a.outputs[0].ptr<T>(), a.outputs[1].ptr<float>(), g);
  });
  check_launch(name);
}

// inputs: q, k, v, o [B, H, T, D], lse [B, H, T] f32, go [B, H, T, D]; outputs: gq [B, H, T, D],
// gk, gv [B, Hkv, S, D]; attrs: scale, causal, kv_offset.
void attention_backward(const OpArgs& a) {
  const char* name = "attention_backward";
  check_counts(name, a, 6, 3, 3);
  const AttnDims g = check_attention(name, a);
  const TensorView &q = a.inputs[0], &k = a.inputs[1], &o = a.inputs[3], &lse = a.inputs[4], &go = a.inputs[5];
  check_like(name, "o", o, "q", q);
  check_lse(name, lse, g);
  check_like(name, "go", go, "q", q);
  check_like(name, "gq", a.outputs[0], "q", q);
  check_like(name, "gk", a.outputs[1], "k", k);
  check_like(name, "gv", a.outputs[2], "k", k);
  cudaStream_t stream = stream_of(a);
  const int64_t q_rows = g.B * g.H * g.T;
  const int64_t kv_rows = g.B * g.Hkv * g.S;
  float* delta = nullptr;
  if (q_rows > 0 && kv_rows > 0) {
    check_cuda(cudaMallocAsync(reinterpret_cast<void**>(&delta), q_rows * sizeof(float), stream), name,
               "cudaMallocAsync");
  }
  dispatch_attention(q.dtype, g.D, [&](auto tag, auto chunks) {
    using T = typename decltype(tag)::type;
    constexpr int kChunks = decltype(chunks)::value;
    const T *qp = q.ptr<T>(), *kp = k.ptr<T>(), *vp = a.inputs[2].ptr<T>(), *op = o.ptr<T>(), *gop = go.ptr<T>();
    if (q_rows > 0 && kv_rows == 0) {  // no keys: o = 0 and no gradient reaches q
      check_cuda(cudaMemsetAsync(a.outputs[0].data, 0, q_rows * g.D * sizeof(T), stream), name, "cudaMemsetAsync");
      return;
    }
    if (kv_rows > 0 && q_rows == 0) {  // no queries: nothing reaches k or v
      check_cuda(cudaMemsetAsync(a.outputs[1].data, 0, kv_rows * g.D * sizeof(T), stream), name, "cudaMemsetAsync");
      check_cuda(cudaMemsetAsync(a.outputs[2].data, 0, kv_rows * g.D * sizeof(T), stream), name, "cudaMemsetAsync");
      return;
    }
    if (q_rows == 0) return;
    attention_delta_kernel<T><<<grid_for(q_rows * 32), kBlockThreads, 0, stream>>>(op, gop, delta, q_rows, g.D);
    if (use_mma(q, g)) {
      attention_backward_mma(a, g, delta, name);
      return;
    }
    const size_t smem_q = sizeof(float) * size_t(2 * kBlockRows * g.D + 2 * kTile * padded(g.D));
    auto q_kernel = attention_backward_q_kernel<T, kChunks>;
    allow_smem(q_kernel, smem_q, name);
    const unsigned q_blocks = blocks_for(g.B * g.H * ((g.T + kBlockRows - 1) / kBlockRows), name);
    q_kernel<<<q_blocks, kWarps * 32, smem_q, stream>>>(qp, kp, vp, gop, lse.ptr<float>(), delta,
                                                         a.outputs[0].ptr<T>(), g);
    const size_t smem_kv = sizeof(float) * size_t(2 * kBlockRows * g.D + 2 * kTile * padded(g.D) + 2 * kTile);
    auto kv_kernel = attention_backward_kv_kernel<T, kChunks>;
    allow_smem(kv_kernel, smem_kv, name);
    const unsigned kv_blocks = blocks_for(g.B * g.Hkv * ((g.S + kBlockRows - 1) / kBlockRows), name);
    kv_kernel<<<kv_blocks, kWarps * 32, smem_kv, stream>>>(qp, kp, vp, gop, lse.ptr<float>(), delta,
                                                            a.outputs[1].ptr<T>(), a.outputs[2].ptr<T>(), g);
  });
  if (delta) cudaFreeAsync(delta, stream);
  check_launch(name);
}

SLMKIT_REGISTER_KERNELS({{&kAttentionForward, attention_forward}, {&kAttentionBackward, attention_backward}});

}  // namespace slmkit
