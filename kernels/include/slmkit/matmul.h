// Host contract of matmul: y = a @ b per batch entry, f32 accumulation.
#pragma once
#include <string>

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kMatmul{"matmul", {"a", "b"}, {"y"}, {}};

struct MatmulArgs {
  TensorView a;            // [Bt, M, K] f32 or bf16, any non-negative strides (batch stride 0 = broadcast)
  TensorView b;            // [Bt, K, N], a's dtype, any non-negative strides
  TensorView y;            // [Bt, M, N], a's dtype, contiguous, fully overwritten
  int64_t batch, m, n, k;  // Bt, M, N, K
};

inline MatmulArgs decode_matmul(const OpArgs& args) {
  const KernelCall c(args, kMatmul);
  const TensorView &a = c.in("a"), &b = c.in("b"), &y = c.out("y");
  const std::string shapes = "a " + shape_str(a) + ", b " + shape_str(b) + ", y " + shape_str(y);
  if (a.ndim != 3 || b.ndim != 3 || y.ndim != 3 || b.shape[0] != a.shape[0] || b.shape[1] != a.shape[2] ||
      y.shape[0] != a.shape[0] || y.shape[1] != a.shape[1] || y.shape[2] != b.shape[2])
    c.fail("expected a [Bt, M, K], b [Bt, K, N] and y [Bt, M, N], got " + shapes);
  for (const TensorView* t : {&a, &b, &y})
    for (int i = 0; i < 3; ++i)
      if (t->shape[i] < 0 || t->strides[i] < 0) c.fail("negative size or stride in " + shapes);
  if (a.dtype != b.dtype || y.dtype != a.dtype || !is_float(a.dtype))
    c.fail("a, b and y must share one float dtype (f32 or bf16), got " + shapes);
  check_contiguous(c.kernel(), "y", y);
  return {a, b, y, a.shape[0], a.shape[1], b.shape[2], a.shape[2]};
}

}  // namespace slmkit
