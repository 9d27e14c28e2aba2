// Host contract of Philox random numbers (the streams themselves: slmkit/philox.h).
#pragma once
#include <cmath>
#include <string>

#include "slmkit/kernel_call.h"
#include "slmkit/philox.h"

namespace slmkit {

inline const KernelSignature kRandUniform{"rand_uniform", {}, {"y"}, {"seed", "offset", "low", "high"}};
inline const KernelSignature kRandNormal{"rand_normal", {}, {"y"}, {"seed", "offset", "mean", "std"}};
inline const KernelSignature kRandint{"randint", {}, {"y"}, {"seed", "offset", "low", "high"}};

// Where a call's stream starts: the key from the seed, and the counter of its first Philox block.
struct PhiloxStart {
  PhiloxKey key;
  uint64_t offset;
};

// seed and offset: whole numbers in [0, 2^53), the doubles that hold every such integer exactly.
inline PhiloxStart decode_philox_start(const KernelCall& c) {
  auto read = [&](const char* name) {
    const double v = c.attr(name);
    if (!(v >= 0 && v < 9007199254740992.0 && std::floor(v) == v))
      c.fail(std::string(name) + " must be a whole number in [0, 2^53), got " + std::to_string(v));
    return static_cast<uint64_t>(v);
  };
  return {philox_key(read("seed")), read("offset")};
}

// rand_uniform's and rand_normal's output: contiguous f32 or bf16.
inline const TensorView& rand_float_output(const KernelCall& c) {
  c.contiguous("y");
  c.floating("y");
  return c.out("y");
}

// y = low + range * u, u in [0, 1) (philox.h: unit24; host_device.h: shift_scale).
struct RandUniformArgs {
  TensorView y;  // any shape, contiguous, f32 or bf16
  PhiloxStart start;
  double low, range;  // any doubles, as sent: range = high - low
};

inline RandUniformArgs decode_rand_uniform(const OpArgs& a) {
  const KernelCall c(a, kRandUniform);
  const TensorView& y = rand_float_output(c);
  const PhiloxStart start = decode_philox_start(c);
  const double low = c.attr("low");
  return {y, start, low, c.attr("high") - low};
}

// y = mean + stddev * z, z from Box-Muller (philox.h: box_muller_uniforms; host_device.h: shift_scale).
struct RandNormalArgs {
  TensorView y;  // any shape, contiguous, f32 or bf16
  PhiloxStart start;
  double mean, stddev;  // any doubles, as sent
};

inline RandNormalArgs decode_rand_normal(const OpArgs& a) {
  const KernelCall c(a, kRandNormal);
  const TensorView& y = rand_float_output(c);
  const PhiloxStart start = decode_philox_start(c);
  return {y, start, c.attr("mean"), c.attr("std")};
}

struct RandintArgs {
  TensorView y;  // any shape, contiguous, i32
  PhiloxStart start;
  int64_t low;     // y = low + word mod range (philox.h: randint_value)
  uint64_t range;  // high - low, in [1, 2^32]
};

inline RandintArgs decode_randint(const OpArgs& a) {
  const KernelCall c(a, kRandint);
  c.contiguous("y");
  c.dtype("y", DType::i32);
  const PhiloxStart start = decode_philox_start(c);
  const double low = c.attr("low"), high = c.attr("high");
  if (!(std::floor(low) == low && std::floor(high) == high && low >= -2147483648.0 && high <= 2147483648.0 &&
        low < high))
    c.fail("need whole numbers low < high within the i32 range, got low " + std::to_string(low) + " and high " +
           std::to_string(high));
  const int64_t lo = static_cast<int64_t>(low);
  return {c.out("y"), start, lo, static_cast<uint64_t>(static_cast<int64_t>(high) - lo)};
}

}  // namespace slmkit
