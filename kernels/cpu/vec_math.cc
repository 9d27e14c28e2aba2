// Dispatch of the vectorised float maths by active_isa(), and the portable scalar versions.
#include "vec_math.h"

#include <cmath>
#include <limits>

#include "cpu_features.h"
#include "vec_math_isa.h"

namespace slmkit {
namespace {

// The scalar forms the kernels used before vectorisation; they define the baseline results.
template <float (*F)(float)> void map_scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = F(x[i]);
}
float exp_s(float x) { return std::exp(x); }
float log_s(float x) { return std::log(x); }
float tanh_s(float x) { return std::tanh(x); }
float sigmoid_s(float x) { return 1.0f / (1.0f + std::exp(-x)); }
float silu_s(float x) { return x / (1.0f + std::exp(-x)); }
float gelu_s(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f)); }
float erf_s(float x) { return std::erf(x); }

float max_s(const float* x, int64_t n) {
  // Eight independent lanes so the loop vectorises; NaNs never compare greater, so they are skipped.
  constexpr int kLanes = 8;
  float lane[kLanes];
  std::fill(lane, lane + kLanes, -std::numeric_limits<float>::infinity());
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] = x[j + l] > lane[l] ? x[j + l] : lane[l];
  for (; j < n; ++j) lane[0] = x[j] > lane[0] ? x[j] : lane[0];
  float m = lane[0];
  for (int l = 1; l < kLanes; ++l) m = lane[l] > m ? lane[l] : m;
  return m;
}

double exp_sum_s(const float* x, float m, float* y, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float e = std::exp(x[i] - m);
    if (y) y[i] = e;
    s += e;
  }
  return s;
}

void box_muller_s(const float* u1, const float* u2, float* z, int64_t n) {
  constexpr float two_pi = 6.28318530717958647f;
  for (int64_t i = 0; i < n; ++i) z[i] = std::sqrt(-2.0f * std::log(u1[i])) * std::cos(two_pi * u2[i]);
}

// Four independent f64 lanes, which the compiler vectorises without reassociating a single sum.
double dot_s(const float* a, const float* b, int64_t n) {
  double lane[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) lane[l] += static_cast<double>(a[i + l]) * b[i + l];
  double tail = 0;
  for (; i < n; ++i) tail += static_cast<double>(a[i]) * b[i];
  return (lane[0] + lane[2]) + (lane[1] + lane[3]) + tail;
}

const vec_math_table kBaseline{
    map_scalar<exp_s>,
    map_scalar<log_s>,
    map_scalar<tanh_s>,
    map_scalar<sigmoid_s>,
    map_scalar<silu_s>,
    map_scalar<gelu_s>,
    map_scalar<erf_s>,
    max_s,
    exp_sum_s,
    box_muller_s,
    dot_s,
};

// Looked up per call: tests switch the ISA at run time.
const vec_math_table& table() {
  switch (active_isa()) {
    case Isa::avx512: return vec_math_avx512();
    case Isa::avx2: return vec_math_avx2();
    default: return kBaseline;
  }
}

}  // namespace

void vec_exp(const float* x, float* y, int64_t n) { table().exp(x, y, n); }
void vec_log(const float* x, float* y, int64_t n) { table().log(x, y, n); }
void vec_tanh(const float* x, float* y, int64_t n) { table().tanh(x, y, n); }
void vec_sigmoid(const float* x, float* y, int64_t n) { table().sigmoid(x, y, n); }
void vec_silu(const float* x, float* y, int64_t n) { table().silu(x, y, n); }
void vec_gelu(const float* x, float* y, int64_t n) { table().gelu(x, y, n); }
void vec_erf(const float* x, float* y, int64_t n) { table().erf(x, y, n); }
float vec_max(const float* x, int64_t n) { return table().max(x, n); }
double vec_exp_sum(const float* x, float m, float* y, int64_t n) { return table().exp_sum(x, m, y, n); }
void vec_box_muller(const float* u1, const float* u2, float* z, int64_t n) { table().box_muller(u1, u2, z, n); }
double vec_dot(const float* a, const float* b, int64_t n) { return table().dot(a, b, n); }

}  // namespace slmkit
