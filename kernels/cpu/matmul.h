// Internal declarations shared by the matmul dispatcher (matmul.cc) and its ISA-specific micro-kernels.
#pragma once
#include <cstdint>

namespace slmkit {

// Register-tile sizes of each micro-kernel: a tile is MR rows of C by NR columns.
// AVX-512: 14 x 32 uses 28 of the 32 zmm registers as accumulators (2 zmm per row), leaving room for the
// two B vectors; A values are broadcast straight from memory.
constexpr int kMatmulAvx512Mr = 14;
constexpr int kMatmulAvx512Nr = 32;
// AVX2: 6 x 16 uses 12 of the 16 ymm registers as accumulators.
constexpr int kMatmulAvx2Mr = 6;
constexpr int kMatmulAvx2Nr = 16;

// Multiplies one packed block and writes (or adds to) a row-major block of C:
//   c[0:mc, 0:nc] (row stride ldc) = (accumulate ? c : 0) + A * B
// pa: packed A [ceil(mc/MR) panels][kc][MR], zero-padded rows; 64-byte aligned.
// pb: packed B [ceil(nc/NR) panels][kc][NR], zero-padded columns; 64-byte aligned.
// Edge tiles (mc or nc not a multiple of the tile) are stored through masks: C is never touched
// outside [0:mc, 0:nc].
using MatmulBlockFn = void (*)(int64_t mc, int64_t nc, int64_t kc, const float* pa, const float* pb, float* c,
                               int64_t ldc, bool accumulate);

void matmul_block_avx512(int64_t mc, int64_t nc, int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc,
                         bool accumulate);
void matmul_block_avx2(int64_t mc, int64_t nc, int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc,
                       bool accumulate);

}  // namespace slmkit
