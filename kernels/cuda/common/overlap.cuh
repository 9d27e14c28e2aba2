// Programmatic dependent launch (compute capability 9.0 and later): a kernel started by launch_overlapped()
// may be scheduled while the kernel before it in the stream is still finishing, so that its launch and
// block setup hide behind that kernel's last wave. Such a kernel must call wait_for_prior_kernels() before
// it touches global memory: before reading what the previous kernel wrote, and before writing what it may
// still be reading (the caching allocator hands a freed buffer to the next op at once). Older GPUs launch
// it the ordinary way, and the wait compiles to nothing there.
#pragma once
#include <cuda_runtime.h>

#include "kernel_choice.cuh"
#include "launch.cuh"

namespace slmkit {

// First statement of an overlapped kernel. Returns once the kernels before it in the stream have finished
// and their writes are visible; then lets the next overlapped kernel be scheduled once every block of this
// one has passed here (that promises nothing about memory, which the next kernel's own wait guards).
__device__ __forceinline__ void wait_for_prior_kernels() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Whether launches may overlap: compute capability 9.0 or later, unless the environment sets
// SLMKIT_DISABLE_OVERLAP=1, which rules overlap out when chasing a race and lets bench/ time both ways.
// Decided once per process (one device per process, gpu_info()), not per launch. It is a property of the
// GPU, not a kernel choice: SLMKIT_CUDA_PRE_HOPPER=1 leaves it on.
inline bool overlap_supported(const char* kernel) {
  static const bool supported = !env_is("SLMKIT_DISABLE_OVERLAP", "1") && gpu_info(kernel).major >= 9;
  return supported;
}

// kernel<<<grid, block, smem, stream>>>(args...), overlapped where the device allows it. A failed launch
// throws a KernelError naming `name` here, so callers need no check_launch() after it.
template <typename... Params, typename... Args>
void launch_overlapped(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem,
                       cudaStream_t stream, Args... args) {
  cudaLaunchAttribute attr{};
  attr.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr.val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  config.attrs = &attr;
  config.numAttrs = overlap_supported(name) ? 1 : 0;
  check_cuda(cudaLaunchKernelEx(&config, kernel, static_cast<Params>(args)...), name, "cudaLaunchKernelEx");
}

}  // namespace slmkit
