// Multi-tensor AdamW step (torch.optim.AdamW semantics), optionally refreshing bf16 compute copies of the
// updated parameters in the same pass, and the global L2 norm used for clipping.
// A launch covers many tensors: a table of per-tensor pointers and constants, and each block finds its
// tensor and chunk by binary search over the table's running chunk counts. AdamW's table travels as a
// kernel parameter (up to kAdamwTableEntries tensors per launch), the norm's is uploaded to scratch memory.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/async_copy.cuh"
#include "common/kernel_choice.cuh"
#include "common/launch.cuh"
#include "common/overlap.cuh"
#include "common/reductions.cuh"
#include "common/values.cuh"
#include "slmkit/adamw.h"

namespace slmkit {
namespace {

// Elements per block of the norm; fixed, so the norm's summation order is too.
constexpr int64_t kNormChunk = 1 << 16;
constexpr int kThreads = 512;  // global_norm
// AdamW, any GPU: blocks of 4096 elements, each thread updating its 4 quads one after the other. Measured
// on an H200 (500M f32 in 200 tensors, bench/NOTES-cuda.md): 3% faster than 65536-element blocks of 1024
// threads; two quads in flight per thread (64 registers) or 8 blocks per SM forced (32 registers, spills)
// were no faster or slower.
constexpr int64_t kAdamwChunk = 1 << 12;
constexpr int kAdamwThreads = 256;
// AdamW, sm_90+: blocks of 1024 elements of 128 threads, the chunk brought into shared memory by the bulk
// copy engine. No loads wait in registers, so about twice the blocks fit per multiprocessor: within 1% of
// a single-tensor kernel on an H200, where the register kernel was 2.3% behind (bench/NOTES-cuda.md).
constexpr int64_t kBulkChunk = 1 << 10;
constexpr int kBulkThreads = 128;

struct AdamwEntry {
  float* p;
  float* m;
  float* v;
  const void* g;
  __nv_bfloat16* c;  // bf16 copy of p written after the update, or null
  int64_t numel;
  int64_t chunk_begin;  // chunks of the tensors before this one
  float decay;          // 1 - lr * wd
  float step_size;      // lr / (1 - beta1^step)
  float bc2_sqrt;       // sqrt(1 - beta2^step)
  int32_t g_bf16;
  int32_t packed;  // p, m, v 16-byte aligned, g and c aligned to their 4-element packs: vector accesses
};

struct AdamwConsts { float beta1, beta2, one_minus_beta1, one_minus_beta2, eps, grad_scale; };

// Tensors per AdamW launch: the table is a kernel parameter, so no upload sits between the step's
// kernels, and kernel parameters are limited to 32764 bytes.
constexpr int kAdamwTableEntries = 384;
struct AdamwTable {
  AdamwEntry entry[kAdamwTableEntries];
  int n;
};
static_assert(sizeof(AdamwTable) + sizeof(AdamwConsts) <= 32764, "AdamW launch parameters over CUDA's limit");

struct NormEntry {
  const void* t;
  int64_t numel;
  int64_t chunk_begin;
  int32_t bf16;
  int32_t packed;
};

// The entry whose chunk range holds chunk c (entries sorted by chunk_begin; empty tensors own none).
template <typename E> __device__ __forceinline__ int find_entry(const E* table, int n, int64_t c) {
  int lo = 0, hi = n - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) >> 1;
    if (table[mid].chunk_begin <= c) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

template <typename G> __device__ __forceinline__ float4 load4(const G* g, int64_t i) {
  if constexpr (std::is_same_v<G, float>) return reinterpret_cast<const float4*>(g)[i];
  else {
    const Pack<__nv_bfloat16, 4> p = reinterpret_cast<const Pack<__nv_bfloat16, 4>*>(g)[i];
    return make_float4(load(p.v[0]), load(p.v[1]), load(p.v[2]), load(p.v[3]));
  }
}

// Same operation order as torch (and kernels/cpu/adamw.cc): decay first, then the moments, then
// p -= step_size * m / (sqrt(v) / sqrt(bc2) + eps).
__device__ __forceinline__ void adamw_element(float& p, float& m, float& v, float g, const AdamwEntry& e,
                                              const AdamwConsts& c) {
  g *= c.grad_scale;
  p *= e.decay;
  m = c.beta1 * m + c.one_minus_beta1 * g;
  v = c.beta2 * v + c.one_minus_beta2 * g * g;
  p = p - e.step_size * (m / (sqrtf(v) / e.bc2_sqrt + c.eps));
}

// Four consecutive elements of p, m, v and g: loaded together, updated, stored.
struct Quad { float4 p, m, v, g; };

template <typename G> __device__ __forceinline__ Quad load_quad(const AdamwEntry& e, const G* g, int64_t i) {
  return {reinterpret_cast<const float4*>(e.p)[i], reinterpret_cast<const float4*>(e.m)[i],
          reinterpret_cast<const float4*>(e.v)[i], load4(g, i)};
}

__device__ __forceinline__ void update_quad(Quad& q, const AdamwEntry& e, const AdamwConsts& c, int64_t i) {
  adamw_element(q.p.x, q.m.x, q.v.x, q.g.x, e, c);
  adamw_element(q.p.y, q.m.y, q.v.y, q.g.y, e, c);
  adamw_element(q.p.z, q.m.z, q.v.z, q.g.z, e, c);
  adamw_element(q.p.w, q.m.w, q.v.w, q.g.w, e, c);
  reinterpret_cast<float4*>(e.p)[i] = q.p;
  reinterpret_cast<float4*>(e.m)[i] = q.m;
  reinterpret_cast<float4*>(e.v)[i] = q.v;
  if (e.c) {
    Pack<__nv_bfloat16, 4> b;
    b.v[0] = store<__nv_bfloat16>(q.p.x);
    b.v[1] = store<__nv_bfloat16>(q.p.y);
    b.v[2] = store<__nv_bfloat16>(q.p.z);
    b.v[3] = store<__nv_bfloat16>(q.p.w);
    reinterpret_cast<Pack<__nv_bfloat16, 4>*>(e.c)[i] = b;
  }
}

// Elements [begin, end) of a tensor one at a time: the ragged end of a chunk, or a tensor not in packs.
template <typename G>
__device__ __forceinline__ void adamw_elements(const AdamwEntry& e, const AdamwConsts& c, int64_t begin, int64_t end) {
  const G* g = static_cast<const G*>(e.g);
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    adamw_element(e.p[i], e.m[i], e.v[i], load(g[i]), e, c);
    if (e.c) e.c[i] = store<__nv_bfloat16>(e.p[i]);
  }
}

template <typename G>
__device__ __forceinline__ void adamw_chunk(const AdamwEntry& e, const AdamwConsts& c, int64_t begin, int64_t end) {
  const G* g = static_cast<const G*>(e.g);
  if (e.packed) {
    // begin is a multiple of kAdamwChunk, hence of 4; the last chunk's ragged end is done element-wise.
    const int64_t end4 = begin + (end - begin) / 4 * 4;
    for (int64_t i = begin / 4 + threadIdx.x; i < end4 / 4; i += blockDim.x) {
      Quad q = load_quad(e, g, i);
      update_quad(q, e, c, i);
    }
    begin = end4;
  }
  adamw_elements<G>(e, c, begin, end);
}

// This block's chunk: its tensor's entry and the elements [begin, end) of it, for chunks of `elems`.
struct BlockChunk {
  AdamwEntry e;
  int64_t begin, end;
};
__device__ __forceinline__ BlockChunk block_chunk(const AdamwTable& t, int64_t elems) {
  const int64_t chunk = blockIdx.x;
  const AdamwEntry e = t.entry[find_entry(t.entry, t.n, chunk)];
  const int64_t begin = (chunk - e.chunk_begin) * elems;
  return {e, begin, begin + elems < e.numel ? begin + elems : e.numel};
}

__global__ void __launch_bounds__(kAdamwThreads)
    adamw_step_kernel(const __grid_constant__ AdamwTable t, AdamwConsts c) {
  wait_for_prior_kernels();
  const auto [e, begin, end] = block_chunk(t, kAdamwChunk);
  if (e.g_bf16) adamw_chunk<__nv_bfloat16>(e, c, begin, end);
  else adamw_chunk<float>(e, c, begin, end);
}

// Shared memory of the bulk kernel: p, m, v and g of one chunk (g in f32 at most).
constexpr size_t kBulkSmem = 4 * kBulkChunk * sizeof(float);

// One chunk through shared memory: thread 0 has the copy engine bring p, m, v and g (in 16-byte
// multiples: 8 elements, for a bf16 g) on one mbarrier, then every thread updates its quads there and
// stores them to global memory; the chunk's last few elements go element by element.
template <typename G>
__device__ __forceinline__ void adamw_bulk_chunk(const AdamwEntry& e, const AdamwConsts& c, int64_t begin,
                                                 int64_t end) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  extern __shared__ __align__(128) float4 chunk_smem[];
  __shared__ __align__(8) uint64_t landed;
  float4 *ps = chunk_smem, *ms = ps + kBulkChunk / 4, *vs = ms + kBulkChunk / 4;
  float4* gs = vs + kBulkChunk / 4;
  const int64_t n = (end - begin) / 8 * 8;
  if (n > 0) {
    const uint32_t bar = smem_addr(&landed), bytes = static_cast<uint32_t>(n * sizeof(float));
    const uint32_t g_bytes = static_cast<uint32_t>(n * sizeof(G));
    if (threadIdx.x == 0) {
      mbar_init(bar, 1);
      mbar_init_fence();
      mbar_expect(bar, 3 * bytes + g_bytes);
      bulk_copy_to_shared(ps, e.p + begin, bytes, bar);
      bulk_copy_to_shared(ms, e.m + begin, bytes, bar);
      bulk_copy_to_shared(vs, e.v + begin, bytes, bar);
      bulk_copy_to_shared(gs, static_cast<const G*>(e.g) + begin, g_bytes, bar);
    }
    __syncthreads();  // the mbarrier is initialised before anyone waits on it
    mbar_wait(bar, 0);
    for (int64_t q = threadIdx.x; q < n / 4; q += blockDim.x) {
      Quad quad{ps[q], ms[q], vs[q], load4(reinterpret_cast<const G*>(gs), q)};
      update_quad(quad, e, c, begin / 4 + q);
    }
  }
  adamw_elements<G>(e, c, begin + n, end);
#endif
}

