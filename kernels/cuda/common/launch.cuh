// Helpers shared by the CUDA launchers: argument checks that name the kernel, launch sizing, error checks.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "slmkit/checks.h"
#include "slmkit/op_args.h"

namespace slmkit {

inline cudaStream_t stream_of(const OpArgs& a) { return static_cast<cudaStream_t>(a.stream); }

// Turns a failed CUDA call or launch into a KernelError naming the kernel. The thread's "last error" is
// cleared so that the next launch check does not report this failure again as its own.
inline void check_cuda(cudaError_t err, const char* kernel, const char* what) {
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw KernelError(std::string(kernel) + ": " + what + " failed: " + cudaGetErrorName(err) + ": " +
                      cudaGetErrorString(err));
  }
}

// Launch errors (bad configuration, no kernel image for this GPU) surface here; faults inside the kernel
// surface at the next synchronising call, which is how CUDA reports asynchronous errors.
inline void check_launch(const char* kernel) { check_cuda(cudaGetLastError(), kernel, "kernel launch"); }

// Whether environment variable var is set to value (the few documented user controls, such as
// SLMKIT_DISABLE_OVERLAP=1 and SLMKIT_CUDA_PRE_HOPPER=1).
inline bool env_is(const char* var, const char* value) {
  const char* env = std::getenv(var);
  return env && std::strcmp(env, value) == 0;
}

// An attribute of the current device (multiprocessors, shared memory, compute capability).
inline int device_attribute(const char* kernel, cudaDeviceAttr attr) {
  int device = 0, value = 0;
  check_cuda(cudaGetDevice(&device), kernel, "cudaGetDevice");
  check_cuda(cudaDeviceGetAttribute(&value, attr, device), kernel, "cudaDeviceGetAttribute");
  return value;
}

// Dynamic shared memory above 48 KiB must be allowed per kernel before launching.
template <typename K> void allow_smem(K kernel, size_t bytes, const char* name) {
  if (bytes > 48 * 1024)
    check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes)), name,
               "cudaFuncSetAttribute");
}

constexpr int kBlockThreads = 256;

// Blocks for a grid-stride loop over n elements. The cap keeps a few waves resident on any GPU we build
// for (at most 132 SMs x 8 blocks of 256 threads at once) without a device query per launch; larger
// tensors are covered by the loop.
inline unsigned grid_for(int64_t n) {
  int64_t blocks = (n + kBlockThreads - 1) / kBlockThreads;
  return static_cast<unsigned>(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

// Calls f(TypeTag<T>{}) with the storage type of dtype d: float, __nv_bfloat16, int32_t, or uint8_t for bool.
template <typename T> struct TypeTag { using type = T; };

template <typename F> void dispatch_dtype(DType d, F&& f) {
  switch (d) {
    case DType::f32: f(TypeTag<float>{}); return;
    case DType::bf16: f(TypeTag<__nv_bfloat16>{}); return;
    case DType::i32: f(TypeTag<int32_t>{}); return;
    case DType::boolean: f(TypeTag<uint8_t>{}); return;
  }
  throw KernelError(std::string("unknown dtype code ") + std::to_string(static_cast<int>(d)));
}

// A device limit of a launcher (the contract headers check everything else); the message names the kernel.
inline void require(bool ok, const char* kernel, const std::string& what) {
  if (!ok) kernel_fail(kernel, what);
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
