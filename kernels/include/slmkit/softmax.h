// Host contract of softmax and log-softmax over the last axis.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kSoftmaxForward{"softmax_forward", {"x"}, {"y"}, {}};
inline const KernelSignature kSoftmaxBackward{"softmax_backward", {"y", "gy"}, {"gx"}, {}};
inline const KernelSignature kLogSoftmaxForward{"log_softmax_forward", {"x"}, {"y"}, {}};
inline const KernelSignature kLogSoftmaxBackward{"log_softmax_backward", {"y", "gy"}, {"gx"}, {}};

// y = softmax(x) or log_softmax(x) of each row.
struct SoftmaxForwardArgs {
  TensorView x;  // [N, V] contiguous, f32 or bf16
  TensorView y;  // [N, V], x's dtype
  int64_t rows, cols;
};

inline SoftmaxForwardArgs decode_softmax_forward(const OpArgs& a, bool log) {
  const KernelCall c(a, log ? kLogSoftmaxForward : kSoftmaxForward);
  c.dense("x", 2);
  c.floating("x");
  c.like("y", "x");
  const TensorView& x = c.in("x");
  return {x, c.out("y"), x.shape[0], x.shape[1]};
}

// softmax:     gx = y * (gy - sum(gy * y))
// log_softmax: gx = gy - exp(y) * sum(gy)
struct SoftmaxBackwardArgs {
  TensorView y;   // [N, V] contiguous, f32 or bf16: the forward's output
  TensorView gy;  // [N, V], y's dtype
  TensorView gx;  // [N, V], y's dtype
  int64_t rows, cols;
};

inline SoftmaxBackwardArgs decode_softmax_backward(const OpArgs& a, bool log) {
  const KernelCall c(a, log ? kLogSoftmaxBackward : kSoftmaxBackward);
  c.dense("y", 2);
  c.floating("y");
  c.like("gy", "y");
  c.like("gx", "y");
  const TensorView& y = c.in("y");
  return {y, c.in("gy"), c.out("gx"), y.shape[0], y.shape[1]};
}

}  // namespace slmkit
