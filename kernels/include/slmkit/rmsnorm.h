// Host contract of the RMSNorm kernels (y = x * rstd * w over the last dim, rstd = 1/sqrt(mean(x^2) + eps)).
#pragma once
#include <string>

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kRmsnormForward{"rmsnorm_forward", {"x", "w"}, {"y", "rstd"}, {"eps"}};
inline const KernelSignature kRmsnormBackward{"rmsnorm_backward", {"x", "w", "rstd", "gy"}, {"gx", "gw"}, {}};

struct RmsnormForwardArgs {
  TensorView x;     // [N, C] f32 or bf16, contiguous
  TensorView w;     // [C], x's dtype
  TensorView y;     // [N, C], x's dtype
  TensorView rstd;  // [N] f32
  int64_t rows, cols;
  double eps;  // finite, >= 0
};

inline RmsnormForwardArgs decode_rmsnorm_forward(const OpArgs& a) {
  const KernelCall c(a, kRmsnormForward);
  c.dense("x", 2);
  c.floating("x");
  const TensorView& x = c.in("x");
  const int64_t N = x.shape[0], C = x.shape[1];
  c.shape("w", {C}, x.dtype);
  c.like("y", "x");
  c.shape("rstd", {N}, DType::f32);
  const double eps = c.finite("eps");
  if (eps < 0) c.fail("eps must be >= 0, got " + std::to_string(eps));
  return {x, c.in("w"), c.out("y"), c.out("rstd"), N, C, eps};
}

struct RmsnormBackwardArgs {
  TensorView x;     // [N, C] f32 or bf16, contiguous
  TensorView w;     // [C], x's dtype
  TensorView rstd;  // [N] f32, from the forward
  TensorView gy;    // [N, C], x's dtype
  TensorView gx;    // [N, C], x's dtype
  TensorView gw;    // [C], x's dtype
  int64_t rows, cols;
};

inline RmsnormBackwardArgs decode_rmsnorm_backward(const OpArgs& a) {
  const KernelCall c(a, kRmsnormBackward);
  c.dense("x", 2);
  c.floating("x");
  const TensorView& x = c.in("x");
  const int64_t N = x.shape[0], C = x.shape[1];
  c.shape("w", {C}, x.dtype);
  c.shape("rstd", {N}, DType::f32);
  c.like("gy", "x");
  c.like("gx", "x");
  c.like("gw", "w");
  return {x, c.in("w"), c.in("rstd"), c.in("gy"), c.out("gx"), c.out("gw"), N, C};
}

}  // namespace slmkit
