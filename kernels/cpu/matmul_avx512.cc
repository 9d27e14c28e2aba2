// AVX-512 matmul micro-kernel: 14x32 register tiles over packed A/B panels (called by matmul.cc).
#include <immintrin.h>

#include <algorithm>

#include "matmul.h"

namespace slmkit {
namespace {

constexpr int kMr = kMatmulAvx512Mr;
constexpr int kNr = kMatmulAvx512Nr;

// One register tile: c[0:m, 0:n] (row stride ldc) = (accumulate ? c : 0) + a^T b, where
// a: packed A panel [kc][kMr], b: packed B panel [kc][kNr]. m <= kMr, n <= kNr.
inline void tile_14x32(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n,
                       bool accumulate) {
  __m512 lo[kMr], hi[kMr];
#pragma GCC unroll 14
  for (int r = 0; r < kMr; ++r) lo[r] = hi[r] = _mm512_setzero_ps();
  // Warm the C rows we will read-modify-write at the end while the FMAs run.
  if (accumulate) {
    for (int r = 0; r < m; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16), _MM_HINT_T0);
    }
  }
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 14
    for (int r = 0; r < kMr; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      lo[r] = _mm512_fmadd_ps(ar, b0, lo[r]);
      hi[r] = _mm512_fmadd_ps(ar, b1, hi[r]);
    }
    a += kMr;
    b += kNr;
  }
  if (m == kMr && n == kNr) {
#pragma GCC unroll 14
    for (int r = 0; r < kMr; ++r) {
      float* row = c + r * ldc;
      if (accumulate) {
        lo[r] = _mm512_add_ps(lo[r], _mm512_loadu_ps(row));
        hi[r] = _mm512_add_ps(hi[r], _mm512_loadu_ps(row + 16));
      }
      _mm512_storeu_ps(row, lo[r]);
      _mm512_storeu_ps(row + 16, hi[r]);
    }
    return;
  }
  // Edge tile: masked loads/stores never touch memory outside the first n columns, so rows and
  // columns past the end of C are never read or written.
  const __mmask16 mask_lo = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1);
  const __mmask16 mask_hi = n <= 16 ? __mmask16(0) : __mmask16((1u << (n - 16)) - 1);
#pragma GCC unroll 14
  for (int r = 0; r < kMr; ++r) {
    if (r >= m) break;
    float* row = c + r * ldc;
    if (accumulate) {
      lo[r] = _mm512_add_ps(lo[r], _mm512_maskz_loadu_ps(mask_lo, row));
      hi[r] = _mm512_add_ps(hi[r], _mm512_maskz_loadu_ps(mask_hi, row + 16));
    }
    _mm512_mask_storeu_ps(row, mask_lo, lo[r]);
    _mm512_mask_storeu_ps(row + 16, mask_hi, hi[r]);
  }
}

}  // namespace

// pa: [ceil(mc/14)][kc][14], pb: [ceil(nc/32)][kc][32], c: [mc, nc] with row stride ldc.
void matmul_block_avx512(int64_t mc, int64_t nc, int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc,
                         bool accumulate) {
  // B micro-panel outer, A micro-panel inner: the kc x 32 B panel stays in L1 while the whole packed
  // A block (sized for L2 by the caller) streams past it.
  for (int64_t j = 0; j < nc; j += kNr) {
    const int n = static_cast<int>(std::min<int64_t>(kNr, nc - j));
    const float* bp = pb + j * kc;
    for (int64_t i = 0; i < mc; i += kMr) {
      const int m = static_cast<int>(std::min<int64_t>(kMr, mc - i));
      tile_14x32(kc, pa + i * kc, bp, c + i * ldc + j, ldc, m, n, accumulate);
    }
  }
}

}  // namespace slmkit
