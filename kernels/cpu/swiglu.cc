// SwiGLU gating y = silu(gate) * up (the MiniCPM MLP nonlinearity): forward and backward.
#include <algorithm>

#include "dtype_dispatch.h"
#include "parallel.h"
#include "slmkit/swiglu.h"
#include "vec_math.h"

namespace slmkit {
namespace {

// Elements are processed in short blocks so bf16 operands can be widened into stack buffers.
constexpr int64_t kBlock = 512;
constexpr int64_t kGrain = 16384;

template <typename T>
void swiglu_forward_typed(const TensorView& gate,  // [N, F]
                          const TensorView& up,    // [N, F]
                          const TensorView& y) {   // [N, F]
  const T *gp = gate.ptr<T>(), *up_p = up.ptr<T>();
  T* yp = y.ptr<T>();
  parallel_for(gate.numel(), kGrain, [&](int64_t begin, int64_t end) {
    float g_buf[kBlock], u_buf[kBlock], y_buf[kBlock];
    for (int64_t i = begin; i < end; i += kBlock) {
      const int64_t n = std::min(kBlock, end - i);
      const float* g = f32_row(gp + i, g_buf, n);
      const float* u = f32_row(up_p + i, u_buf, n);
      float* out = f32_out(yp + i, y_buf);
      vec_silu(g, out, n);
      for (int64_t j = 0; j < n; ++j) out[j] *= u[j];
      store_if_bf16(out, yp + i, n);
    }
  });
}

template <typename T>
void swiglu_backward_typed(const TensorView& gate,   // [N, F]
                           const TensorView& up,     // [N, F]
                           const TensorView& gy,     // [N, F]
                           const TensorView& ggate,  // [N, F]
                           const TensorView& gup) {  // [N, F]
  const T *gp = gate.ptr<T>(), *up_p = up.ptr<T>(), *gyp = gy.ptr<T>();
  T *ggp = ggate.ptr<T>(), *gup_p = gup.ptr<T>();
  parallel_for(gate.numel(), kGrain, [&](int64_t begin, int64_t end) {
    float g_buf[kBlock], u_buf[kBlock], gy_buf[kBlock], gg_buf[kBlock], gu_buf[kBlock], sig[kBlock];
    for (int64_t i = begin; i < end; i += kBlock) {
      const int64_t n = std::min(kBlock, end - i);
      const float* g = f32_row(gp + i, g_buf, n);
      const float* u = f32_row(up_p + i, u_buf, n);
      const float* dy = f32_row(gyp + i, gy_buf, n);
      float* dg = f32_out(ggp + i, gg_buf);
      float* du = f32_out(gup_p + i, gu_buf);
      vec_sigmoid(g, sig, n);
      for (int64_t j = 0; j < n; ++j) {
        const float s = sig[j];
        // silu'(g) = s * (1 + g * (1 - s))
        dg[j] = dy[j] * u[j] * (s * (1.0f + g[j] * (1.0f - s)));
        du[j] = dy[j] * (g[j] * s);
      }
      store_if_bf16(dg, ggp + i, n);
      store_if_bf16(du, gup_p + i, n);
    }
  });
}

// Arguments: slmkit/swiglu.h.
void swiglu_forward(const OpArgs& a) {
  const SwigluForwardArgs r = decode_swiglu_forward(a);
  dispatch_float(r.gate.dtype, [&](auto tag) { swiglu_forward_typed<decltype(tag)>(r.gate, r.up, r.y); });
}

void swiglu_backward(const OpArgs& a) {
  const SwigluBackwardArgs r = decode_swiglu_backward(a);
  dispatch_float(r.gate.dtype,
                 [&](auto tag) { swiglu_backward_typed<decltype(tag)>(r.gate, r.up, r.gy, r.ggate, r.gup); });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kSwigluForward, swiglu_forward}, {&kSwigluBackward, swiglu_backward}});

}  // namespace slmkit
