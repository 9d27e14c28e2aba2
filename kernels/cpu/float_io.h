// Loading and storing f32|bf16 tensor elements as float, and picking the element type at run time.
#pragma once
#include <cstdint>
#include <string>
#include <type_traits>

#include "bf16.h"
#include "slmkit/op_args.h"

namespace slmkit {

// A distinct element type for bf16 storage, so kernels can be templates over <float | bf16_t>.
struct bf16_t {
  uint16_t bits;
};

inline float to_f32(float x) { return x; }
inline float to_f32(bf16_t x) { return bf16_to_f32(x.bits); }

template <typename T> inline T from_f32(float x);
template <> inline float from_f32<float>(float x) { return x; }
template <> inline bf16_t from_f32<bf16_t>(float x) { return bf16_t{f32_to_bf16(x)}; }

template <typename T> inline void load_row(const T* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = to_f32(src[i]);
}

template <typename T> inline void store_row(const float* src, T* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = from_f32<T>(src[i]);
}

// f32 rows are used in place; bf16 rows are widened into `scratch` (n floats) first. Lets the inner
// loops be written once, over float.
template <typename T> inline const float* f32_row(const T* src, float* scratch, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    (void)scratch;
    (void)n;
    return src;
  } else {
    load_row(src, scratch, n);
    return scratch;
  }
}

// Where a row of results is computed: straight into an f32 destination, or into `scratch` for bf16, which
// store_if_bf16 then rounds into the destination.
template <typename T> inline float* f32_out(T* dst, float* scratch) {
  if constexpr (std::is_same_v<T, float>) {
    (void)scratch;
    return dst;
  } else {
    (void)dst;
    return scratch;
  }
}

template <typename T> inline void store_if_bf16(const float* src, T* dst, int64_t n) {
  if constexpr (!std::is_same_v<T, float>) store_row(src, dst, n);
}

// Calls fn(T{}) with T = float for f32 and T = bf16_t for bf16; any other dtype is a KernelError.
template <typename Fn> inline void dispatch_float(DType d, const char* kernel, const char* what, Fn&& fn) {
  if (d == DType::f32) {
    fn(float{});
  } else if (d == DType::bf16) {
    fn(bf16_t{});
  } else {
    throw KernelError(std::string(kernel) + ": " + what + " must be f32 or bf16, got " + dtype_name(d));
  }
}

}  // namespace slmkit
