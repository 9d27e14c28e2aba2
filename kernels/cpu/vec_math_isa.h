// The table of vectorised array routines each ISA file exports; vec_math.cc picks one per call.
#pragma once
#include <cstdint>

namespace slmkit {

// One set of the routines declared in vec_math.h (same contracts), compiled for one instruction set.
struct vec_math_table {
  void (*exp)(const float* x, float* y, int64_t n);
  void (*log)(const float* x, float* y, int64_t n);
  void (*tanh)(const float* x, float* y, int64_t n);
  void (*sigmoid)(const float* x, float* y, int64_t n);
  void (*silu)(const float* x, float* y, int64_t n);
  void (*gelu)(const float* x, float* y, int64_t n);
  void (*erf)(const float* x, float* y, int64_t n);
  float (*max)(const float* x, int64_t n);
  double (*exp_sum)(const float* x, float m, float* y, int64_t n);
  void (*box_muller)(const float* u1, const float* u2, float* z, int64_t n);
  double (*dot)(const float* a, const float* b, int64_t n);
};

// Defined in vec_math_avx2.cc / vec_math_avx512.cc; call only when active_isa() allows it.
const vec_math_table& vec_math_avx2();
const vec_math_table& vec_math_avx512();

}  // namespace slmkit
