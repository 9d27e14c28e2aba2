// Counter-based random numbers: rand_uniform, rand_normal and randint from Philox4x32-10.
//
// The stream is fixed by native/KERNELS.md so that the CUDA backend reproduces it bit for bit:
//   key     = (seed mod 2^32, floor(seed / 2^32))
//   counter = (lo32(n), hi32(n), 0, 0) for block n = offset + floor(i / per_block)
//   Philox4x32-10 (Salmon et al., SC'11, as in Random123): 10 rounds, each
//     (hi0, lo0) = 0xD2511F53 * c0,  (hi1, lo1) = 0xCD9E8D57 * c2   (32x32 -> 64-bit products)
//     c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
//   with the key bumped by (0x9E3779B9, 0xBB67AE85) after every round but the last.
// Known answer: key (0, 0), counter (0, 0, 0, 0) -> (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8).
#include <algorithm>
#include <cmath>

#include "dtype_dispatch.h"
#include "slmkit/checks.h"
#include "strided.h"
#include "vec_math.h"
#include "slmkit/random.h"

namespace slmkit {
namespace {

struct philox_block {
  uint32_t w[4];
};

inline philox_block philox4x32_10(uint64_t n, uint32_t k0, uint32_t k1) {
  uint32_t c0 = static_cast<uint32_t>(n), c1 = static_cast<uint32_t>(n >> 32), c2 = 0, c3 = 0;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const uint64_t p0 = uint64_t{0xD2511F53u} * c0;
    const uint64_t p1 = uint64_t{0xCD9E8D57u} * c2;
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  return philox_block{{c0, c1, c2, c3}};
}

// The top 24 bits of a word as a float in [0, 1): exactly representable, so no rounding differs
// between backends.
inline float unit24(uint32_t w) { return static_cast<float>(w >> 8) * (1.0f / 16777216.0f); }

// Seed and offset arrive as doubles; both must be whole numbers in [0, 2^53).
void read_seed_offset(const OpArgs& a, const char* k, uint32_t& k0, uint32_t& k1, uint64_t& offset) {
  const double seed = a.attrs[0], off = a.attrs[1];
  const double limit = 9007199254740992.0;
  if (!(seed >= 0 && seed < limit && std::floor(seed) == seed)) kernel_fail(k, "seed must be a whole number in [0, 2^53)");
  if (!(off >= 0 && off < limit && std::floor(off) == off)) kernel_fail(k, "offset must be a whole number in [0, 2^53)");
  const uint64_t s = static_cast<uint64_t>(seed);
  k0 = static_cast<uint32_t>(s);
  k1 = static_cast<uint32_t>(s >> 32);
  offset = static_cast<uint64_t>(off);
}

// Fills contiguous y with value(block, word) for element i = block_index*PerBlock + word, where each
// Philox block yields PerBlock elements. Work is split on block boundaries so every thread generates
// whole blocks.
template <int PerBlock, class T, class Value>
void fill_from_philox(const TensorView& y, uint32_t k0, uint32_t k1, uint64_t offset, const Value& value) {
  T* yp = y.ptr<T>();
  const int64_t numel = y.numel();
  const int64_t blocks = (numel + PerBlock - 1) / PerBlock;
  // Philox costs ~10x a memory-bound op per element, so a smaller grain pays off.
  parallel_chunks(blocks, kElementwiseGrain / 16, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const philox_block r = philox4x32_10(offset + static_cast<uint64_t>(b), k0, k1);
      const int64_t base = b * PerBlock;
      const int count = static_cast<int>(std::min<int64_t>(PerBlock, numel - base));
      for (int j = 0; j < count; ++j) yp[base + j] = value(r, j);
    }
  });
}

void check_random_output(const OpArgs& a, const char* k, bool dtype_ok, const char* allowed) {
  check_counts(a, k, 0, 1);
  check_attrs(a, k, 4);
  check_contiguous(k, "y", a.outputs[0]);
  check_dtype(k, "y", a.outputs[0], dtype_ok, allowed);
}

