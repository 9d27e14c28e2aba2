// Element access shared by the CUDA kernel families: storage type <-> compute type (f32 for both float
// dtypes, int32 for i32, bool for bool), 16-byte packs, numeric dtype dispatch, and the grouped
// reduction used by reduce and softmax.
#pragma once
#include <cuda_bf16.h>

#include <cstdint>
#include <type_traits>

#include "launch.cuh"

namespace slmkit {

template <typename T> struct compute_of { using type = float; };
template <> struct compute_of<int32_t> { using type = int32_t; };
template <> struct compute_of<uint8_t> { using type = bool; };
template <typename T> using compute_t = typename compute_of<T>::type;

__device__ __forceinline__ float load(float v) { return v; }
__device__ __forceinline__ float load(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ int32_t load(int32_t v) { return v; }
// Any non-zero byte reads as true, as on the CPU.
__device__ __forceinline__ bool load(uint8_t v) { return v != 0; }

// bf16 stores round to nearest even from f32 (KERNELS.md), which is what __float2bfloat16_rn does.
template <typename T> __device__ __forceinline__ T store(compute_t<T> v) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __float2bfloat16_rn(v);
  else if constexpr (std::is_same_v<T, uint8_t>) return v ? 1 : 0;
  else return v;
}

// N elements moved as one load or store; N * sizeof(T) == 16 gives the 128-bit accesses that reach
// full memory bandwidth.
template <typename T, int N> struct alignas(sizeof(T) * N) Pack { T v[N]; };

template <typename T> constexpr int kPack16 = 16 / sizeof(T);

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

// Calls f(TypeTag<T>) for f32 and bf16, and for i32 when allow_i32; other dtypes were rejected by the caller.
template <typename F> void dispatch_numeric(DType d, bool allow_i32, F&& f) {
  if (d == DType::f32) f(TypeTag<float>{});
  else if (d == DType::bf16) f(TypeTag<__nv_bfloat16>{});
  else if (allow_i32 && d == DType::i32) f(TypeTag<int32_t>{});
}

}  // namespace slmkit
