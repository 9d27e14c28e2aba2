// AVX2+FMA matmul micro-kernel: 6x16 register tiles over packed A/B panels (called by matmul.cc).
#include <immintrin.h>

#include <algorithm>

#include "matmul.h"

namespace slmkit {
namespace {

constexpr int kMr = kMatmulAvx2Mr;
constexpr int kNr = kMatmulAvx2Nr;

// Lane mask for the first n (0..8) lanes of a ymm: load 8 ints starting at kLaneMask + 8 - n.
alignas(64) const int32_t kLaneMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

inline __m256i first_lanes(int n) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kLaneMask + 8 - n)); }

// One register tile: c[0:m, 0:n] (row stride ldc) = (accumulate ? c : 0) + a^T b, where
// a: packed A panel [kc][kMr], b: packed B panel [kc][kNr]. m <= kMr, n <= kNr.
inline void tile_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n,
                      bool accumulate) {
  __m256 lo[kMr], hi[kMr];
#pragma GCC unroll 6
  for (int r = 0; r < kMr; ++r) lo[r] = hi[r] = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < kMr; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      lo[r] = _mm256_fmadd_ps(ar, b0, lo[r]);
      hi[r] = _mm256_fmadd_ps(ar, b1, hi[r]);
    }
    a += kMr;
    b += kNr;
  }
  if (m == kMr && n == kNr) {
#pragma GCC unroll 6
    for (int r = 0; r < kMr; ++r) {
      float* row = c + r * ldc;
      if (accumulate) {
        lo[r] = _mm256_add_ps(lo[r], _mm256_loadu_ps(row));
        hi[r] = _mm256_add_ps(hi[r], _mm256_loadu_ps(row + 8));
      }
      _mm256_storeu_ps(row, lo[r]);
      _mm256_storeu_ps(row + 8, hi[r]);
    }
    return;
  }
  // Edge tile: vmaskmov never faults on masked-off lanes, so memory past the end of C is untouched.
  const __m256i mask_lo = first_lanes(std::min(n, 8));
  const __m256i mask_hi = first_lanes(std::max(n - 8, 0));
#pragma GCC unroll 6
  for (int r = 0; r < kMr; ++r) {
    if (r >= m) break;
    float* row = c + r * ldc;
    if (accumulate) {
      lo[r] = _mm256_add_ps(lo[r], _mm256_maskload_ps(row, mask_lo));
      hi[r] = _mm256_add_ps(hi[r], _mm256_maskload_ps(row + 8, mask_hi));
    }
    _mm256_maskstore_ps(row, mask_lo, lo[r]);
    _mm256_maskstore_ps(row + 8, mask_hi, hi[r]);
  }
}

}  // namespace

// pa: [ceil(mc/6)][kc][6], pb: [ceil(nc/16)][kc][16], c: [mc, nc] with row stride ldc.
void matmul_block_avx2(int64_t mc, int64_t nc, int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc,
                       bool accumulate) {
  // B micro-panel outer so the kc x 16 panel stays in L1 across the A block (sized for L2).
  for (int64_t j = 0; j < nc; j += kNr) {
    const int n = static_cast<int>(std::min<int64_t>(kNr, nc - j));
    const float* bp = pb + j * kc;
    for (int64_t i = 0; i < mc; i += kMr) {
      const int m = static_cast<int>(std::min<int64_t>(kMr, mc - i));
      tile_6x16(kc, pa + i * kc, bp, c + i * ldc + j, ldc, m, n, accumulate);
    }
  }
}

}  // namespace slmkit
