// The random streams of rand_uniform, rand_normal and randint (native/KERNELS.md), one definition for both
// device families: the Philox4x32-10 generator and the mappings of its words to numbers, which the CPU and
// CUDA must agree on bit for bit. Only Box-Muller's log and cos are each device's own.
#pragma once
#include <cstdint>

#include "slmkit/host_device.h"

namespace slmkit {

// Elements drawn from one Philox block (four 32-bit words): uniform and randint take one word each,
// normal two (Box-Muller). TypeScript advances its counter offset by numel / per-block, rounded up.
constexpr int kUniformPerBlock = 4;
constexpr int kNormalPerBlock = 2;
constexpr int kRandintPerBlock = 4;

struct PhiloxKey { uint32_t k0, k1; };

struct PhiloxBlock { uint32_t w[4]; };

// key = (seed mod 2^32, floor(seed / 2^32)).
SLMKIT_HOST_DEVICE PhiloxKey philox_key(uint64_t seed) {
  return PhiloxKey{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
}

// The high 32 bits of a 32x32-bit product (one instruction on the GPU).
SLMKIT_HOST_DEVICE uint32_t mul_hi32(uint32_t a, uint32_t b) {
#ifdef __CUDA_ARCH__
  return __umulhi(a, b);
#else
  return static_cast<uint32_t>((uint64_t{a} * b) >> 32);
#endif
}

// Philox4x32-10 (Salmon et al., SC'11, as in Random123) of counter (lo32(n), hi32(n), 0, 0): 10 rounds, each
//   (hi0, lo0) = 0xD2511F53 * c0,  (hi1, lo1) = 0xCD9E8D57 * c2   (32x32 -> 64-bit products)
//   c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
// with the key bumped by (0x9E3779B9, 0xBB67AE85) after every round but the last.
// Known answer: key (0, 0), counter (0, 0, 0, 0) -> (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8).
SLMKIT_HOST_DEVICE PhiloxBlock philox4x32_10(uint64_t n, PhiloxKey key) {
  uint32_t c0 = static_cast<uint32_t>(n), c1 = static_cast<uint32_t>(n >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = key.k0, k1 = key.k1;
  SLMKIT_UNROLL
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const uint32_t hi0 = mul_hi32(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
    const uint32_t hi1 = mul_hi32(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  return PhiloxBlock{{c0, c1, c2, c3}};
}

// The top 24 bits of a word as a float in [0, 1): exactly representable, so no device rounds differently.
SLMKIT_HOST_DEVICE float unit24(uint32_t w) { return static_cast<float>(w >> 8) * (1.0f / 16777216.0f); }

// The same plus 2^-24, in (0, 1].
SLMKIT_HOST_DEVICE float unit24_nonzero(uint32_t w) { return static_cast<float>((w >> 8) + 1) * (1.0f / 16777216.0f); }

// Box-Muller's two uniforms for normal element j (0 or 1) of a block: u1 in (0, 1] from word 2j (the
// argument of its log, never 0), u2 in [0, 1) from word 2j + 1.
struct BoxMullerUniforms { float u1, u2; };
SLMKIT_HOST_DEVICE BoxMullerUniforms box_muller_uniforms(const PhiloxBlock& r, int j) {
  return BoxMullerUniforms{unit24_nonzero(r.w[2 * j]), unit24(r.w[2 * j + 1])};
}

// randint: low + (word mod range), range = high - low in [1, 2^32]. The modulo bias is below
// 2^-32 * range, negligible for the ranges drawn (token ids, shuffles).
SLMKIT_HOST_DEVICE int32_t randint_value(int64_t low, uint64_t range, uint32_t w) {
  return static_cast<int32_t>(low + static_cast<int64_t>(w % range));
}

}  // namespace slmkit
