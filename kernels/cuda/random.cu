// Counter-based random numbers on CUDA: rand_uniform, rand_normal and randint from Philox4x32-10, the
// streams of slmkit/philox.h, shared with kernels/cpu/random.cc.
#include "common/launch.cuh"
#include "common/overlap.cuh"
#include "common/reductions.cuh"
#include "common/values.cuh"
#include "slmkit/random.h"

namespace slmkit {
namespace {

// A double rounded once to f32, then (bf16) to nearest even, as the CPU's from_double does.
template <typename T> __device__ __forceinline__ T from_double(double v) { return store<T>(static_cast<float>(v)); }

// y [numel] contiguous: thread b draws Philox block offset + b and writes its elements b*4 .. b*4+3.
template <typename T>
__global__ void rand_uniform_kernel(T* y, int64_t numel, PhiloxStart start, double low, double range) {
  wait_for_prior_kernels();
  constexpr int P = kUniformPerBlock;
  const int64_t blocks = (numel + P - 1) / P;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += int64_t(gridDim.x) * blockDim.x) {
    const PhiloxBlock r = philox4x32_10(start.offset + static_cast<uint64_t>(b), start.key);
#pragma unroll
    for (int j = 0; j < P; ++j)
      if (b * P + j < numel) y[b * P + j] = from_double<T>(shift_scale(low, range, unit24(r.w[j])));
  }
}

// y [numel] contiguous: each Philox block yields two normals by Box-Muller. logf/cosf here are CUDA's
// (within 1-2 ulp); the CPU's may differ by as much, as KERNELS.md allows.
template <typename T>
__global__ void rand_normal_kernel(T* y, int64_t numel, PhiloxStart start, double mean, double stddev) {
  wait_for_prior_kernels();
  constexpr float kTwoPi = 6.28318530717958647f;
  constexpr int P = kNormalPerBlock;
  const int64_t blocks = (numel + P - 1) / P;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += int64_t(gridDim.x) * blockDim.x) {
    const PhiloxBlock r = philox4x32_10(start.offset + static_cast<uint64_t>(b), start.key);
#pragma unroll
    for (int j = 0; j < P; ++j) {
      if (b * P + j >= numel) break;
      const BoxMullerUniforms u = box_muller_uniforms(r, j);
      const float z = sqrtf(-2.0f * logf(u.u1)) * cosf(kTwoPi * u.u2);
      y[b * P + j] = from_double<T>(shift_scale(mean, stddev, z));
    }
  }
}

// y [numel] contiguous i32.
__global__ void randint_kernel(int32_t* y, int64_t numel, PhiloxStart start, int64_t low, uint64_t range) {
  wait_for_prior_kernels();
  constexpr int P = kRandintPerBlock;
  const int64_t blocks = (numel + P - 1) / P;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += int64_t(gridDim.x) * blockDim.x) {
    const PhiloxBlock r = philox4x32_10(start.offset + static_cast<uint64_t>(b), start.key);
#pragma unroll
    for (int j = 0; j < P; ++j)
      if (b * P + j < numel) y[b * P + j] = randint_value(low, range, r.w[j]);
  }
}

// Arguments: slmkit/random.h.
void rand_uniform(const OpArgs& a) {
  const RandUniformArgs r = decode_rand_uniform(a);
  const int64_t n = r.y.numel();
  if (n == 0) return;
  dispatch_float(kRandUniform.name, r.y.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const unsigned grid = grid_for((n + kUniformPerBlock - 1) / kUniformPerBlock);
    launch_overlapped(kRandUniform.name, rand_uniform_kernel<T>, grid, kBlockThreads, 0, stream_of(a), r.y.ptr<T>(), n,
                      r.start, r.low, r.range);
  });
}

void rand_normal(const OpArgs& a) {
  const RandNormalArgs r = decode_rand_normal(a);
  const int64_t n = r.y.numel();
  if (n == 0) return;
  dispatch_float(kRandNormal.name, r.y.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const unsigned grid = grid_for((n + kNormalPerBlock - 1) / kNormalPerBlock);
    launch_overlapped(kRandNormal.name, rand_normal_kernel<T>, grid, kBlockThreads, 0, stream_of(a), r.y.ptr<T>(), n,
                      r.start, r.mean, r.stddev);
  });
}

void randint(const OpArgs& a) {
  const RandintArgs r = decode_randint(a);
  const int64_t n = r.y.numel();
  if (n == 0) return;
  launch_overlapped(kRandint.name, randint_kernel, grid_for((n + kRandintPerBlock - 1) / kRandintPerBlock),
                    kBlockThreads, 0, stream_of(a), r.y.ptr<int32_t>(), n, r.start, r.low, r.range);
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kRandUniform, rand_uniform}, {&kRandNormal, rand_normal}, {&kRandint, randint}});

}  // namespace slmkit
