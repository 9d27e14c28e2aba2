// Thin wrappers over AVX2 (8-lane) and AVX-512 (16-lane) float vectors, so SIMD algorithms are written once.
//
// Include only from *_avx2.cc / *_avx512.cc files. Everything here has internal linkage: an inline helper
// compiled with AVX-512 in one file must never be merged by the linker into code the AVX2 or baseline
// paths run, which is what could happen to ordinary inline functions shared between those files.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace slmkit {
namespace {

// Each vector type V provides: V::width; V(float) (broadcast); V::load / store (unaligned);
// V::load_first / store_first (lanes [0, n) only, n <= width, nothing touched past them; loaded lanes
// above n are 0); V::first(n) (mask of lanes [0, n)); arithmetic operators; and the free functions below.
// vmin/vmax return their second argument when either is NaN (the x86 rule), which callers use to choose
// whether a NaN passes through.

#ifdef __AVX2__
struct f32x8 {
  static constexpr int width = 8;
  struct mask { __m256 m; };
  __m256 v;
  f32x8() = default;
  f32x8(__m256 x) : v(x) {}
  explicit f32x8(float x) : v(_mm256_set1_ps(x)) {}
  static __m256i first_bits(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static mask first(int64_t n) { return {_mm256_castsi256_ps(first_bits(n))}; }
  static f32x8 load(const float* p) { return _mm256_loadu_ps(p); }
  static f32x8 load_first(const float* p, int64_t n) { return _mm256_maskload_ps(p, first_bits(n)); }
  void store(float* p) const { _mm256_storeu_ps(p, v); }
  void store_first(float* p, int64_t n) const { _mm256_maskstore_ps(p, first_bits(n), v); }
};
inline f32x8 operator+(f32x8 a, f32x8 b) { return _mm256_add_ps(a.v, b.v); }
inline f32x8 operator-(f32x8 a, f32x8 b) { return _mm256_sub_ps(a.v, b.v); }
inline f32x8 operator*(f32x8 a, f32x8 b) { return _mm256_mul_ps(a.v, b.v); }
inline f32x8 operator/(f32x8 a, f32x8 b) { return _mm256_div_ps(a.v, b.v); }
inline f32x8 operator-(f32x8 a) { return _mm256_xor_ps(a.v, _mm256_set1_ps(-0.0f)); }
inline f32x8 fma(f32x8 a, f32x8 b, f32x8 c) { return _mm256_fmadd_ps(a.v, b.v, c.v); }
inline f32x8 vmin(f32x8 a, f32x8 b) { return _mm256_min_ps(a.v, b.v); }
inline f32x8 vmax(f32x8 a, f32x8 b) { return _mm256_max_ps(a.v, b.v); }
inline f32x8 sqrt(f32x8 a) { return _mm256_sqrt_ps(a.v); }
inline f32x8 abs(f32x8 a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a.v); }
// |mag| with the sign bit of sgn.
inline f32x8 copysign(f32x8 mag, f32x8 sgn) {
  const __m256 s = _mm256_set1_ps(-0.0f);
  return _mm256_or_ps(_mm256_andnot_ps(s, mag.v), _mm256_and_ps(s, sgn.v));
}
inline f32x8 round_nearest(f32x8 a) { return _mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline f32x8 floor(f32x8 a) { return _mm256_round_ps(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
// 2^k for whole k in [-126, 127], built directly in the exponent field.
inline f32x8 pow2i(f32x8 k) {
  const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(k.v), _mm256_set1_epi32(127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}
// For positive normal x: returns m in [1, 2) and sets e (a whole float) so that x = m * 2^e.
inline f32x8 split_exponent(f32x8 x, f32x8& e) {
  const __m256i b = _mm256_castps_si256(x.v);
  e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(b, 23), _mm256_set1_epi32(127)));
  const __m256i m = _mm256_or_si256(_mm256_and_si256(b, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f800000));
  return _mm256_castsi256_ps(m);
}
inline f32x8::mask operator<(f32x8 a, f32x8 b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ)}; }
inline f32x8::mask operator>(f32x8 a, f32x8 b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_GT_OQ)}; }
inline f32x8::mask operator==(f32x8 a, f32x8 b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_EQ_OQ)}; }
inline f32x8::mask operator&(f32x8::mask a, f32x8::mask b) { return {_mm256_and_ps(a.m, b.m)}; }
inline f32x8::mask operator|(f32x8::mask a, f32x8::mask b) { return {_mm256_or_ps(a.m, b.m)}; }
// m ? a : b, per lane.
inline f32x8 select(f32x8::mask m, f32x8 a, f32x8 b) { return _mm256_blendv_ps(b.v, a.v, m.m); }
inline float hsum(f32x8 a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
inline float hmax(f32x8 a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
}
#endif  // __AVX2__

#ifdef __AVX512F__
struct f32x16 {
  static constexpr int width = 16;
  using mask = __mmask16;
  __m512 v;
  f32x16() = default;
  f32x16(__m512 x) : v(x) {}
  explicit f32x16(float x) : v(_mm512_set1_ps(x)) {}
  static mask first(int64_t n) { return static_cast<mask>((1u << n) - 1u); }
  static f32x16 load(const float* p) { return _mm512_loadu_ps(p); }
  static f32x16 load_first(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(first(n), p); }
  void store(float* p) const { _mm512_storeu_ps(p, v); }
  void store_first(float* p, int64_t n) const { _mm512_mask_storeu_ps(p, first(n), v); }
};
inline f32x16 operator+(f32x16 a, f32x16 b) { return _mm512_add_ps(a.v, b.v); }
inline f32x16 operator-(f32x16 a, f32x16 b) { return _mm512_sub_ps(a.v, b.v); }
inline f32x16 operator*(f32x16 a, f32x16 b) { return _mm512_mul_ps(a.v, b.v); }
inline f32x16 operator/(f32x16 a, f32x16 b) { return _mm512_div_ps(a.v, b.v); }
inline f32x16 operator-(f32x16 a) {
  return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a.v), _mm512_set1_epi32(INT32_MIN)));
}
inline f32x16 fma(f32x16 a, f32x16 b, f32x16 c) { return _mm512_fmadd_ps(a.v, b.v, c.v); }
inline f32x16 vmin(f32x16 a, f32x16 b) { return _mm512_min_ps(a.v, b.v); }
inline f32x16 vmax(f32x16 a, f32x16 b) { return _mm512_max_ps(a.v, b.v); }
inline f32x16 sqrt(f32x16 a) { return _mm512_sqrt_ps(a.v); }
inline f32x16 abs(f32x16 a) { return _mm512_abs_ps(a.v); }
inline f32x16 copysign(f32x16 mag, f32x16 sgn) {
  // Bit select: sign bit from sgn, the rest from mag. Ternary-logic table for (a, b, c) -> c ? b : a per
  // bit, indexed by a*4 + b*2 + c: 0xD8.
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(mag.v), _mm512_castps_si512(sgn.v),
                                                       _mm512_set1_epi32(INT32_MIN), 0xD8));
}
inline f32x16 round_nearest(f32x16 a) {
  return _mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
inline f32x16 floor(f32x16 a) { return _mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
inline f32x16 pow2i(f32x16 k) {
  const __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(k.v), _mm512_set1_epi32(127));
  return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}
inline f32x16 split_exponent(f32x16 x, f32x16& e) {
  // getexp/getmant do exactly this for normal x in one instruction each.
  e = _mm512_getexp_ps(x.v);
  return _mm512_getmant_ps(x.v, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
}
inline f32x16::mask operator<(f32x16 a, f32x16 b) { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ); }
inline f32x16::mask operator>(f32x16 a, f32x16 b) { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_GT_OQ); }
inline f32x16::mask operator==(f32x16 a, f32x16 b) { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_EQ_OQ); }
inline f32x16 select(f32x16::mask m, f32x16 a, f32x16 b) { return _mm512_mask_blend_ps(m, b.v, a.v); }
inline float hsum(f32x16 a) { return _mm512_reduce_add_ps(a.v); }
inline float hmax(f32x16 a) { return _mm512_reduce_max_ps(a.v); }
#endif  // __AVX512F__

}  // namespace
}  // namespace slmkit
