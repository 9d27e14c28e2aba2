// Cross-entropy of logits against integer targets (loss = lse - logit[target]): forward and backward.
// One block per row. The forward finds the row's log-sum-exp in one pass (online max and rescaled sum);
// the backward reads the row once more and writes gloss * (softmax - onehot) directly. A target outside
// [0, V) that is not ignore_index is not checked on the host (that would need a synchronisation per
// call): its row's loss and gradient are NaN instead (native/KERNELS.md, CUDA notes).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/launch.cuh"
#include "common/overlap.cuh"
#include "common/reductions.cuh"
#include "common/values.cuh"
#include "slmkit/cross_entropy.h"

namespace slmkit {
namespace {

// Block size: enough threads for kUnroll packs each over the row, at most kRowThreads. 512 rather than
// 1024 lets several rows share a multiprocessor, so one row's final reduction overlaps another's loads.
constexpr int kRowThreads = 512;

// Exponentials are of x - max (or x - lse), differences computed in f32 first: large logits keep their
// precision, and __expf's error (a few ulps, growing with |x - max|) only touches the small terms.
// Running (max, sum of exp(x - max)) of one thread. A NaN logit makes the sum NaN (fmaxf skips it, the
// exp of it does not); a row of -inf keeps max = -inf and sum = 0, so lse = -inf as on the CPU.
struct MaxSum {
  float m = -INFINITY;
  float s = 0.0f;

  __device__ __forceinline__ void add_values(const float* v, int n) {
    float m_new = m;
    for (int i = 0; i < n; ++i) m_new = fmaxf(m_new, v[i]);
    if (m_new == -INFINITY) {
      for (int i = 0; i < n; ++i)
        if (v[i] != v[i]) s = NAN;
      return;
    }
    if (m_new != m) s *= __expf(m - m_new);
    for (int i = 0; i < n; ++i) s += __expf(v[i] - m_new);
    m = m_new;
  }

