// Counter-based random numbers on CUDA: rand_uniform, rand_normal and randint from Philox4x32-10, the
// same streams as kernels/cpu/random.cc (native/KERNELS.md fixes key, counter and word use).
#include <cmath>
#include <string>
#include <type_traits>

#include "launch.cuh"
#include "overlap.cuh"
#include "values.cuh"
#include "slmkit/random.h"

namespace slmkit {
namespace {

struct PhiloxBlock {
  uint32_t w[4];
};

// Philox4x32-10 of counter (lo32(n), hi32(n), 0, 0) under key (k0, k1); see random.cc for the rounds.
__device__ __forceinline__ PhiloxBlock philox4x32_10(uint64_t n, uint32_t k0, uint32_t k1) {
  uint32_t c0 = static_cast<uint32_t>(n), c1 = static_cast<uint32_t>(n >> 32), c2 = 0, c3 = 0;
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const uint32_t hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
    const uint32_t hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  return PhiloxBlock{{c0, c1, c2, c3}};
}

// Top 24 bits as a float in [0, 1): exact, so every backend gets the same value.
__device__ __forceinline__ float unit24(uint32_t w) { return static_cast<float>(w >> 8) * (1.0f / 16777216.0f); }

// __dadd_rn/__dmul_rn below keep nvcc from fusing y = low + range*u into an FMA, which would round
// differently from the CPU's separate multiply and add and break the bit-exact stream.
// A double rounded once to f32, then (bf16) to nearest even, as the CPU's from_double does.
template <typename T> __device__ __forceinline__ T from_double(double v) { return store<T>(static_cast<float>(v)); }

// y [numel] contiguous: thread b draws Philox block offset + b and writes its elements b*4 .. b*4+3.
template <typename T>
__global__ void rand_uniform_kernel(T* y, int64_t numel, uint32_t k0, uint32_t k1, uint64_t offset, double low, double range) {
  wait_for_prior_kernels();
  const int64_t blocks = (numel + 3) / 4;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += int64_t(gridDim.x) * blockDim.x) {
    const PhiloxBlock r = philox4x32_10(offset + static_cast<uint64_t>(b), k0, k1);
#pragma unroll
    for (int j = 0; j < 4; ++j)
      if (b * 4 + j < numel) y[b * 4 + j] = from_double<T>(__dadd_rn(low, __dmul_rn(range, static_cast<double>(unit24(r.w[j])))));
  }
}

// y [numel] contiguous: each Philox block yields two normals by Box-Muller on words (2j, 2j+1).
// logf/cosf here are CUDA's (within 1-2 ulp); the CPU's may differ by as much, as KERNELS.md allows.
template <typename T>
__global__ void rand_normal_kernel(T* y, int64_t numel, uint32_t k0, uint32_t k1, uint64_t offset, double mean, double stddev) {
  wait_for_prior_kernels();
  constexpr float kTwoPi = 6.28318530717958647f;
  const int64_t blocks = (numel + 1) / 2;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += int64_t(gridDim.x) * blockDim.x) {
    const PhiloxBlock r = philox4x32_10(offset + static_cast<uint64_t>(b), k0, k1);
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      if (b * 2 + j >= numel) break;
      const float u1 = static_cast<float>((r.w[2 * j] >> 8) + 1) * (1.0f / 16777216.0f);
      const float u2 = unit24(r.w[2 * j + 1]);
      const float z = sqrtf(-2.0f * logf(u1)) * cosf(kTwoPi * u2);
      y[b * 2 + j] = from_double<T>(__dadd_rn(mean, __dmul_rn(stddev, static_cast<double>(z))));
    }
  }
}

// y [numel] contiguous i32: low + (word mod range).
__global__ void randint_kernel(int32_t* y, int64_t numel, uint32_t k0, uint32_t k1, uint64_t offset, int64_t low, uint64_t range) {
  wait_for_prior_kernels();
  const int64_t blocks = (numel + 3) / 4;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += int64_t(gridDim.x) * blockDim.x) {
    const PhiloxBlock r = philox4x32_10(offset + static_cast<uint64_t>(b), k0, k1);
#pragma unroll
    for (int j = 0; j < 4; ++j)
      if (b * 4 + j < numel) y[b * 4 + j] = static_cast<int32_t>(low + static_cast<int64_t>(r.w[j] % range));
  }
}

