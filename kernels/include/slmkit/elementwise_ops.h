// The scalar semantics of the elementwise ops and of conversions to i32, one definition for both device
// families: kernels/cpu (g++) and kernels/cuda (nvcc, where each functor is __host__ __device__). A functor
// works on the compute type (f32 for both float dtypes, int32 for i32) and says which dtypes it takes.
// Float maths that the CPU does with vectorised array routines (exp, log, tanh, sigmoid, silu, gelu, erf,
// sqrt, sin, ...) stay in each backend's file.
#pragma once
#include <cmath>
#include <cstdint>

#include "slmkit/host_device.h"

namespace slmkit {

// A number as i32 with copy's rule, shared by copy, fill and arange: truncated toward zero; NaN and values
// outside the i32 range give INT32_MIN, which is what x86's cvttsd2si (and so PyTorch on x86) produces,
// where a plain cast would be undefined.
SLMKIT_HOST_DEVICE int32_t f64_to_i32(double v) {
  return (v > -2147483649.0 && v < 2147483648.0) ? static_cast<int32_t>(v) : INT32_MIN;
}

// Integer arithmetic wraps (two's complement) like PyTorch's int32 ops; doing it in uint32 avoids
// signed-overflow undefined behaviour.
SLMKIT_HOST_DEVICE int32_t wrap(uint32_t v) { return static_cast<int32_t>(v); }

// ---- unary ----

struct neg_op {
  static constexpr bool allows_i32 = true;
  SLMKIT_HOST_DEVICE float operator()(float x) const { return -x; }
  SLMKIT_HOST_DEVICE int32_t operator()(int32_t x) const { return wrap(0u - static_cast<uint32_t>(x)); }
};
struct abs_op {
  static constexpr bool allows_i32 = true;
  SLMKIT_HOST_DEVICE float operator()(float x) const { return fabsf(x); }
  SLMKIT_HOST_DEVICE int32_t operator()(int32_t x) const { return x < 0 ? wrap(0u - static_cast<uint32_t>(x)) : x; }
};
// `x < 0 ? 0 : x` keeps NaN (as PyTorch's relu does); `x > 0 ? x : 0` would turn it into 0.
struct relu_op {
  static constexpr bool allows_i32 = true;
  template <typename V> SLMKIT_HOST_DEVICE V operator()(V x) const { return x < 0 ? V(0) : x; }
};

// clamp(x, lo, hi) = min(max(x, lo), hi): NaN in x stays NaN, and lo > hi gives hi everywhere (PyTorch).
template <typename V> struct clamp_op {
  V lo, hi;
  SLMKIT_HOST_DEVICE V operator()(V x) const {
    V v = x < lo ? lo : x;
    return v > hi ? hi : v;
  }
};

// pow_scalar: the exponents with exact cheap forms skip powf (~10x slower), as PyTorch does.
enum class PowForm { identity, square, sqrt, reciprocal, general };
SLMKIT_HOST_DEVICE float pow_by_form(float x, float e, PowForm form) {
  switch (form) {
    case PowForm::identity: return x;
    case PowForm::square: return x * x;
    case PowForm::sqrt: return sqrtf(x);
    case PowForm::reciprocal: return 1.0f / x;
    default: return powf(x, e);
  }
}

// ---- binary arithmetic ----

struct add_op {
  static constexpr bool allows_i32 = true;
  SLMKIT_HOST_DEVICE float operator()(float a, float b) const { return a + b; }
  SLMKIT_HOST_DEVICE int32_t operator()(int32_t a, int32_t b) const { return wrap(uint32_t(a) + uint32_t(b)); }
};
struct sub_op {
  static constexpr bool allows_i32 = true;
  SLMKIT_HOST_DEVICE float operator()(float a, float b) const { return a - b; }
  SLMKIT_HOST_DEVICE int32_t operator()(int32_t a, int32_t b) const { return wrap(uint32_t(a) - uint32_t(b)); }
};
struct mul_op {
  static constexpr bool allows_i32 = true;
  SLMKIT_HOST_DEVICE float operator()(float a, float b) const { return a * b; }
  SLMKIT_HOST_DEVICE int32_t operator()(int32_t a, int32_t b) const { return wrap(uint32_t(a) * uint32_t(b)); }
};
struct div_op {
  static constexpr bool allows_i32 = false;
  SLMKIT_HOST_DEVICE float operator()(float a, float b) const { return a / b; }
};
struct pow_op {
  static constexpr bool allows_i32 = false;
  SLMKIT_HOST_DEVICE float operator()(float a, float b) const { return powf(a, b); }
};
// A NaN on either side wins (PyTorch's maximum/minimum propagate NaN; std::max and fmaxf would not).
struct maximum_op {
  static constexpr bool allows_i32 = true;
  SLMKIT_HOST_DEVICE float operator()(float a, float b) const { return (a > b || a != a) ? a : b; }
  SLMKIT_HOST_DEVICE int32_t operator()(int32_t a, int32_t b) const { return a > b ? a : b; }
};
struct minimum_op {
  static constexpr bool allows_i32 = true;
  SLMKIT_HOST_DEVICE float operator()(float a, float b) const { return (a < b || a != a) ? a : b; }
  SLMKIT_HOST_DEVICE int32_t operator()(int32_t a, int32_t b) const { return a < b ? a : b; }
};

// ---- comparisons (-> bool); eq and ne also take bool ----

#define SLMKIT_COMPARE(name_, oper, bool_ok)                                                      \
  struct name_##_op {                                                                             \
    static constexpr bool allows_bool = bool_ok;                                                  \
    template <typename V> SLMKIT_HOST_DEVICE bool operator()(V a, V b) const { return a oper b; } \
  };
SLMKIT_COMPARE(eq, ==, true)
SLMKIT_COMPARE(ne, !=, true)
SLMKIT_COMPARE(lt, <, false)
SLMKIT_COMPARE(le, <=, false)
SLMKIT_COMPARE(gt, >, false)
SLMKIT_COMPARE(ge, >=, false)
#undef SLMKIT_COMPARE

}  // namespace slmkit