__global__ void __launch_bounds__(kBulkThreads)
    adamw_step_bulk_kernel(const __grid_constant__ AdamwTable t, AdamwConsts c) {
  wait_for_prior_kernels();
  const auto [e, begin, end] = block_chunk(t, kBulkChunk);
  if (!e.packed) {
    if (e.g_bf16) adamw_elements<__nv_bfloat16>(e, c, begin, end);
    else adamw_elements<float>(e, c, begin, end);
  } else if (e.g_bf16) {
    adamw_bulk_chunk<__nv_bfloat16>(e, c, begin, end);
  } else {
    adamw_bulk_chunk<float>(e, c, begin, end);
  }
}

template <typename T>
__device__ __forceinline__ double chunk_sum_squares(const NormEntry& e, int64_t begin, int64_t end) {
  const T* t = static_cast<const T*>(e.t);
  float s = 0.0f;
  if (e.packed) {
    const int64_t end4 = begin + (end - begin) / 4 * 4;
    for (int64_t i = begin / 4 + threadIdx.x; i < end4 / 4; i += blockDim.x) {
      const float4 v = load4(t, i);
      s += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
    }
    begin = end4;
  }
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const float v = load(t[i]);
    s += v * v;
  }
  return static_cast<double>(s);
}

// partial[chunk] = sum of squares of the chunk (f32 per thread, f64 across the block).
__global__ void norm_partial_kernel(const NormEntry* __restrict__ table, int n, double* __restrict__ partial) {
  wait_for_prior_kernels();
  const int64_t chunk = blockIdx.x;
  const NormEntry e = table[find_entry(table, n, chunk)];
  const int64_t begin = (chunk - e.chunk_begin) * kNormChunk;
  const int64_t end = begin + kNormChunk < e.numel ? begin + kNormChunk : e.numel;
  const double s = e.bf16 ? chunk_sum_squares<__nv_bfloat16>(e, begin, end) : chunk_sum_squares<float>(e, begin, end);
  const double total = block_sum(s);
  if (threadIdx.x == 0) partial[chunk] = total;
}

