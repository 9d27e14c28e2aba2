// Which kernels this GPU runs: the one switch between the Hopper kernels (wgmma, TMA and bulk copies,
// sm_90+) and the kernels every other supported GPU runs (sm_80/86/89). Each op's launcher picks its
// kernel from this and its shape class; native/KERNELS.md has the table.
#pragma once
#include <cuda_runtime.h>

#include "launch.cuh"

namespace slmkit {

// What the launchers ask of the GPU. The addon drives one device per process, so it is queried once.
struct GpuInfo {
  int major = 0, minor = 0;
  int multiprocessors = 0;
  int smem_per_block_optin = 0;  // bytes of dynamic shared memory a block may opt in to
};

inline const GpuInfo& gpu_info(const char* kernel) {
  static const GpuInfo info = [kernel] {
    GpuInfo g;
    g.major = device_attribute(kernel, cudaDevAttrComputeCapabilityMajor);
    g.minor = device_attribute(kernel, cudaDevAttrComputeCapabilityMinor);
    g.multiprocessors = device_attribute(kernel, cudaDevAttrMultiProcessorCount);
    g.smem_per_block_optin = device_attribute(kernel, cudaDevAttrMaxSharedMemoryPerBlockOptin);
    return g;
  }();
  return info;
}

// True where the Hopper kernels run: compute capability 9.0 or later, unless SLMKIT_CUDA_PRE_HOPPER=1
// (read once per process), which runs the kernels of the GPUs before Hopper instead: the GPU tests use it
// to cover on a Hopper card what A100, A10 and L4 users run, and a user can use it to rule a Hopper
// kernel out.
inline bool hopper_kernels(const char* kernel) {
  static const bool pre_hopper = env_is("SLMKIT_CUDA_PRE_HOPPER", "1");
  return !pre_hopper && gpu_info(kernel).major >= 9;
}

}  // namespace slmkit
