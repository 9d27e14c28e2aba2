// Scaled dot-product attention with GQA, causal masking and a key offset: flash-style forward (online
// softmax, no T×S matrix) and a backward that recomputes probabilities from lse (native/KERNELS.md).
//
// Kernel choice (forward_kernel and backward_kernel below; native/KERNELS.md has the table): bf16 with
// D = 64 or 128 and scale > 0 runs the tensor-core kernels, the mma.sync ones of attention_mma.cuh
// (FlashAttention-2 style, split-KV for decoding) or, on Hopper with this build's sm_90a code, the wgmma +
// TMA ones of attention_wgmma.cuh for the prefill forward and the backward. Every other case (f32, other
// head dims) runs the SIMT kernels below: a warp owns a few query (or key) rows; lane j scores key (or
// query) j of a 32-row tile held in shared memory, and lane l accumulates output elements d = l + 32c.
// Deterministic: gk and gv are summed over the query heads sharing a kv head inside one block and dQ has
// its own kernel, no atomics.
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

#include <cudaTypedefs.h>

#include "attention_mma.cuh"
#include "attention_select.h"
#include "attention_wgmma.cuh"
#include "common/kernel_choice.cuh"
#include "slmkit/attention.h"

namespace slmkit {
namespace {

constexpr int kWarps = 4;        // per block
constexpr int kRowsPerWarp = 4;  // rows a warp owns: 16 rows per block
constexpr int kBlockRows = kWarps * kRowsPerWarp;
constexpr int kTile = 32;   // keys (forward, gq) or queries (gk/gv) per shared-memory tile
constexpr int kMaxD = 128;  // D <= 32 * kChunks, kChunks <= 4
constexpr float kNegInf = -INFINITY;

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
__device__ __forceinline__ int64_t key_end(const AttentionShape& g, int64_t t_last) {
  if (!g.causal) return g.S;
  const int64_t end = t_last + g.kv_offset + 1;
  return end < 0 ? 0 : (end < g.S ? end : g.S);
}

__device__ __forceinline__ bool visible(const AttentionShape& g, int64_t t, int64_t s) {
  return s < g.S && t < g.T && (!g.causal || s <= t + g.kv_offset);
}

// One block per (b, h, 16 query rows). Shared: q [16][D], k [32][D|1], v [32][D].
template <typename T, int kChunks>
__global__ void __launch_bounds__(kWarps * 32) attention_forward_kernel(const T* __restrict__ q,  // [B, H, T, D]
                                                                        const T* __restrict__ k,  // [B, Hkv, S, D]
                                                                        const T* __restrict__ v,  // [B, Hkv, S, D]
                                                                        T* __restrict__ o,        // [B, H, T, D]
                                                                        float* __restrict__ lse,  // [B, H, T]
                                                                        AttentionShape g) {
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
      if (m_new == kNegInf) continue;            // no visible key yet for this row (uniform across the warp)
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
__global__ void attention_delta_kernel(const T* __restrict__ o,    // [rows, D]
                                       const T* __restrict__ go,   // [rows, D]
                                       float* __restrict__ delta,  // [rows]
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
                                const T* __restrict__ go,         // [B, H, T, D]
                                const float* __restrict__ lse,    // [B, H, T]
                                const float* __restrict__ delta,  // [B, H, T]
                                T* __restrict__ gq,               // [B, H, T, D]
                                AttentionShape g) {
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
                                 AttentionShape g) {
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

// The SIMT kernels keep D / 32 <= 4 output elements per lane in registers.
void check_head_dim(const AttentionShape& g, const char* kernel) {
  if (g.D > kMaxD)
    kernel_fail(kernel, "head dim D = " + std::to_string(g.D) + " is not supported on CUDA (at most " +
                            std::to_string(kMaxD) + ")");
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

// The driver's cuTensorMapEncodeTiled (TMA descriptors), found at run time: cudart is linked statically
// and the driver library is not linked at all. nullptr where the driver lacks it.
PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder() {
  static const PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void* p = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &found) !=
            cudaSuccess ||
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
  const CUresult r =
      tensor_map_encoder()(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 3, const_cast<void*>(base), dims, strides, box,
                           steps, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
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

attn_mma::Dims mma_dims(const AttentionShape& g, int64_t max_int, const char* kernel) {
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

// Keys any forward block may need: all S (causal rows stop earlier; splits past a block's end are empty).
int64_t forward_keys(const AttentionShape& g) { return g.causal ? std::min<int64_t>(g.S, g.T + g.kv_offset) : g.S; }

// Key splits for the forward: only when the (b, kv head, row tile) blocks cannot fill the GPU and each
// split still gets >= kMinSplitKeys keys (decoding: few query rows against a long cache).
int forward_splits(int64_t blocks, int64_t keys, const char* name) {
  constexpr int64_t kMinSplitKeys = 256;
  const int64_t sms = gpu_info(name).multiprocessors;
  if (blocks >= sms || keys < 2 * kMinSplitKeys) return 1;
  const int64_t want = (2 * sms + blocks - 1) / blocks;
  return int(std::max<int64_t>(1, std::min<int64_t>({want, keys / kMinSplitKeys, 128})));
}

template <int D, int kWarps, int kMT, int kBc, int kStages>
void launch_forward_mma(const AttentionForwardArgs& r, cudaStream_t stream, const char* name) {
  using attn_mma::bf16;
  constexpr int kBr = 16 * kMT * kWarps, kLd = D + 8;
  const AttentionShape& g = r.shape;
  attn_mma::Dims d = mma_dims(g, INT32_MAX - 2 * kBr, name);
  const int64_t rows = int64_t(d.group) * d.T;
  const int64_t row_tiles = (rows + kBr - 1) / kBr;
  if (row_tiles > 65535) throw KernelError(std::string(name) + ": too many query rows per kv head");
  const int64_t keys = forward_keys(g);
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
  const bf16 *q = r.q.ptr<bf16>(), *k = r.k.ptr<bf16>(), *v = r.v.ptr<bf16>();
  bf16* o = r.o.ptr<bf16>();
  float* lse = r.lse.ptr<float>();
  if (splits == 1) {
    kernel<<<grid, kWarps * 32, smem, stream>>>(q, k, v, o, lse, nullptr, nullptr, d);
    check_launch(name);
    return;
  }
  const int64_t out_rows = g.B * g.H * g.T;
  float* part = nullptr;
  const size_t part_bytes = sizeof(float) * size_t(splits) * out_rows * (D + 1);
  check_cuda(cudaMallocAsync(reinterpret_cast<void**>(&part), part_bytes, stream), name, "cudaMallocAsync");
  float* lse_part = part + size_t(splits) * out_rows * D;
  kernel<<<grid, kWarps * 32, smem, stream>>>(q, k, v, o, lse, part, lse_part, d);
  check_launch(name);
  attn_mma::attention_combine_kernel<D><<<blocks_for((out_rows * (D / 4) + 255) / 256, name), 256, 0, stream>>>(
      part, lse_part, o, lse, out_rows, splits);
  check_launch(name);
  check_cuda(cudaFreeAsync(part, stream), name, "cudaFreeAsync");
}

template <int D, int kWG, int kBc, int kStages, int kMinBlocks>
void launch_forward_wgmma(const AttentionForwardArgs& r, cudaStream_t stream, const char* name) {
  using attn_mma::bf16;
  constexpr int kBr = 64 * kWG;
  const AttentionShape& g = r.shape;
  const attn_mma::Dims d = mma_dims(g, INT32_MAX - 2 * kBr, name);
  const int64_t row_tiles = (int64_t(d.group) * d.T + kBr - 1) / kBr;
  if (row_tiles > 65535) throw KernelError(std::string(name) + ": too many query rows per kv head");
  auto kernel = attn_wgmma::attention_forward_wgmma_kernel<D, kWG, kBc, kStages, kMinBlocks>;
  // Tiles, kStages + 1 mbarriers, and slack for aligning the first tile to 1024 bytes.
  const size_t smem = sizeof(bf16) * size_t(kBr + 2 * kStages * kBc) * D + 8 * (kStages + 1) + 1024;
  allow_smem(kernel, smem, name);
  const CUtensorMap tm_q = tile_map(r.q.data, 1, g.B * g.H * g.T, D, kBr, name);
  const CUtensorMap tm_k = tile_map(r.k.data, g.B * g.Hkv, g.S, D, kBc, name);
  const CUtensorMap tm_v = tile_map(r.v.data, g.B * g.Hkv, g.S, D, kBc, name);
  const dim3 grid(blocks_for(int64_t(d.B) * d.Hkv, name), unsigned(row_tiles));
  kernel<<<grid, kWG * 128, smem, stream>>>(tm_q, tm_k, tm_v, r.o.ptr<bf16>(), r.lse.ptr<float>(), d);
  check_launch(name);
}

// Two warpgroups (128 query rows) per block, 128-key tiles, two buffers (measured on the H200,
// bench/NOTES-cuda-attention.md). D 64: two blocks per SM (128 registers, 16 bytes of spill); D 128: one
// block per SM (160 KB of shared memory, 162 registers).
void attention_forward_wgmma(const AttentionForwardArgs& r, cudaStream_t stream, const char* name) {
  if (r.shape.D == 64) launch_forward_wgmma<64, 2, 128, 2, 2>(r, stream, name);
  else launch_forward_wgmma<128, 2, 128, 2, 1>(r, stream, name);
}

// Prefill: 4 warps of 2 x 16 query rows (128 rows), keys in tiles of 64, double-buffered. For D 128 the
// 64-key tile spills a few bytes at 255 registers and a 32-key one does not, yet 64 measured 6% faster
// on an H200 (bench/NOTES-cuda-attention.md).
void attention_forward_mma(const AttentionForwardArgs& r, cudaStream_t stream, const char* name) {
  if (r.shape.D == 64) launch_forward_mma<64, 4, 2, 64, 2>(r, stream, name);
  else launch_forward_mma<128, 4, 2, 64, 2>(r, stream, name);
}

// Decoding (all query rows of a kv head fit 64 rows): 64-row tiles and key splits that fill the GPU.
// D 64 with three key buffers; D 128 keeps two (three would leave one block per SM: 25% slower, measured).
void attention_forward_mma_decode(const AttentionForwardArgs& r, cudaStream_t stream, const char* name) {
  if (r.shape.D == 64) launch_forward_mma<64, 4, 1, 64, 3>(r, stream, name);
  else launch_forward_mma<128, 4, 1, 64, 2>(r, stream, name);
}

template <int D, int kWarpsQ, int kMTQ, int kBcQ, int kWarpsKV, int kMTKV, int kBqKV>
void launch_backward_mma(const AttentionBackwardArgs& r, const float* delta, cudaStream_t stream, const char* name) {
  using attn_mma::bf16;
  constexpr int kLd = D + 8;
  constexpr int kBr = 16 * kMTQ * kWarpsQ, kBk = 16 * kMTKV * kWarpsKV;
  const AttentionShape& g = r.shape;
  const attn_mma::Dims d = mma_dims(g, INT32_MAX - 2 * std::max(kBr, kBk), name);
  const int64_t q_tiles = (g.T + kBr - 1) / kBr, k_tiles = (g.S + kBk - 1) / kBk;
  if (q_tiles > 65535 || k_tiles > 65535) throw KernelError(std::string(name) + ": sequence too long");
  const bf16 *q = r.q.ptr<bf16>(), *k = r.k.ptr<bf16>(), *v = r.v.ptr<bf16>(), *go = r.go.ptr<bf16>();
  const float* lse = r.lse.ptr<float>();
  auto dq_kernel = attn_mma::attention_backward_dq_mma_kernel<D, kWarpsQ, kMTQ, kBcQ>;
  const size_t smem_q = sizeof(bf16) * size_t(2 * kBr + 4 * kBcQ) * kLd;
  allow_smem(dq_kernel, smem_q, name);
  dq_kernel<<<dim3(blocks_for(g.B * g.H, name), unsigned(q_tiles)), kWarpsQ * 32, smem_q, stream>>>(
      q, k, v, go, lse, delta, r.gq.ptr<bf16>(), d);
  check_launch(name);
  auto kv_kernel = attn_mma::attention_backward_dkv_mma_kernel<D, kWarpsKV, kMTKV, kBqKV>;
  const size_t smem_kv = sizeof(bf16) * size_t(2 * kBk + 4 * kBqKV) * kLd + sizeof(float) * 4 * kBqKV;
  allow_smem(kv_kernel, smem_kv, name);
  kv_kernel<<<dim3(blocks_for(g.B * g.Hkv, name), unsigned(k_tiles)), kWarpsKV * 32, smem_kv, stream>>>(
      q, k, v, go, lse, delta, r.gk.ptr<bf16>(), r.gv.ptr<bf16>(), d);
  check_launch(name);
}

// The wgmma backward (attention_wgmma.cuh): the dQ kernel (128 query rows, kBcQ-key tiles, kStagesQ
// buffers, kMinQ blocks per SM), then the dK/dV kernel (128 keys, kBqKV-query tiles, kStagesKV buffers).
template <int D, int kBcQ, int kStagesQ, int kMinQ, int kBqKV, int kStagesKV, int kMinKV>
void launch_backward_wgmma(const AttentionBackwardArgs& r, const float* delta, cudaStream_t stream, const char* name) {
  using attn_mma::bf16;
  const AttentionShape& g = r.shape;
  const attn_mma::Dims d = mma_dims(g, INT32_MAX - 256, name);
  const float* lse = r.lse.ptr<float>();
  const int64_t row_tiles = (int64_t(d.group) * d.T + 127) / 128, key_tiles = (g.S + 127) / 128;
  if (row_tiles > 65535 || key_tiles > 65535) throw KernelError(std::string(name) + ": sequence too long");
  const void *q = r.q.data, *k = r.k.data, *v = r.v.data, *go = r.go.data;
  {
    auto kernel = attn_wgmma::attention_backward_dq_wgmma_kernel<D, kBcQ, kStagesQ, kMinQ>;
    const size_t smem = sizeof(bf16) * size_t(2 * 128 + 2 * kStagesQ * kBcQ) * D + 8 * (kStagesQ + 1) + 1024;
    allow_smem(kernel, smem, name);
    const CUtensorMap tm_q = tile_map(q, 1, g.B * g.H * g.T, D, 128, name);
    const CUtensorMap tm_do = tile_map(go, 1, g.B * g.H * g.T, D, 128, name);
    const CUtensorMap tm_k = tile_map(k, g.B * g.Hkv, g.S, D, kBcQ, name);
    const CUtensorMap tm_v = tile_map(v, g.B * g.Hkv, g.S, D, kBcQ, name);
    kernel<<<dim3(blocks_for(g.B * g.Hkv, name), unsigned(row_tiles)), 256, smem, stream>>>(
        tm_q, tm_do, tm_k, tm_v, lse, delta, r.gq.ptr<bf16>(), d);
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
      tm_q, tm_do, tm_k, tm_v, lse, delta, r.gk.ptr<bf16>(), r.gv.ptr<bf16>(), d);
  check_launch(name);
}

// D 64: dQ with 64-key tiles at two blocks per SM (122 registers), dK/dV with 128-query tiles (240
// registers); D 128: 64-key and 64-query tiles, one block per SM (154 and 229 registers). Measured on the
// H200 (bench/NOTES-cuda-attention.md, version 8): for D 64 7-12% faster forward+backward than 128-key dQ
// tiles (1 block/SM) with 64-query dK/dV tiles; for D 128, 128-key dQ tiles and three buffers for both
// kernels were the same within noise.
void attention_backward_wgmma(const AttentionBackwardArgs& r, const float* delta, cudaStream_t stream,
                              const char* name) {
  if (r.shape.D == 64) launch_backward_wgmma<64, 64, 2, 2, 128, 2, 1>(r, delta, stream, name);
  else launch_backward_wgmma<128, 64, 2, 1, 64, 2, 1>(r, delta, stream, name);
}

// dQ: 128 query rows x 32 keys (D 64), 64 x 64 (D 128); dK/dV: 128 keys x 32 queries (D 64), 64 x 32
// (D 128); all within 255 registers without spills.
void attention_backward_mma(const AttentionBackwardArgs& r, const float* delta, cudaStream_t stream, const char* name) {
  if (r.shape.D == 64) launch_backward_mma<64, 4, 2, 32, 4, 2, 32>(r, delta, stream, name);
  else launch_backward_mma<128, 4, 1, 64, 4, 1, 32>(r, delta, stream, name);
}

// --- kernel choice ------------------------------------------------------------------------------------
// One kernel per (direction, GPU generation, shape class); native/KERNELS.md has the same table.

enum class AttentionKernel {
  simt,        // f32, head dims other than 64 and 128, scale <= 0
  mma_decode,  // mma.sync, 64-row tiles, key splits when the blocks cannot fill the GPU (forward only)
  mma,         // mma.sync, 128-row tiles (forward: key splits likewise)
  wgmma,       // wgmma + TMA (Hopper)
};

// The tensor-core kernels take bf16 with head dim 64 or 128, and scale > 0: their softmax takes the row
// maximum of the raw scores, which is the maximum of the scaled ones only for a positive scale.
bool tensor_core_shape(const TensorView& q, const AttentionShape& g) {
  return q.dtype == DType::bf16 && (g.D == 64 || g.D == 128) && g.scale > 0.f;
}

// The wgmma kernels run where hopper_kernels() says Hopper kernels run and this GPU loaded this build's
// sm_90a code (with a driver that encodes TMA descriptors), for problems whose query rows TMA can address
// as one int32 range [B * H * T].
bool wgmma_kernels(const AttentionShape& g, const char* name) {
  return g.B * g.H * g.T <= INT32_MAX && hopper_kernels(name) && wgmma_available();
}

// forward                                   | Hopper                 | other GPUs, SLMKIT_CUDA_PRE_HOPPER=1
// f32, other D, scale <= 0                  | simt                   | simt
// decoding: group * T <= 64 query rows      | mma_decode             | mma_decode
// prefill without key splits                | wgmma                  | mma
// prefill that needs key splits, or no keys | mma (the wgmma kernel has no split-KV path, and a TMA map
//                                           |      cannot describe an empty key tensor)
AttentionKernel forward_kernel(const TensorView& q, const AttentionShape& g, const char* name) {
  if (!tensor_core_shape(q, g)) return AttentionKernel::simt;
  if (g.group * g.T <= 64) return AttentionKernel::mma_decode;
  if (g.S == 0) return AttentionKernel::mma;
  // Both prefill kernels take 128 query rows per block.
  const int64_t blocks = g.B * g.Hkv * ((g.group * g.T + 127) / 128);
  if (wgmma_kernels(g, name) && forward_splits(blocks, forward_keys(g), name) == 1) return AttentionKernel::wgmma;
  return AttentionKernel::mma;
}

// backward                                  | Hopper                 | other GPUs, SLMKIT_CUDA_PRE_HOPPER=1
// f32, other D, scale <= 0                  | simt                   | simt
// bf16, D 64 or 128, scale > 0              | wgmma                  | mma
AttentionKernel backward_kernel(const TensorView& q, const AttentionShape& g, const char* name) {
  if (!tensor_core_shape(q, g)) return AttentionKernel::simt;
  return wgmma_kernels(g, name) ? AttentionKernel::wgmma : AttentionKernel::mma;
}

}  // namespace

// Asked by cuda.deviceProperties(), outside any kernel call: a failed device query answers "no" rather than
// throw through N-API.
bool attention_wgmma_available() {
  try {
    return hopper_kernels("attention") && wgmma_available();
  } catch (const KernelError&) {
    return false;
  }
}

void attention_forward(const OpArgs& a) {
  const char* name = kAttentionForward.name;
  const AttentionForwardArgs r = decode_attention_forward(a);
  const AttentionShape& g = r.shape;
  check_head_dim(g, name);
  if (g.B * g.H * g.T == 0) return;
  cudaStream_t stream = stream_of(a);
  switch (forward_kernel(r.q, g, name)) {
    case AttentionKernel::wgmma: attention_forward_wgmma(r, stream, name); return;
    case AttentionKernel::mma: attention_forward_mma(r, stream, name); return;
    case AttentionKernel::mma_decode: attention_forward_mma_decode(r, stream, name); return;
    case AttentionKernel::simt: break;
  }
  const int64_t rows = (g.T + kBlockRows - 1) / kBlockRows;
  const unsigned blocks = blocks_for(g.B * g.H * rows, name);
  const size_t smem = sizeof(float) * size_t(kBlockRows * g.D + kTile * padded(g.D) + kTile * g.D);
  dispatch_attention(r.q.dtype, g.D, [&](auto tag, auto chunks) {
    using T = typename decltype(tag)::type;
    auto kernel = attention_forward_kernel<T, decltype(chunks)::value>;
    allow_smem(kernel, smem, name);
    kernel<<<blocks, kWarps * 32, smem, stream>>>(r.q.ptr<T>(), r.k.ptr<T>(), r.v.ptr<T>(), r.o.ptr<T>(),
                                                  r.lse.ptr<float>(), g);
  });
  check_launch(name);
}

void attention_backward(const OpArgs& a) {
  const char* name = kAttentionBackward.name;
  const AttentionBackwardArgs r = decode_attention_backward(a);
  const AttentionShape& g = r.shape;
  check_head_dim(g, name);
  cudaStream_t stream = stream_of(a);
  const int64_t q_rows = g.B * g.H * g.T;
  const int64_t kv_rows = g.B * g.Hkv * g.S;
  float* delta = nullptr;
  if (q_rows > 0 && kv_rows > 0) {
    check_cuda(cudaMallocAsync(reinterpret_cast<void**>(&delta), q_rows * sizeof(float), stream), name,
               "cudaMallocAsync");
  }
  dispatch_attention(r.q.dtype, g.D, [&](auto tag, auto chunks) {
    using T = typename decltype(tag)::type;
    constexpr int kChunks = decltype(chunks)::value;
    const T *qp = r.q.ptr<T>(), *kp = r.k.ptr<T>(), *vp = r.v.ptr<T>(), *op = r.o.ptr<T>(), *gop = r.go.ptr<T>();
    if (q_rows > 0 && kv_rows == 0) {  // no keys: o = 0 and no gradient reaches q
      check_cuda(cudaMemsetAsync(r.gq.data, 0, q_rows * g.D * sizeof(T), stream), name, "cudaMemsetAsync");
      return;
    }
    if (kv_rows > 0 && q_rows == 0) {  // no queries: nothing reaches k or v
      check_cuda(cudaMemsetAsync(r.gk.data, 0, kv_rows * g.D * sizeof(T), stream), name, "cudaMemsetAsync");
      check_cuda(cudaMemsetAsync(r.gv.data, 0, kv_rows * g.D * sizeof(T), stream), name, "cudaMemsetAsync");
      return;
    }
    if (q_rows == 0) return;
    attention_delta_kernel<T><<<grid_for(q_rows * 32), kBlockThreads, 0, stream>>>(op, gop, delta, q_rows, g.D);
    switch (backward_kernel(r.q, g, name)) {
      case AttentionKernel::wgmma: attention_backward_wgmma(r, delta, stream, name); return;
      case AttentionKernel::mma: attention_backward_mma(r, delta, stream, name); return;
      case AttentionKernel::mma_decode:  // the backward has no decoding kernel
      case AttentionKernel::simt: break;
    }
    const size_t smem_q = sizeof(float) * size_t(2 * kBlockRows * g.D + 2 * kTile * padded(g.D));
    auto q_kernel = attention_backward_q_kernel<T, kChunks>;
    allow_smem(q_kernel, smem_q, name);
    const unsigned q_blocks = blocks_for(g.B * g.H * ((g.T + kBlockRows - 1) / kBlockRows), name);
    q_kernel<<<q_blocks, kWarps * 32, smem_q, stream>>>(qp, kp, vp, gop, r.lse.ptr<float>(), delta, r.gq.ptr<T>(), g);
    const size_t smem_kv = sizeof(float) * size_t(2 * kBlockRows * g.D + 2 * kTile * padded(g.D) + 2 * kTile);
    auto kv_kernel = attention_backward_kv_kernel<T, kChunks>;
    allow_smem(kv_kernel, smem_kv, name);
    const unsigned kv_blocks = blocks_for(g.B * g.Hkv * ((g.S + kBlockRows - 1) / kBlockRows), name);
    kv_kernel<<<kv_blocks, kWarps * 32, smem_kv, stream>>>(qp, kp, vp, gop, r.lse.ptr<float>(), delta, r.gk.ptr<T>(),
                                                           r.gv.ptr<T>(), g);
  });
  if (delta) cudaFreeAsync(delta, stream);
  check_launch(name);
}

SLMKIT_REGISTER_KERNELS({{&kAttentionForward, attention_forward}, {&kAttentionBackward, attention_backward}});

}  // namespace slmkit
