// Float maths over contiguous arrays (exp, log, tanh, sigmoid, silu, gelu, erf, softmax pieces, Box-Muller),
// vectorised for AVX2 and AVX-512 and chosen by active_isa() on every call.
//
// The baseline routines are the scalar std:: forms the kernels always used. The AVX2/AVX-512 ones are
// polynomial approximations (vec_math_impl.h) within 2e-7 relative error of the exact result
// (erf and gelu: 3e-7 absolute, relative to max(1, |y|) for gelu), with the same inf/NaN behaviour.
// x and y may be the same array; otherwise they must not overlap.
#pragma once
#include <algorithm>
#include <cstdint>

#include "dtype_dispatch.h"

namespace slmkit {

void vec_exp(const float* x, float* y, int64_t n);
void vec_log(const float* x, float* y, int64_t n);
void vec_tanh(const float* x, float* y, int64_t n);
void vec_sigmoid(const float* x, float* y, int64_t n);  // 1 / (1 + e^-x)
void vec_silu(const float* x, float* y, int64_t n);     // x / (1 + e^-x), so silu(-inf) is NaN as in PyTorch
void vec_gelu(const float* x, float* y, int64_t n);     // x/2 * (1 + erf(x / sqrt 2)), the exact form
void vec_erf(const float* x, float* y, int64_t n);

// max of x[0, n), ignoring NaNs; -inf when n == 0 or every element is NaN.
float vec_max(const float* x, int64_t n);
// sum of e^(x[i] - m) over [0, n) (NaN if any term is), also stored to y[i] when y is not null.
double vec_exp_sum(const float* x, float m, float* y, int64_t n);
// Box-Muller: z[i] = sqrt(-2 ln u1[i]) * cos(2pi_f32 * u2[i]) for u1 in (0, 1], u2 in [0, 1).
void vec_box_muller(const float* u1, const float* u2, float* z, int64_t n);

// Sum of a[i]*b[i] (row statistics, dot products). Vector paths keep per-lane f32 sums of at most 16
// products each and add them into an f64 total (relative error ~1e-6 at worst); the baseline accumulates
// in f64 directly.
double vec_dot(const float* a, const float* b, int64_t n);

// Elements per block where the routines above run on a converted copy (bf16 input, strided views):
// small enough for the stack and L1, long enough to amortise the call.
constexpr int64_t kVecBlock = 512;

// Calls f(block, len, offset) for consecutive blocks of x[0, n) as f32: f32 arrays are passed in place
// (blocks keep a row's repeated passes within L1), other storage types are converted into a stack buffer.
template <class T, class F> void for_f32_blocks(const T* x, int64_t n, F&& f) {
  float buf[kVecBlock];
  for (int64_t off = 0; off < n; off += kVecBlock) {
    const int64_t len = std::min(kVecBlock, n - off);
    f(f32_row(x + off, buf, len), len, off);
  }
}

}  // namespace slmkit
