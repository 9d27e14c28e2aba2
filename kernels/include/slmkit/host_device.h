// SLMKIT_HOST_DEVICE marks maths that the CPU (g++) and CUDA (nvcc) kernel families share: one definition,
// compiled for the host and, in .cu files, for the device too.
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
