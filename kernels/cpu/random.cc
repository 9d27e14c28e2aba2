// Counter-based random numbers: rand_uniform, rand_normal and randint from Philox4x32-10. The streams
// (generator, key, counter and word use) are slmkit/philox.h's, which the CUDA backend shares.
#include <algorithm>

#include "dtype_dispatch.h"
#include "slmkit/random.h"
#include "strided.h"
#include "vec_math.h"

namespace slmkit {
namespace {

// Fills contiguous y with value(block, word) for element i = block_index*PerBlock + word, where each
// Philox block yields PerBlock elements. Work is split on block boundaries so every thread generates
// whole blocks.
template <int PerBlock, class T, class Value>
void fill_from_philox(const TensorView& y, const PhiloxStart& start, const Value& value) {
  T* yp = y.ptr<T>();
  const int64_t numel = y.numel();
  const int64_t blocks = (numel + PerBlock - 1) / PerBlock;
  // Philox costs ~10x a memory-bound op per element, so a smaller grain pays off.
  parallel_chunks(blocks, kElementwiseGrain / 16, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const PhiloxBlock r = philox4x32_10(start.offset + static_cast<uint64_t>(b), start.key);
      const int64_t base = b * PerBlock;
      const int count = static_cast<int>(std::min<int64_t>(PerBlock, numel - base));
      for (int j = 0; j < count; ++j) yp[base + j] = value(r, j);
    }
  });
}

// Arguments: slmkit/random.h.
void rand_uniform(const OpArgs& a) {
  const RandUniformArgs r = decode_rand_uniform(a);
  dispatch_float(r.y.dtype, [&](auto t) {
    using T = decltype(t);
    fill_from_philox<kUniformPerBlock, T>(r.y, r.start, [&](const PhiloxBlock& b, int j) {
      return from_double<T>(shift_scale(r.low, r.range, unit24(b.w[j])));
    });
  });
}

// Box-Muller's z = sqrt(-2 ln u1) * cos(2pi_f32 * u2) in f32 comes from vec_box_muller, whose vectorised log
// and cos differ from logf/cosf by a few ulp at most. The uniforms of a batch of blocks are drawn first so
// the transcendental part runs on whole vectors.
void rand_normal(const OpArgs& a) {
  const RandNormalArgs r = decode_rand_normal(a);
  dispatch_float(r.y.dtype, [&](auto t) {
    using T = decltype(t);
    T* yp = r.y.ptr<T>();
    const int64_t numel = r.y.numel();
    const int64_t blocks = (numel + kNormalPerBlock - 1) / kNormalPerBlock;
    constexpr int64_t kBatch = kVecBlock / kNormalPerBlock;  // blocks per batch
    parallel_chunks(blocks, kElementwiseGrain / 16, [&](int64_t b0, int64_t b1) {
      float u1[kVecBlock], u2[kVecBlock], z[kVecBlock];
      for (int64_t bb = b0; bb < b1; bb += kBatch) {
        const int64_t nb = std::min(kBatch, b1 - bb);
        for (int64_t b = 0; b < nb; ++b) {
          const PhiloxBlock block = philox4x32_10(r.start.offset + static_cast<uint64_t>(bb + b), r.start.key);
          for (int j = 0; j < kNormalPerBlock; ++j) {
            const BoxMullerUniforms u = box_muller_uniforms(block, j);
            u1[kNormalPerBlock * b + j] = u.u1;
            u2[kNormalPerBlock * b + j] = u.u2;
          }
        }
        const int64_t base = kNormalPerBlock * bb, count = std::min(kNormalPerBlock * nb, numel - base);
        vec_box_muller(u1, u2, z, count);
        for (int64_t i = 0; i < count; ++i) yp[base + i] = from_double<T>(shift_scale(r.mean, r.stddev, z[i]));
      }
    });
  });
}

void randint(const OpArgs& a) {
  const RandintArgs r = decode_randint(a);
  fill_from_philox<kRandintPerBlock, int32_t>(
      r.y, r.start, [&](const PhiloxBlock& b, int j) { return randint_value(r.low, r.range, b.w[j]); });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kRandUniform, rand_uniform}, {&kRandNormal, rand_normal}, {&kRandint, randint}});

}  // namespace slmkit
