// Rotary position embedding, rotate-half convention (pairs d and d + D/2): forward and backward.
// A first kernel tabulates cos/sin per (t, d) from f64 angles, as the CPU does; the second rotates every
// pair of every row, reading its position's table row.
#include <cmath>
#include <cstdint>

#include "common/launch.cuh"
#include "common/overlap.cuh"
#include "common/reductions.cuh"
#include "common/values.cuh"
#include "slmkit/rope.h"

namespace slmkit {
namespace {

// cs[t, d] = (cos, sign * sin) of (position_offset + t) * theta^(-2d/D), the angle in f64.
__global__ void rope_table_kernel(float2* __restrict__ cs,  // [T, D/2]
                                  int64_t T_len, int64_t half, double theta, double position_offset, float sign) {
  wait_for_prior_kernels();
  const int64_t n = T_len * half;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t t = i / half, d = i % half;
    const double inv_freq = pow(theta, -2.0 * static_cast<double>(d) / static_cast<double>(2 * half));
    const double angle = (position_offset + static_cast<double>(t)) * inv_freq;
    cs[i] = make_float2(static_cast<float>(cos(angle)), sign * static_cast<float>(sin(angle)));
  }
}

// One thread per pair (row, d); rows are [B*H*T] of D elements, position t = row % T.
template <typename T>
__global__ void rope_apply_kernel(const T* __restrict__ x,        // [B, H, T, D]
                                  T* __restrict__ y,              // [B, H, T, D]
                                  const float2* __restrict__ cs,  // [T, D/2]
                                  int64_t pairs, int64_t T_len, int64_t half) {
  wait_for_prior_kernels();
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < pairs; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = i / half, d = i % half;
    const float2 c = cs[(row % T_len) * half + d];
    const int64_t base = row * 2 * half + d;
    const float lo = load(x[base]), hi = load(x[base + half]);
    y[base] = store<T>(lo * c.x - hi * c.y);
    y[base + half] = store<T>(hi * c.x + lo * c.y);
  }
}

// Forward (x -> y) and backward (gy -> gx) are one rotation with opposite signs.
void rope_run(const char* k, const RopeArgs& r, cudaStream_t stream) {
  const int64_t T_len = r.seq, half = r.head_dim / 2;
  const int64_t pairs = r.in.numel() / 2;
  if (pairs == 0) return;
  StreamScratch table(k, static_cast<size_t>(T_len * half) * sizeof(float2), stream);
  launch_overlapped(k, rope_table_kernel, grid_for(T_len * half), kBlockThreads, 0, stream, table.as<float2>(), T_len,
                    half, r.theta, r.position_offset, r.sign);
  dispatch_float(k, r.in.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_overlapped(k, rope_apply_kernel<T>, grid_for(pairs), kBlockThreads, 0, stream, r.in.ptr<T>(), r.out.ptr<T>(),
                      table.as<float2>(), pairs, T_len, half);
  });
}

}  // namespace

// Arguments: slmkit/rope.h.
void rope_forward(const OpArgs& a) { rope_run(kRopeForward.name, decode_rope_forward(a), stream_of(a)); }

void rope_backward(const OpArgs& a) { rope_run(kRopeBackward.name, decode_rope_backward(a), stream_of(a)); }

SLMKIT_REGISTER_KERNELS({{&kRopeForward, rope_forward}, {&kRopeBackward, rope_backward}});

}  // namespace slmkit
