// SwiGLU gating y = silu(gate) * up (the MiniCPM MLP nonlinearity): forward and backward. Elementwise
// over [N, F]: 16-byte packs when every operand is 16-byte aligned, one element at a time otherwise.
#include "common/launch.cuh"
#include "common/overlap.cuh"
#include "common/reductions.cuh"
#include "common/values.cuh"
#include "slmkit/swiglu.h"

namespace slmkit {
namespace {

struct SwigluForward {
  // in: gate, up; out: y
  __device__ __forceinline__ void operator()(const float* in, float* out) const {
    const float g = in[0];
    out[0] = g / (1.0f + expf(-g)) * in[1];
  }
};

struct SwigluBackward {
  // in: gate, up, gy; out: ggate, gup
  __device__ __forceinline__ void operator()(const float* in, float* out) const {
    const float g = in[0], u = in[1], dy = in[2];
    const float s = 1.0f / (1.0f + expf(-g));
    out[0] = dy * u * (s * (1.0f + g * (1.0f - s)));  // silu'(g) = s * (1 + g * (1 - s))
    out[1] = dy * (g * s);
  }
};

template <int NIN, int NOUT> struct Operands {
  const void* in[NIN];
  void* out[NOUT];
};

// Element i of every operand through f; VEC elements per step (all operands [n], contiguous).
template <typename T, int VEC, int NIN, int NOUT, typename F>
__global__ void swiglu_kernel(Operands<NIN, NOUT> ops, int64_t n, F f) {
  wait_for_prior_kernels();
  using P = Pack<T, VEC>;
  const int64_t steps = n / VEC;
  for (int64_t s = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; s < steps; s += int64_t(gridDim.x) * blockDim.x) {
    P in[NIN], out[NOUT];
#pragma unroll
    for (int j = 0; j < NIN; ++j) in[j] = static_cast<const P*>(ops.in[j])[s];
#pragma unroll
    for (int k = 0; k < VEC; ++k) {
      float a[NIN], b[NOUT];
#pragma unroll
      for (int j = 0; j < NIN; ++j) a[j] = load(in[j].v[k]);
      f(a, b);
#pragma unroll
      for (int j = 0; j < NOUT; ++j) out[j].v[k] = store<T>(b[j]);
    }
#pragma unroll
    for (int j = 0; j < NOUT; ++j) static_cast<P*>(ops.out[j])[s] = out[j];
  }
}

template <int NIN, int NOUT, typename F>
void swiglu_launch(const char* k, DType dtype, const Operands<NIN, NOUT>& ops, int64_t n, F f, cudaStream_t stream) {
  if (n == 0) return;
  bool aligned = true;
  for (const void* p : ops.in) aligned = aligned && aligned16(p);
  for (void* p : ops.out) aligned = aligned && aligned16(p);
  dispatch_float(k, dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    constexpr int VEC = kPack16<T>;
    const int64_t body = aligned ? n / VEC * VEC : 0;
    if (body > 0)
      launch_overlapped(k, swiglu_kernel<T, VEC, NIN, NOUT, F>, grid_for(body / VEC), kBlockThreads, 0, stream, ops,
                        body, f);
    if (body < n) {
      // The tail (or everything, when unaligned) one element per step, on shifted operand pointers.
      Operands<NIN, NOUT> rest = ops;
      for (auto& p : rest.in) p = static_cast<const T*>(p) + body;
      for (auto& p : rest.out) p = static_cast<T*>(p) + body;
      launch_overlapped(k, swiglu_kernel<T, 1, NIN, NOUT, F>, grid_for(n - body), kBlockThreads, 0, stream, rest,
                        n - body, f);
    }
  });
}

}  // namespace

// Arguments: slmkit/swiglu.h.
void swiglu_forward(const OpArgs& a) {
  const SwigluForwardArgs r = decode_swiglu_forward(a);
  swiglu_launch(kSwigluForward.name, r.gate.dtype, Operands<2, 1>{{r.gate.data, r.up.data}, {r.y.data}}, r.numel,
                SwigluForward{}, stream_of(a));
}

void swiglu_backward(const OpArgs& a) {
  const SwigluBackwardArgs r = decode_swiglu_backward(a);
  swiglu_launch(kSwigluBackward.name, r.gate.dtype,
                Operands<3, 2>{{r.gate.data, r.up.data, r.gy.data}, {r.ggate.data, r.gup.data}}, r.numel,
                SwigluBackward{}, stream_of(a));
}

SLMKIT_REGISTER_KERNELS({{&kSwigluForward, swiglu_forward}, {&kSwigluBackward, swiglu_backward}});

}  // namespace slmkit