// y = sqrt(sum of partial), each thread summing a fixed strided subset in order, then a fixed tree.
__global__ void norm_final_kernel(const double* __restrict__ partial, int64_t chunks, float* __restrict__ y) {
  wait_for_prior_kernels();
  double s = 0.0;
  for (int64_t i = threadIdx.x; i < chunks; i += blockDim.x) s += partial[i];
  s = block_sum(s);
  if (threadIdx.x == 0) y[0] = static_cast<float>(sqrt(s));
}

int64_t chunks_of(int64_t numel, int64_t chunk) { return (numel + chunk - 1) / chunk; }

// Uploads a host table into scratch memory in stream order. The copy is from pageable memory, which CUDA
// stages before returning, so the host vector may go away right after.
template <typename E> void upload(const char* k, const std::vector<E>& host, const StreamScratch& dev, cudaStream_t s) {
  check_cuda(cudaMemcpyAsync(dev.as<E>(), host.data(), host.size() * sizeof(E), cudaMemcpyHostToDevice, s), k,
             "cudaMemcpyAsync (table)");
}

}  // namespace

// Arguments: slmkit/adamw.h.
void adamw_step(const OpArgs& a) {
  const char* k = kAdamwStep.name;
  const AdamwStepArgs r = decode_adamw_step(a);
  // Hopper takes the bulk-copy kernel and its smaller chunks; other GPUs the register kernel.
  const bool bulk = hopper_kernels(k);
  const int64_t chunk_elems = bulk ? kBulkChunk : kAdamwChunk;
  std::vector<AdamwEntry> entries;
  entries.reserve(r.slots.size());
  for (const AdamwSlot& s : r.slots) {
    if (s.numel == 0) continue;
    AdamwEntry e{};
    e.p = s.p->ptr<float>();
    e.m = s.m->ptr<float>();
    e.v = s.v->ptr<float>();
    e.g = s.g->data;
    e.c = s.c ? s.c->ptr<__nv_bfloat16>() : nullptr;
    e.numel = s.numel;
    e.decay = s.decay;
    e.step_size = s.step_size;
    e.bc2_sqrt = r.bc2_sqrt;
    e.g_bf16 = s.g->dtype == DType::bf16;
    // The bulk copies need 16-byte alignment of g as well; the vector stores of c need 8.
    e.packed = aligned16(e.p) && aligned16(e.m) && aligned16(e.v) && aligned16(e.g) &&
               (reinterpret_cast<uintptr_t>(e.c) & 7) == 0;
    entries.push_back(e);
  }
  cudaStream_t stream = stream_of(a);
  const AdamwConsts c{r.beta1, r.beta2, r.one_minus_beta1, r.one_minus_beta2, r.eps, r.grad_scale};
  // One launch per kAdamwTableEntries tensors, each with its own running chunk counts.
  for (size_t first = 0; first < entries.size(); first += kAdamwTableEntries) {
    AdamwTable t{};
    t.n = static_cast<int>(std::min<size_t>(kAdamwTableEntries, entries.size() - first));
    int64_t chunks = 0;
    for (int j = 0; j < t.n; ++j) {
      t.entry[j] = entries[first + j];
      t.entry[j].chunk_begin = chunks;
      chunks += chunks_of(t.entry[j].numel, chunk_elems);
    }
    require(chunks <= INT32_MAX, k, "too many elements: " + std::to_string(chunks) + " chunks in one launch");
    const unsigned grid = static_cast<unsigned>(chunks);
    if (bulk) launch_overlapped(k, adamw_step_bulk_kernel, grid, kBulkThreads, kBulkSmem, stream, t, c);
    else launch_overlapped(k, adamw_step_kernel, grid, kAdamwThreads, 0, stream, t, c);
  }
}