// Checks the output and reads seed and offset (whole numbers in [0, 2^53)) into key and counter base.
void read_random_args(const OpArgs& a, const char* k, bool want_float, uint32_t& k0, uint32_t& k1, uint64_t& offset) {
  check_counts(k, a, 0, 1, 4);
  const TensorView& y = a.outputs[0];
  if (!y.is_contiguous()) throw KernelError(std::string(k) + ": y " + shape_str(y) + " must be contiguous");
  const bool ok = want_float ? (y.dtype == DType::f32 || y.dtype == DType::bf16) : y.dtype == DType::i32;
  if (!ok)
    throw KernelError(std::string(k) + ": y must be " + (want_float ? "f32 or bf16" : "i32") + ", got " + dtype_name(y.dtype));
  const double seed = a.attrs[0], off = a.attrs[1], limit = 9007199254740992.0;
  if (!(seed >= 0 && seed < limit && std::floor(seed) == seed))
    throw KernelError(std::string(k) + ": seed must be a whole number in [0, 2^53)");
  if (!(off >= 0 && off < limit && std::floor(off) == off))
    throw KernelError(std::string(k) + ": offset must be a whole number in [0, 2^53)");
  const uint64_t s = static_cast<uint64_t>(seed);
  k0 = static_cast<uint32_t>(s);
  k1 = static_cast<uint32_t>(s >> 32);
  offset = static_cast<uint64_t>(off);
}

// outputs: y (contiguous float); attrs: seed, offset, low, high.
void rand_uniform(const OpArgs& a) {
  uint32_t k0, k1;
  uint64_t offset;
  read_random_args(a, "rand_uniform", true, k0, k1, offset);
  const TensorView& y = a.outputs[0];
  const int64_t n = y.numel();
  if (n == 0) return;
  const double low = a.attrs[2], range = a.attrs[3] - a.attrs[2];
  if (y.dtype == DType::f32)
    launch_overlapped("rand_uniform", rand_uniform_kernel<float>, grid_for((n + 3) / 4), kBlockThreads, 0, stream_of(a),
                      y.ptr<float>(), n, k0, k1, offset, low, range);
  else
    launch_overlapped("rand_uniform", rand_uniform_kernel<__nv_bfloat16>, grid_for((n + 3) / 4), kBlockThreads, 0, stream_of(a),
                      y.ptr<__nv_bfloat16>(), n, k0, k1, offset, low, range);
}

// outputs: y (contiguous float); attrs: seed, offset, mean, std.
void rand_normal(const OpArgs& a) {
  uint32_t k0, k1;
  uint64_t offset;
  read_random_args(a, "rand_normal", true, k0, k1, offset);
  const TensorView& y = a.outputs[0];
  const int64_t n = y.numel();
  if (n == 0) return;
  const double mean = a.attrs[2], stddev = a.attrs[3];
  if (y.dtype == DType::f32)
    launch_overlapped("rand_normal", rand_normal_kernel<float>, grid_for((n + 1) / 2), kBlockThreads, 0, stream_of(a),
                      y.ptr<float>(), n, k0, k1, offset, mean, stddev);
  else
    launch_overlapped("rand_normal", rand_normal_kernel<__nv_bfloat16>, grid_for((n + 1) / 2), kBlockThreads, 0, stream_of(a),
                      y.ptr<__nv_bfloat16>(), n, k0, k1, offset, mean, stddev);
}

// outputs: y (contiguous i32); attrs: seed, offset, low, high (whole, low < high, inside the i32 range).
void randint(const OpArgs& a) {
  uint32_t k0, k1;
  uint64_t offset;
  read_random_args(a, "randint", false, k0, k1, offset);
  const double low = a.attrs[2], high = a.attrs[3];
  if (!(std::floor(low) == low && std::floor(high) == high && low >= -2147483648.0 && high <= 2147483648.0 && low < high))
    throw KernelError("randint: need whole numbers low < high within the i32 range, got low " + std::to_string(low) +
                      " and high " + std::to_string(high));
  const TensorView& y = a.outputs[0];
  const int64_t n = y.numel();
  if (n == 0) return;
  const int64_t lo = static_cast<int64_t>(low);
  const uint64_t range = static_cast<uint64_t>(static_cast<int64_t>(high) - lo);
  launch_overlapped("randint", randint_kernel, grid_for((n + 3) / 4), kBlockThreads, 0, stream_of(a), y.ptr<int32_t>(), n, k0, k1,
                    offset, lo, range);
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kRandUniform, rand_uniform}, {&kRandNormal, rand_normal}, {&kRandint, randint}});

}  // namespace slmkit
