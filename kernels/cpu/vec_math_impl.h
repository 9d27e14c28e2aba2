// Vectorised float maths written once over a simd_float.h vector type; each ISA file instantiates it.
//
// Include only from *_avx2.cc / *_avx512.cc files, after simd_float.h (internal linkage, see there).
// Polynomial coefficients were fitted for this file (weighted least squares iterated towards minimax on
// the stated intervals, then rounded to float); each comment gives the fitted function and its error.
#pragma once
#include <cstdint>

#include "simd_float.h"
#include "vec_math_isa.h"

namespace slmkit {
namespace {

constexpr float kInf = __builtin_inff();

// c[0] + c[1] x + c[2] x^2 + ... (Horner: the loop unrolls; independent elements hide its latency).
template <class V, int N> inline V poly(V x, const float (&c)[N]) {
  V r(c[N - 1]);
  for (int i = N - 2; i >= 0; --i) r = fma(r, x, V(c[i]));
  return r;
}

// e^x. x = k ln2 + r with k = round(x / ln2), |r| <= ln2/2 (ln2 split in two so r is exact to ~1e-14),
// e^r = 1 + r + r^2 E(r), then scaled by 2^k in two halves so results that land in the subnormal range
// are rounded once, correctly, and k = 128 still overflows to inf.
template <class V> inline V exp_v(V x) {
  // E(r) = (e^r - 1 - r) / r^2 on [-ln2/2, ln2/2]; e^r relative error 3.8e-9.
  static constexpr float E[] = {0.49999994f, 0.16666521f, 0.04166839f, 0.00836871f, 0.001381461f};
  // Beyond [-104, 89] the result is 0 or inf anyway; clamping keeps k in [-150, 128]. A NaN passes
  // (vmin/vmax return their second argument on NaN).
  x = vmin(V(89.0f), vmax(V(-104.0f), x));
  const V k = round_nearest(x * V(1.44269502f));
  V r = fma(k, V(-0.693147182f), x);
  r = fma(k, V(1.90465421e-09f), r);
  const V p = fma(r * r, poly(r, E), r) + V(1.0f);
  const V k1 = floor(k * V(0.5f));
  return p * pow2i(k1) * pow2i(k - k1);
}

// ln x. x = m 2^e with m in [sqrt(1/2), sqrt(2)), so f = m - 1 is exact and small on both sides of 0;
// ln x = e ln2 + f + f^2 L(f). Subnormals are scaled up by 2^23 first.
template <class V> inline V log_v(V x) {
  // L(f) = (ln(1+f) - f) / f^2 on [sqrt(1/2) - 1, sqrt(2) - 1]; ln(1+f) relative error 4.7e-9.
  static constexpr float L[] = {-0.49999988f, 0.33333325f,  -0.25001585f, 0.20001985f, -0.16609056f,
                                0.14181635f,  -0.13242981f, 0.12905502f,  -0.07623061f};
  const auto tiny = x < V(1.17549435e-38f);
  V e;
  V m = split_exponent(select(tiny, x * V(8388608.0f), x), e);
  e = select(tiny, e - V(23.0f), e);
  const auto high = m > V(1.41421354f);
  m = select(high, m * V(0.5f), m);
  e = select(high, e + V(1.0f), e);
  const V f = m - V(1.0f);
  const V p = fma(f * f, poly(f, L), f);
  const V y = fma(e, V(0.693147182f), fma(e, V(-1.90465421e-09f), p));
  // Outside (0, inf): ln 0 = -inf, ln(negative) = NaN, ln inf = inf, NaN stays NaN.
  const V special = select(x < V(0.0f), V(__builtin_nanf("")), select(x == V(0.0f), V(-kInf), x));
  return select((x > V(0.0f)) & (x < V(kInf)), y, special);
}

// tanh x: an odd polynomial near 0, where 1 - 2/(e^2|x| + 1) would cancel; that form elsewhere.
template <class V> inline V tanh_v(V x) {
  // T(s) = (tanh x - x) / x^3 with s = x^2, for |x| <= 0.625; tanh relative error 2.6e-9.
  static constexpr float T[] = {-0.3333333f, 0.13333206f, -0.053946763f, 0.021700704f, -0.008177401f, 0.0021429637f};
  const V a = abs(x);
  const V x2 = x * x;
  const V near = fma(x * x2, poly(x2, T), x);
  const V far = V(1.0f) - V(2.0f) / (exp_v(a + a) + V(1.0f));
  return select(a < V(0.625f), near, copysign(far, x));
}

// sigmoid x = 1 / (1 + t) for x >= 0 and t / (1 + t) for x < 0, with t = e^-|x| <= 1: e^-x never
// overflows, so sigmoid keeps full relative accuracy down to where it becomes subnormal.
template <class V> inline V sigmoid_num(V x, V& den) {
  const V t = exp_v(-abs(x));
  den = V(1.0f) + t;
  return select(x < V(0.0f), t, V(1.0f));
}
template <class V> inline V sigmoid_v(V x) {
  V den;
  const V num = sigmoid_num(x, den);
  return num / den;
}
// x sigmoid(x); at x = -inf that is -inf * 0 = NaN, as PyTorch's x / (1 + e^-x) gives.
template <class V> inline V silu_v(V x) {
  V den;
  const V num = sigmoid_num(x, den);
  return x * num / den;
}

// erf/erfc pieces for a = |t| >= 0 (or NaN): returns erfc(a), and sets s = erf(a) where a < 0.875 (near).
// Near 0, erf is an odd polynomial (relative accuracy for tiny a); beyond, erfc(a) = e^-a^2 R(a) with R
// (the scaled complementary error function) smooth and slowly varying, so a polynomial in a - 2.6875
// fits it; it is clamped at 4.5, past which erfc is below 2e-10 and e^-a^2 alone carries the decay.
template <class V> inline V erfc_abs(V a, V& s, typename V::mask& near) {
  // P(u) = erf(a) / a with u = a^2, on [0, 0.875]; erf relative error 7.4e-8.
  static constexpr float P[] = {1.1283791f, -0.3761255f, 0.11282456f, -0.026791485f, 0.0050322087f, -0.0006203384f};
  // R(a) = e^(a^2) erfc(a) on [0.875, 4.5]; erfc absolute error 4.3e-9.
  static constexpr float R[] = {0.19769202f,     -0.0657847f,    0.02092526f,     -0.006276785f,   0.0020546855f,
                                -0.00051634468f, -9.739665e-05f, -0.00033251324f, -0.00013603033f, -3.2790973e-05f};
  near = a < V(0.875f);
  s = a * poly(a * a, P);
  const V c = poly(vmin(V(4.5f), a) - V(2.6875f), R) * exp_v(-(a * a));
  return select(near, V(1.0f) - s, c);
}

template <class V> inline V erf_v(V x) {
  V s;
  typename V::mask near;
  const V c = erfc_abs(abs(x), s, near);
  return copysign(select(near, s, V(1.0f) - c), x);
}

// x/2 (1 + erf(x/sqrt2)); for x < 0 that is x/2 erfc(|x|/sqrt2), computed without the cancellation
// of 1 + erf. gelu(-inf) is NaN (-inf * 0), as the scalar form gives.
template <class V> inline V gelu_v(V x) {
  V s;
  typename V::mask near;
  const V c = erfc_abs(abs(x * V(0.707106769f)), s, near);
  return V(0.5f) * x * select(x < V(0.0f), c, V(2.0f) - c);
}

// cos a for a in [0, 2pi]: a = k pi/2 + r with |r| <= pi/4 (pi/2 in three parts, so r is exact enough
// for these small k), then sin or cos of r and the sign by the quadrant k mod 4.
template <class V> inline V cos_small_v(V a) {
  // S(u) = (sin r - r) / r^3 and C(u) = (cos r - 1 + r^2/2) / r^4 with u = r^2, on [0, pi/4];
  // relative errors 7.9e-9 and 1.7e-10.
  static constexpr float S[] = {-0.16666655f, 0.008332161f, -0.00019515284f};
  static constexpr float C[] = {0.041666646f, -0.0013887316f, 2.4433157e-05f};
  const V k = round_nearest(a * V(0.636619747f));
  V r = fma(k, V(-1.57079637f), a);
  r = fma(k, V(4.37113883e-08f), r);
  r = fma(k, V(1.71512451e-15f), r);
  const V u = r * r;
  const V sn = fma(r * u, poly(u, S), r);
  const V cs = fma(u * u, poly(u, C), fma(u, V(-0.5f), V(1.0f)));
  const V q = k - V(4.0f) * floor(k * V(0.25f));
  const V y = select((q == V(1.0f)) | (q == V(3.0f)), sn, cs);
  return select((q == V(1.0f)) | (q == V(2.0f)), -y, y);
}

// ---- array routines ----------------------------------------------------------------------------

// y[i] = F(x[i]); the tail is a masked partial vector, so no scalar path exists to disagree with.
template <class V, V (*F)(V)> void map_array(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + V::width <= n; i += V::width) F(V::load(x + i)).store(y + i);
  if (i < n) F(V::load_first(x + i, n - i)).store_first(y + i, n - i);
}

template <class V> float max_array(const float* x, int64_t n) {
  // Four accumulators break the vmax dependency chain. vmax(x, acc) keeps acc when x is NaN.
  V acc[4] = {V(-kInf), V(-kInf), V(-kInf), V(-kInf)};
  int64_t i = 0;
  for (; i + 4 * V::width <= n; i += 4 * V::width)
    for (int u = 0; u < 4; ++u) acc[u] = vmax(V::load(x + i + u * V::width), acc[u]);
  for (; i + V::width <= n; i += V::width) acc[0] = vmax(V::load(x + i), acc[0]);
  if (i < n) acc[1] = vmax(select(V::first(n - i), V::load_first(x + i, n - i), V(-kInf)), acc[1]);
  return hmax(vmax(vmax(acc[0], acc[1]), vmax(acc[2], acc[3])));
}

// Lane sums are kept in f32 for at most kFlush vectors (16 terms per lane, relative error ~1e-6 at
// worst) and then added to an f64 total, so long rows stay accurate.
template <class V> double exp_sum_array(const float* x, float m, float* y, int64_t n) {
  constexpr int kFlush = 16;
  const V vm(m);
  double total = 0;
  V acc(0.0f);
  int pending = 0;
  int64_t i = 0;
  for (; i + V::width <= n; i += V::width) {
    const V e = exp_v(V::load(x + i) - vm);
    if (y) e.store(y + i);
    acc = acc + e;
    if (++pending == kFlush) {
      total += hsum(acc);
      acc = V(0.0f);
      pending = 0;
    }
  }
  if (i < n) {
    const V e = exp_v(V::load_first(x + i, n - i) - vm);
    if (y) e.store_first(y + i, n - i);
    acc = acc + select(V::first(n - i), e, V(0.0f));
  }
  return total + hsum(acc);
}

template <class V> double dot_array(const float* a, const float* b, int64_t n) {
  constexpr int kFlush = 16;
  double total = 0;
  V acc(0.0f);
  int pending = 0;
  int64_t i = 0;
  for (; i + V::width <= n; i += V::width) {
    acc = acc + V::load(a + i) * V::load(b + i);
    if (++pending == kFlush) {
      total += hsum(acc);
      acc = V(0.0f);
      pending = 0;
    }
  }
  // Masked-off lanes load as 0 and add nothing.
  if (i < n) acc = acc + V::load_first(a + i, n - i) * V::load_first(b + i, n - i);
  return total + hsum(acc);
}

template <class V> inline V box_muller_v(V u1, V u2) {
  return sqrt(V(-2.0f) * log_v(u1)) * cos_small_v(u2 * V(6.28318548f));
}

template <class V> void box_muller_array(const float* u1, const float* u2, float* z, int64_t n) {
  int64_t i = 0;
  for (; i + V::width <= n; i += V::width) box_muller_v(V::load(u1 + i), V::load(u2 + i)).store(z + i);
  // Masked-off lanes of u1 read as 0 (log -> -inf); they are never stored.
  if (i < n) box_muller_v(V::load_first(u1 + i, n - i), V::load_first(u2 + i, n - i)).store_first(z + i, n - i);
}

template <class V> const vec_math_table& vec_math_table_for() {
  static const vec_math_table table{
      map_array<V, exp_v<V>>,
      map_array<V, log_v<V>>,
      map_array<V, tanh_v<V>>,
      map_array<V, sigmoid_v<V>>,
      map_array<V, silu_v<V>>,
      map_array<V, gelu_v<V>>,
      map_array<V, erf_v<V>>,
      max_array<V>,
      exp_sum_array<V>,
      box_muller_array<V>,
      dot_array<V>,
  };
  return table;
}

}  // namespace
}  // namespace slmkit
