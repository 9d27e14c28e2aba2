// The scalar semantics of the elementwise ops, one definition for both device families: kernels/cpu
// (g++) and kernels/cuda (nvcc, where each functor is __host__ __device__). A functor works on the
// compute type (f32 for both float dtypes, int32 for i32) and says its op name and which dtypes it takes.
// Float maths that the CPU does with vectorised array routines (exp, log, tanh, sigmoid, silu, gelu, erf,
// sqrt, sin, ...) stay in each backend's file.
#pragma once
#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define SLMKIT_SCALAR __host__ __device__ __forceinline__
#else
#define SLMKIT_SCALAR inline
#endif

namespace slmkit {

// Integer arithmetic wraps (two's complement) like PyTorch's int32 ops; doing it in uint32 avoids
// signed-overflow undefined behaviour.
SLMKIT_SCALAR int32_t wrap(uint32_t v) { return static_cast<int32_t>(v); }

// ---- unary ----

struct neg_op {
  static constexpr const char* name = "neg";
  static constexpr bool allows_i32 = true;
  SLMKIT_SCALAR float operator()(float x) const { return -x; }
  SLMKIT_SCALAR int32_t operator()(int32_t x) const { return wrap(0u - static_cast<uint32_t>(x)); }
};
struct abs_op {
  static constexpr const char* name = "abs";
  static constexpr bool allows_i32 = true;
  SLMKIT_SCALAR float operator()(float x) const { return fabsf(x); }
  SLMKIT_SCALAR int32_t operator()(int32_t x) const { return x < 0 ? wrap(0u - static_cast<uint32_t>(x)) : x; }
};
// `x < 0 ? 0 : x` keeps NaN (as PyTorch's relu does); `x > 0 ? x : 0` would turn it into 0.
struct relu_op {
  static constexpr const char* name = "relu";
  static constexpr bool allows_i32 = true;
  template <typename V> SLMKIT_SCALAR V operator()(V x) const { return x < 0 ? V(0) : x; }
};

// clamp(x, lo, hi) = min(max(x, lo), hi): NaN in x stays NaN, and lo > hi gives hi everywhere (PyTorch).
template <typename V> struct clamp_op {
  V lo, hi;
  SLMKIT_SCALAR V operator()(V x) const {
    V v = x < lo ? lo : x;
    return v > hi ? hi : v;
  }
};

// A clamp attribute as an i32 bound: the tightest integer inside it, saturated to the i32 range.
inline int32_t int_bound(double v, bool lower) {
  const double r = lower ? std::ceil(v) : std::floor(v);
  return static_cast<int32_t>(std::fmin(2147483647.0, std::fmax(-2147483648.0, r)));
}

// ---- binary arithmetic ----

struct add_op {
  static constexpr const char* name = "add";
  static constexpr bool allows_i32 = true;
  SLMKIT_SCALAR float operator()(float a, float b) const { return a + b; }
  SLMKIT_SCALAR int32_t operator()(int32_t a, int32_t b) const { return wrap(uint32_t(a) + uint32_t(b)); }
};
struct sub_op {
  static constexpr const char* name = "sub";
  static constexpr bool allows_i32 = true;
  SLMKIT_SCALAR float operator()(float a, float b) const { return a - b; }
  SLMKIT_SCALAR int32_t operator()(int32_t a, int32_t b) const { return wrap(uint32_t(a) - uint32_t(b)); }
};
struct mul_op {
  static constexpr const char* name = "mul";
  static constexpr bool allows_i32 = true;
  SLMKIT_SCALAR float operator()(float a, float b) const { return a * b; }
  SLMKIT_SCALAR int32_t operator()(int32_t a, int32_t b) const { return wrap(uint32_t(a) * uint32_t(b)); }
};
struct div_op {
  static constexpr const char* name = "div";
  static constexpr bool allows_i32 = false;
  SLMKIT_SCALAR float operator()(float a, float b) const { return a / b; }
};
struct pow_op {
  static constexpr const char* name = "pow";
  static constexpr bool allows_i32 = false;
  SLMKIT_SCALAR float operator()(float a, float b) const { return powf(a, b); }
};
// A NaN on either side wins (PyTorch's maximum/minimum propagate NaN; std::max and fmaxf would not).
struct maximum_op {
  static constexpr const char* name = "maximum";
  static constexpr bool allows_i32 = true;
  SLMKIT_SCALAR float operator()(float a, float b) const { return (a > b || a != a) ? a : b; }
  SLMKIT_SCALAR int32_t operator()(int32_t a, int32_t b) const { return a > b ? a : b; }
};
struct minimum_op {
  static constexpr const char* name = "minimum";
  static constexpr bool allows_i32 = true;
  SLMKIT_SCALAR float operator()(float a, float b) const { return (a < b || a != a) ? a : b; }
  SLMKIT_SCALAR int32_t operator()(int32_t a, int32_t b) const { return a < b ? a : b; }
};

// ---- comparisons (-> bool); eq and ne also take bool ----

#define SLMKIT_COMPARE(name_, oper, bool_ok)                                                  \
  struct name_##_op {                                                                         \
    static constexpr const char* name = #name_;                                               \
    static constexpr bool allows_bool = bool_ok;                                              \
    template <typename V> SLMKIT_SCALAR bool operator()(V a, V b) const { return a oper b; } \
  };
SLMKIT_COMPARE(eq, ==, true)
SLMKIT_COMPARE(ne, !=, true)
SLMKIT_COMPARE(lt, <, false)
SLMKIT_COMPARE(le, <=, false)
SLMKIT_COMPARE(gt, >, false)
SLMKIT_COMPARE(ge, >=, false)
#undef SLMKIT_COMPARE

}  // namespace slmkit
