// Reductions inside a warp, a group of lanes or a block, in a fixed order (results do not vary between
// runs).
#pragma once
#include <cuda_bf16.h>

#include <cstdint>

namespace slmkit {

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ double warp_sum(double v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Sum over the whole block, returned to every thread. Safe to call repeatedly in a loop: the second
// barrier orders each call's reads of the shared slots before the next call's writes.
template <typename V> __device__ __forceinline__ V block_sum(V v) {
  __shared__ V part[32];
  __shared__ V total;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  if (lane == 0) part[warp] = v;
  __syncthreads();
  if (warp == 0) {
    V s = lane < int((blockDim.x + 31) >> 5) ? part[lane] : V(0);
    s = warp_sum(s);
    if (lane == 0) total = s;
  }
  __syncthreads();
  return total;
}

// Combines the accumulators of `lanes` consecutive threads (lanes a power of two dividing blockDim.x)
// into the first thread of each group, in a fixed tree order, so results do not vary between runs.
// Every thread of the block must call it (it synchronises the block). `sh` holds blockDim.x slots.
template <typename Acc, typename Merge>
__device__ __forceinline__ Acc group_reduce(Acc acc, Acc* sh, int lanes, const Merge& merge) {
  const int t = threadIdx.x, lane = t & (lanes - 1);
  sh[t] = acc;
  __syncthreads();
  for (int s = lanes / 2; s > 0; s >>= 1) {
    if (lane < s) {
      Acc a = sh[t];
      merge(a, sh[t + s]);
      sh[t] = a;
    }
    __syncthreads();
  }
  Acc out = sh[t - lane];
  __syncthreads();  // sh may be reused right after
  return out;
}

}  // namespace slmkit