// y: contiguous float; attrs: seed, offset, low, high. y = low + (high - low) * u, computed in f64
// (the attributes are f64) and rounded once to y's dtype.
void rand_uniform(const OpArgs& a) {
  const char* k = "rand_uniform";
  check_random_output(a, k, is_float(a.num_outputs == 1 ? a.outputs[0].dtype : DType::i32), "f32 or bf16");
  uint32_t k0, k1;
  uint64_t offset;
  read_seed_offset(a, k, k0, k1, offset);
  const double low = a.attrs[2], range = a.attrs[3] - a.attrs[2];
  dispatch_float(a.outputs[0].dtype, [&](auto t) {
    using T = decltype(t);
    fill_from_philox<4, T>(a.outputs[0], k0, k1, offset, [&](const philox_block& r, int j) {
      return from_double<T>(low + range * static_cast<double>(unit24(r.w[j])));
    });
  });
}

// y: contiguous float; attrs: seed, offset, mean, std. Box-Muller on words (2j, 2j+1) of a block:
// z = sqrt(-2 ln u1) * cos(2pi_f32 * u2) in f32 (vec_box_muller: the vectorised log and cos differ from
// logf/cosf by a few ulp at most), then y = mean + std * z in f64, rounded once. u1 is in (0, 1] so the
// log is finite. The uniforms of a batch of blocks are drawn first so the transcendental part runs on
// whole vectors.
void rand_normal(const OpArgs& a) {
  const char* k = "rand_normal";
  check_random_output(a, k, is_float(a.num_outputs == 1 ? a.outputs[0].dtype : DType::i32), "f32 or bf16");
  uint32_t k0, k1;
  uint64_t offset;
  read_seed_offset(a, k, k0, k1, offset);
  const double mean = a.attrs[2], stddev = a.attrs[3];
  dispatch_float(a.outputs[0].dtype, [&](auto t) {
    using T = decltype(t);
    T* yp = a.outputs[0].ptr<T>();
    const int64_t numel = a.outputs[0].numel();
    const int64_t blocks = (numel + 1) / 2;
    constexpr int64_t kBatch = kVecBlock / 2;  // blocks per batch
    parallel_chunks(blocks, kElementwiseGrain / 16, [&](int64_t b0, int64_t b1) {
      float u1[kVecBlock], u2[kVecBlock], z[kVecBlock];
      for (int64_t bb = b0; bb < b1; bb += kBatch) {
        const int64_t nb = std::min(kBatch, b1 - bb);
        for (int64_t b = 0; b < nb; ++b) {
          const philox_block r = philox4x32_10(offset + static_cast<uint64_t>(bb + b), k0, k1);
          for (int j = 0; j < 2; ++j) {
            u1[2 * b + j] = static_cast<float>((r.w[2 * j] >> 8) + 1) * (1.0f / 16777216.0f);
            u2[2 * b + j] = unit24(r.w[2 * j + 1]);
          }
        }
        const int64_t base = 2 * bb, count = std::min(2 * nb, numel - base);
        vec_box_muller(u1, u2, z, count);
        for (int64_t i = 0; i < count; ++i) yp[base + i] = from_double<T>(mean + stddev * static_cast<double>(z[i]));
      }
    });
  });
}

// y: contiguous i32; attrs: seed, offset, low, high. y = low + (word mod (high - low)); the modulo
// bias is below 2^-32 * (high - low), negligible for the ranges we draw (token ids, shuffles).
void randint(const OpArgs& a) {
  const char* k = "randint";
  check_random_output(a, k, a.num_outputs == 1 && a.outputs[0].dtype == DType::i32, "i32");
  uint32_t k0, k1;
  uint64_t offset;
  read_seed_offset(a, k, k0, k1, offset);
  const double low = a.attrs[2], high = a.attrs[3];
  if (!(std::floor(low) == low && std::floor(high) == high && low >= -2147483648.0 && high <= 2147483648.0 && low < high))
    kernel_fail(k, "need whole numbers low < high within the i32 range, got low " + std::to_string(low) +
                       " and high " + std::to_string(high));
  const int64_t lo = static_cast<int64_t>(low);
  const uint64_t range = static_cast<uint64_t>(static_cast<int64_t>(high) - lo);
  fill_from_philox<4, int32_t>(a.outputs[0], k0, k1, offset, [&](const philox_block& r, int j) {
    return static_cast<int32_t>(lo + static_cast<int64_t>(r.w[j] % range));
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kRandUniform, rand_uniform}, {&kRandNormal, rand_normal}, {&kRandint, randint}});

}  // namespace slmkit
