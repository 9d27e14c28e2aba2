// Storage types per dtype, their load/store to a compute type (one element or a row), conversions, and
// dtype -> template dispatch.
#pragma once
#include <cstdint>
#include <type_traits>

#include "bf16.h"
#include "slmkit/elementwise_ops.h"
#include "slmkit/op_args.h"

namespace slmkit {

// Distinct storage types, so that templates can tell bf16 from a uint16_t and bool from a byte.
struct bf16 { uint16_t bits; };
// Stored as one byte; any non-zero byte reads as true (we never trust it to be exactly 0 or 1).
struct boolean { uint8_t v; };

// The type arithmetic happens in: f32 for both float dtypes, int32 for i32, bool for bool.
template <class T> struct compute_type;
template <> struct compute_type<float> { using type = float; };
template <> struct compute_type<bf16> { using type = float; };
template <> struct compute_type<int32_t> { using type = int32_t; };
template <> struct compute_type<boolean> { using type = bool; };
template <class T> using compute_t = typename compute_type<T>::type;

inline float load(float v) { return v; }
inline float load(bf16 v) { return bf16_to_f32(v.bits); }
inline int32_t load(int32_t v) { return v; }
inline bool load(boolean v) { return v.v != 0; }

template <class T> inline T store(compute_t<T> v);
template <> inline float store<float>(float v) { return v; }
template <> inline bf16 store<bf16>(float v) { return bf16{f32_to_bf16(v)}; }
template <> inline int32_t store<int32_t>(int32_t v) { return v; }
template <> inline boolean store<boolean>(bool v) { return boolean{static_cast<uint8_t>(v)}; }

// A row of n elements widened to f32, or f32 results rounded to storage type T.
template <class T> inline void load_row(const T* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = load(src[i]);
}
template <class T> inline void store_row(const float* src, T* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = store<T>(src[i]);
}

// f32 rows are used in place; bf16 rows are widened into `scratch` (n floats) first. Lets the inner
// loops be written once, over float.
template <class T> inline const float* f32_row(const T* src, float* scratch, int64_t n) {
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
template <class T> inline float* f32_out(T* dst, float* scratch) {
  if constexpr (std::is_same_v<T, float>) {
    (void)scratch;
    return dst;
  } else {
    (void)dst;
    return scratch;
  }
}
template <class T> inline void store_if_bf16(const float* src, T* dst, int64_t n) {
  if constexpr (!std::is_same_v<T, float>) store_row(src, dst, n);
}

// Converts one value between any two storage types with the `copy` kernel's rules: ->i32 truncates,
// ->bool is `!= 0` (NaN is true, as in PyTorch), bool->number is 0/1, int->float rounds to nearest.
template <class Dst, class Src> inline Dst convert(Src s) {
  if constexpr (std::is_same_v<Dst, Src>) {
    return s;
  } else if constexpr (std::is_same_v<Dst, boolean>) {
    return boolean{static_cast<uint8_t>(load(s) != 0)};
  } else if constexpr (std::is_same_v<Dst, int32_t>) {
    if constexpr (std::is_same_v<Src, boolean>) return static_cast<int32_t>(load(s));
    else return f64_to_i32(load(s));
  } else {
    return store<Dst>(static_cast<float>(load(s)));
  }
}

// A double (an attribute such as a fill value) as a value of storage type T.
template <class T> inline T from_double(double v) {
  if constexpr (std::is_same_v<T, int32_t>) return f64_to_i32(v);
  else if constexpr (std::is_same_v<T, boolean>) return boolean{static_cast<uint8_t>(v != 0)};
  else return store<T>(static_cast<float>(v));
}

// Calls f(T{}) with T the storage type of `d`, restricted to the dtypes a kernel supports, so that
// only the variants it needs are instantiated. The caller has already rejected other dtypes.
template <class F> inline decltype(auto) dispatch_float(DType d, F&& f) {
  if (d == DType::bf16) return f(bf16{});
  return f(float{});
}
template <class F> inline decltype(auto) dispatch_float_i32(DType d, F&& f) {
  if (d == DType::i32) return f(int32_t{});
  return dispatch_float(d, f);
}
template <class F> inline decltype(auto) dispatch_all(DType d, F&& f) {
  if (d == DType::boolean) return f(boolean{});
  return dispatch_float_i32(d, f);
}

}  // namespace slmkit