  __device__ __forceinline__ void merge(float m2, float s2) {
    const float m_new = fmaxf(m, m2);
    if (m_new == -INFINITY) {
      s = s + s2;  // both empty so far (0), or NaN carried
      return;
    }
    const float a = m == m_new ? s : s * __expf(m - m_new);
    const float b = m2 == m_new ? s2 : s2 * __expf(m2 - m_new);
    m = m_new;
    s = a + b;
  }
};

// Every element of a row once: the unaligned head and the tail one at a time, the body in 16-byte
// packs. Rows of odd length V start at any element offset, so the split is computed per row. Each
// thread loads kUnroll packs before using any, so several loads are in flight per thread.
constexpr int kUnroll = 4;

template <typename T> unsigned row_threads(int64_t V) {
  const int64_t want = (V / kPack16<T> + kUnroll - 1) / kUnroll;
  return static_cast<unsigned>(std::min<int64_t>(kRowThreads, std::max<int64_t>(32, (want + 31) / 32 * 32)));
}

__device__ __forceinline__ bool bad_target(int64_t t, int64_t V, int64_t ignore_index) {
  return t != ignore_index && (t < 0 || t >= V);
}

template <typename T, typename F>
__device__ __forceinline__ void for_row_packs(const T* row, int64_t V, F&& f) {
  constexpr int VEC = kPack16<T>;
  using P = Pack<T, VEC>;
  const int64_t mis = (reinterpret_cast<uintptr_t>(row) & 15) / sizeof(T);
  int64_t head = mis ? VEC - mis : 0;
  if (head > V) head = V;
  const int64_t body = (V - head) / VEC;
  for (int64_t i = threadIdx.x; i < head; i += blockDim.x) {
    float v = load(row[i]);
    f(&v, 1, i);
  }
  const P* packs = reinterpret_cast<const P*>(row + head);
  for (int64_t j0 = threadIdx.x; j0 < body; j0 += kUnroll * int64_t(blockDim.x)) {
    P p[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t j = j0 + u * int64_t(blockDim.x);
      if (j < body) p[u] = packs[j];
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t j = j0 + u * int64_t(blockDim.x);
      if (j < body) {
        float v[VEC];
#pragma unroll
        for (int k = 0; k < VEC; ++k) v[k] = load(p[u].v[k]);
        f(v, VEC, head + j * VEC);
      }
    }
  }
  for (int64_t i = head + body * VEC + threadIdx.x; i < V; i += blockDim.x) {
    float v = load(row[i]);
    f(&v, 1, i);
  }
}

template <typename T>
__global__ void __launch_bounds__(kRowThreads) cross_entropy_forward_kernel(const T* __restrict__ logits,  // [N, V]
                                                                            const int32_t* __restrict__ targets,  // [N]
                                                                            float* __restrict__ loss,             // [N]
                                                                            float* __restrict__ lse,              // [N]
                                                                            int64_t V, int64_t ignore_index) {
  wait_for_prior_kernels();
  const int64_t r = blockIdx.x;
  const T* row = logits + r * V;
  MaxSum ms;
  for_row_packs(row, V, [&](const float* v, int n, int64_t) { ms.add_values(v, n); });
  // Block merge: warps by shuffle, then the warp maxima and sums through shared memory.
  for (int o = 16; o > 0; o >>= 1) {
    const float m2 = __shfl_xor_sync(0xffffffffu, ms.m, o), s2 = __shfl_xor_sync(0xffffffffu, ms.s, o);
    ms.merge(m2, s2);
  }
  __shared__ float wm[32], wsum[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
    wm[warp] = ms.m;
    wsum[warp] = ms.s;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    MaxSum total;
    for (int i = 0; i < int(blockDim.x >> 5); ++i) total.merge(wm[i], wsum[i]);
    const float row_lse = static_cast<float>(static_cast<double>(total.m) + log(static_cast<double>(total.s)));
    lse[r] = row_lse;
    const int64_t t = targets[r];
    loss[r] = t == ignore_index ? 0.0f : bad_target(t, V, ignore_index) ? NAN : row_lse - load(row[t]);
  }
}

template <typename T>
__global__ void __launch_bounds__(kRowThreads)
    cross_entropy_backward_kernel(const T* __restrict__ logits,         // [N, V]
                                  const int32_t* __restrict__ targets,  // [N]
                                  const float* __restrict__ lse,        // [N]
                                  const float* __restrict__ gloss,      // [N]
                                  T* __restrict__ glogits,              // [N, V]
                                  int64_t V, int64_t ignore_index, bool same_phase) {
  wait_for_prior_kernels();
  constexpr int VEC = kPack16<T>;
  const int64_t r = blockIdx.x;
  const T* row = logits + r * V;
  T* out = glogits + r * V;
  const int64_t t = targets[r];
  const bool ignored = t == ignore_index;
  const float scale = ignored ? 0.0f : bad_target(t, V, ignore_index) ? NAN : gloss[r];
  const float row_lse = lse[r];
  // softmax(x) = exp(x - lse); ignored rows are zero, whatever the logits hold.
  auto grad = [&](float x, int64_t i) {
    if (ignored) return 0.0f;
    const float p = __expf(x - row_lse);
    return (i == t ? p - 1.0f : p) * scale;
  };
  for_row_packs(row, V, [&](const float* v, int n, int64_t i0) {
    if (n == VEC && same_phase) {
      Pack<T, VEC> p;
#pragma unroll
      for (int k = 0; k < VEC; ++k) p.v[k] = store<T>(grad(v[k], i0 + k));
      *reinterpret_cast<Pack<T, VEC>*>(out + i0) = p;
    } else {
      for (int k = 0; k < n; ++k) out[i0 + k] = store<T>(grad(v[k], i0 + k));
    }
  });
}

// One block per row: the grid's x dimension holds at most 2^31 - 1 blocks.
void check_rows(const char* k, const TensorView& logits) {
  require(logits.shape[0] <= INT32_MAX, k, "at most 2^31 - 1 rows, logits " + shape_str(logits));
}

}  // namespace

// Arguments: slmkit/cross_entropy.h. Targets are not read on the host (see the file header).
void cross_entropy_forward(const OpArgs& a) {
  const char* k = kCrossEntropyForward.name;
  const CrossEntropyForwardArgs r = decode_cross_entropy_forward(a);
  check_rows(k, r.logits);
  if (r.rows == 0) return;
  cudaStream_t stream = stream_of(a);
  dispatch_float(k, r.logits.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_overlapped(k, cross_entropy_forward_kernel<T>, static_cast<unsigned>(r.rows), row_threads<T>(r.vocab), 0,
                      stream, r.logits.ptr<T>(), r.targets.ptr<int32_t>(), r.loss.ptr<float>(), r.lse.ptr<float>(),
                      r.vocab, r.ignore_index);
  });
}

void cross_entropy_backward(const OpArgs& a) {
  const char* k = kCrossEntropyBackward.name;
  const CrossEntropyBackwardArgs r = decode_cross_entropy_backward(a);
  check_rows(k, r.logits);
  if (r.rows == 0 || r.vocab == 0) return;
  // The pack split follows the logits row; packed stores need glogits at the same 16-byte phase.
  const bool same_phase =
      ((reinterpret_cast<uintptr_t>(r.logits.data) ^ reinterpret_cast<uintptr_t>(r.glogits.data)) & 15) == 0;
  cudaStream_t stream = stream_of(a);
  dispatch_float(k, r.logits.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_overlapped(k, cross_entropy_backward_kernel<T>, static_cast<unsigned>(r.rows), row_threads<T>(r.vocab), 0,
                      stream, r.logits.ptr<T>(), r.targets.ptr<int32_t>(), r.lse.ptr<float>(), r.gloss.ptr<float>(),
                      r.glogits.ptr<T>(), r.vocab, r.ignore_index, same_phase);
  });
}

SLMKIT_REGISTER_KERNELS({{&kCrossEntropyForward, cross_entropy_forward},
                         {&kCrossEntropyBackward, cross_entropy_backward}});

}  // namespace slmkit
