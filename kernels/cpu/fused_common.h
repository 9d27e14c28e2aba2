// Shared pieces of the fused CPU kernels: small vectorisable math helpers.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace slmkit {

// c ? a : b as bit operations. A plain ?: whose arms do arithmetic is not vectorised under the default
// -ftrapping-math (the compiler may not evaluate the untaken arm); this form has no untaken arm.
inline float select_f32(bool c, float a, float b) {
  uint32_t ua, ub;
  std::memcpy(&ua, &a, 4);
  std::memcpy(&ub, &b, 4);
  const uint32_t mask = 0u - static_cast<uint32_t>(c);
  const uint32_t r = (ua & mask) | (ub & ~mask);
  float f;
  std::memcpy(&f, &r, 4);
  return f;
}

// exp(x) in f32 that GCC vectorises (no libm call, branch-free selects). Relative error about 2 ulp for
// x in [-87.3, 88]; below that it returns 0 (exp(-inf) = 0 exactly, which masking relies on), above
// that +inf, and NaN stays NaN. Callers mostly pass x - max <= 0.
inline float exp_approx(float x) {
  constexpr float lo = -87.33654f, hi = 88.0f;
  constexpr float log2e = 1.44269504088896341f;
  constexpr float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;  // ln 2 split so n*ln2_hi is exact
  constexpr float round_magic = 12582912.0f;                           // 1.5 * 2^23: adds round to nearest
  float xc = select_f32(x > lo, x, lo);  // NaN lands on lo here, so the int conversion below is defined
  xc = select_f32(xc < hi, xc, hi);
  float n = (xc * log2e + round_magic) - round_magic;
  float r = (xc - n * ln2_hi) - n * ln2_lo;  // |r| <= ln2/2
  // Taylor to degree 7: the first dropped term r^8/8! is below 1e-8 on |r| <= 0.347.
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  float y = p * scale;
  y = select_f32(x < lo, 0.0f, y);
  y = select_f32(x > hi, std::numeric_limits<float>::infinity(), y);
  return select_f32(x == x, y, x);
}

// Dot product with 8 independent partial sums: without -ffast-math the compiler may not reorder a single
// running sum, but it does vectorise independent lanes.
inline float dot_f32(const float* a, const float* b, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) lane[l] += a[i + l] * b[i + l];
  float tail = 0;
  for (; i < n; ++i) tail += a[i] * b[i];
  return ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7])) + tail;
}

// Sum of n floats with 8 partial sums (vectorisable, see dot_f32).
inline float sum_f32(const float* a, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) lane[l] += a[i + l];
  float tail = 0;
  for (; i < n; ++i) tail += a[i];
  return ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7])) + tail;
}

// Sum of a*b accumulated in f64 (row statistics where the extra precision is cheap).
inline double dot_f64(const float* a, const float* b, int64_t n) {
  double lane[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) lane[l] += static_cast<double>(a[i + l]) * b[i + l];
  double tail = 0;
  for (; i < n; ++i) tail += static_cast<double>(a[i]) * b[i];
  return (lane[0] + lane[2]) + (lane[1] + lane[3]) + tail;
}

// max(a, b) that returns NaN when either is NaN (std::max drops a NaN in its second argument).
inline float max_keep_nan(float a, float b) { return select_f32((b > a) | (b != b), b, a); }

// Maximum of n floats (-inf for n = 0). A NaN sticks once taken (a NaN lane never compares greater).
inline float max_f32(const float* a, int64_t n) {
  constexpr float ninf = -std::numeric_limits<float>::infinity();
  float lane[8] = {ninf, ninf, ninf, ninf, ninf, ninf, ninf, ninf};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) lane[l] = max_keep_nan(lane[l], a[i + l]);
  float m = ninf;
  for (int l = 0; l < 8; ++l) m = max_keep_nan(m, lane[l]);
  for (; i < n; ++i) m = max_keep_nan(m, a[i]);
  return m;
}

}  // namespace slmkit
