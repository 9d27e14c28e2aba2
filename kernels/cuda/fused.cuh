// Device helpers shared by the fused CUDA kernels: warp and block reductions, host-side argument checks.
// Element conversion and 16-byte packs come from values.cuh.
#pragma once
#include <cuda_bf16.h>

#include <cstdint>
#include <string>
#include <type_traits>

#include "launch.cuh"
#include "values.cuh"

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

// Host-side re-checks of the fused launchers; each failure names the kernel, the argument and its shape.
inline void require(bool ok, const char* kernel, const std::string& what) {
  if (!ok) throw KernelError(std::string(kernel) + ": " + what);
}

// A contiguous f32/bf16 tensor of `ndim` dims.
inline void check_dense_float(const char* kernel, const char* name, const TensorView& t, int ndim) {
  require(t.ndim == ndim && t.is_contiguous() && is_float(t.dtype), kernel,
          std::string(name) + " must be a contiguous f32 or bf16 tensor of " + std::to_string(ndim) + " dims, got " +
              dtype_name(t.dtype) + " " + shape_str(t) + (t.is_contiguous() ? "" : " (strided)"));
}

// Exactly `shape` (1-D), dtype `d`, contiguous.
inline void check_vector(const char* kernel, const char* name, const TensorView& t, int64_t n, DType d) {
  require(t.ndim == 1 && t.shape[0] == n && t.dtype == d && t.is_contiguous(), kernel,
          std::string(name) + " must be a contiguous " + dtype_name(d) + " [" + std::to_string(n) + "], got " +
              dtype_name(t.dtype) + " " + shape_str(t));
}

// Calls f(TypeTag<T>{}) for the two float storage types.
template <typename F> void dispatch_float(const char* kernel, DType d, F&& f) {
  if (d == DType::f32) f(TypeTag<float>{});
  else if (d == DType::bf16) f(TypeTag<__nv_bfloat16>{});
  else throw KernelError(std::string(kernel) + ": expected f32 or bf16, got " + dtype_name(d));
}

// Scratch memory from the stream-ordered pool (the addon keeps freed blocks cached, so this is cheap);
// freed in stream order when the owner leaves scope, after the kernels queued before that point.
class StreamScratch {
 public:
  StreamScratch(const char* kernel, size_t bytes, cudaStream_t stream) : stream_(stream) {
    check_cuda(cudaMallocAsync(&ptr_, bytes ? bytes : 1, stream), kernel, "cudaMallocAsync (scratch)");
  }
  ~StreamScratch() { cudaFreeAsync(ptr_, stream_); }
  StreamScratch(const StreamScratch&) = delete;
  StreamScratch& operator=(const StreamScratch&) = delete;
  template <typename T> T* as() const { return static_cast<T*>(ptr_); }

 private:
  void* ptr_ = nullptr;
  cudaStream_t stream_;
};

}  // namespace slmkit