// Arguments: slmkit/adamw.h.
void global_norm(const OpArgs& a) {
  const char* k = kGlobalNorm.name;
  const GlobalNormArgs r = decode_global_norm(a);
  std::vector<NormEntry> table;
  int64_t chunks = 0;
  for (int32_t i = 0; i < r.count; ++i) {
    const TensorView& t = r.tensors[i];
    if (t.numel() == 0) continue;
    const bool bf16 = t.dtype == DType::bf16;
    table.push_back({t.data, t.numel(), chunks, bf16, (reinterpret_cast<uintptr_t>(t.data) & (bf16 ? 7 : 15)) == 0});
    chunks += chunks_of(t.numel(), kNormChunk);
  }
  cudaStream_t stream = stream_of(a);
  require(chunks <= INT32_MAX, k, "too many elements: " + std::to_string(chunks) + " chunks");
  StreamScratch partial(k, static_cast<size_t>(chunks ? chunks : 1) * sizeof(double), stream);
  if (chunks > 0) {
    StreamScratch dev(k, table.size() * sizeof(NormEntry), stream);
    upload(k, table, dev, stream);
    launch_overlapped(k, norm_partial_kernel, static_cast<unsigned>(chunks), kThreads, 0, stream, dev.as<NormEntry>(),
                      static_cast<int>(table.size()), partial.as<double>());
  }
  launch_overlapped(k, norm_final_kernel, 1, kThreads, 0, stream, partial.as<double>(), chunks, r.norm.ptr<float>());
}

SLMKIT_REGISTER_KERNELS({{&kAdamwStep, adamw_step}, {&kGlobalNorm, global_norm}});

}  // namespace slmkit
