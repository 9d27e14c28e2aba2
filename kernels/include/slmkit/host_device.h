// SLMKIT_HOST_DEVICE marks maths that the CPU (g++) and CUDA (nvcc) kernel families share: one definition,
// compiled for the host and, in .cu files, for the device too. Also here: the one f64 formula whose
// rounding would otherwise depend on the device.
#pragma once

#ifdef __CUDACC__
#define SLMKIT_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define SLMKIT_HOST_DEVICE inline
#endif

// `#pragma unroll` for the device pass only (the host compiler does not know it and would warn).
#ifdef __CUDA_ARCH__
#define SLMKIT_UNROLL _Pragma("unroll")
#else
#define SLMKIT_UNROLL
#endif

namespace slmkit {

// base + scale * v in f64, rounded once per operation: arange's start + i * step, rand_uniform's
// low + (high - low) * u, rand_normal's mean + std * z. On the GPU the intrinsics keep nvcc from fusing it
// into an FMA, which would round differently from the CPU; the CPU files are built for the x86-64 baseline,
// which has no FMA instruction to fuse into.
SLMKIT_HOST_DEVICE double shift_scale(double base, double scale, double v) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(base, __dmul_rn(scale, v));
#else
  return base + scale * v;
#endif
}

}  // namespace slmkit
