// SwiGLU gating y = silu(gate) * up (the MiniCPM MLP nonlinearity): forward and backward.
#include <algorithm>

#include "float_io.h"
#include "fused_common.h"
#include "parallel.h"

namespace slmkit {
namespace {

// Elements are processed in short blocks so bf16 operands can be widened into stack buffers.
constexpr int64_t kBlock = 512;
constexpr int64_t kGrain = 16384;

inline float sigmoid(float g) { return 1.0f / (1.0f + exp_approx(-g)); }

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
      for (int64_t j = 0; j < n; ++j) out[j] = g[j] * sigmoid(g[j]) * u[j];
      store_if_bf16(out, yp + i, n);
    }
  });
}

template <typename T>
void swiglu_backward_typed(const TensorView& gate,     // [N, F]
                           const TensorView& up,       // [N, F]
                           const TensorView& gy,       // [N, F]
                           const TensorView& ggate,    // [N, F]
                           const TensorView& gup) {    // [N, F]
  const T *gp = gate.ptr<T>(), *up_p = up.ptr<T>(), *gyp = gy.ptr<T>();
  T *ggp = ggate.ptr<T>(), *gup_p = gup.ptr<T>();
  parallel_for(gate.numel(), kGrain, [&](int64_t begin, int64_t end) {
    float g_buf[kBlock], u_buf[kBlock], gy_buf[kBlock], gg_buf[kBlock], gu_buf[kBlock];
    for (int64_t i = begin; i < end; i += kBlock) {
      const int64_t n = std::min(kBlock, end - i);
      const float* g = f32_row(gp + i, g_buf, n);
      const float* u = f32_row(up_p + i, u_buf, n);
      const float* dy = f32_row(gyp + i, gy_buf, n);
      float* dg = f32_out(ggp + i, gg_buf);
      float* du = f32_out(gup_p + i, gu_buf);
      for (int64_t j = 0; j < n; ++j) {
        const float s = sigmoid(g[j]);
        // silu'(g) = s * (1 + g * (1 - s))
        dg[j] = dy[j] * u[j] * (s * (1.0f + g[j] * (1.0f - s)));
        du[j] = dy[j] * (g[j] * s);
      }
      store_if_bf16(dg, ggp + i, n);
      store_if_bf16(du, gup_p + i, n);
    }
  });
}

void swiglu_forward(const OpArgs& a) {
  const ArgCheck check{"swiglu_forward"};
  check.counts(a, 2, 1, 0);
  const TensorView &gate = a.inputs[0], &up = a.inputs[1], &y = a.outputs[0];
  check.dense(gate, "gate", 2);
  check.same_shape(gate, "gate", up, "up");
  check.same_shape(gate, "gate", y, "y");
  check.dtype(up, "up", gate.dtype);
  check.dtype(y, "y", gate.dtype);
  dispatch_float(gate.dtype, check.kernel, "gate", [&](auto tag) { swiglu_forward_typed<decltype(tag)>(gate, up, y); });
}

void swiglu_backward(const OpArgs& a) {
  const ArgCheck check{"swiglu_backward"};
  check.counts(a, 3, 2, 0);
  const TensorView &gate = a.inputs[0], &up = a.inputs[1], &gy = a.inputs[2];
  const TensorView &ggate = a.outputs[0], &gup = a.outputs[1];
  check.dense(gate, "gate", 2);
  check.same_shape(gate, "gate", up, "up");
  check.same_shape(gate, "gate", gy, "gy");
  check.same_shape(gate, "gate", ggate, "ggate");
  check.same_shape(gate, "gate", gup, "gup");
  check.dtype(up, "up", gate.dtype);
  check.dtype(gy, "gy", gate.dtype);
  check.dtype(ggate, "ggate", gate.dtype);
  check.dtype(gup, "gup", gate.dtype);
  dispatch_float(gate.dtype, check.kernel, "gate", [&](auto tag) {
    swiglu_backward_typed<decltype(tag)>(gate, up, gy, ggate, gup);
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{"swiglu_forward", swiglu_forward}, {"swiglu_backward", swiglu_backward}});

}  // namespace slmkit
