// Host contract of fill and arange.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kFill{"fill", {}, {"y"}, {"value"}};
inline const KernelSignature kArange{"arange", {}, {"y"}, {"start", "step"}};

struct FillArgs {
  TensorView y;  // any shape, contiguous, any dtype
  double value;  // any double, converted with copy's rules (to i32: slmkit/elementwise_ops.h, f64_to_i32)
};

inline FillArgs decode_fill(const OpArgs& a) {
  const KernelCall c(a, kFill);
  c.contiguous("y");
  return {c.out("y"), c.attr("value")};
}

// y[i] = start + i * step, computed in f64 from the index (no running sum, so no accumulated error and
// every split of the work agrees; host_device.h: shift_scale), then stored with copy's rules.
struct ArangeArgs {
  TensorView y;  // [n] contiguous, f32, bf16 or i32
  double start, step;
};

inline ArangeArgs decode_arange(const OpArgs& a) {
  const KernelCall c(a, kArange);
  c.dense("y", 1);
  c.dtype("y", {DType::f32, DType::bf16, DType::i32});
  return {c.out("y"), c.attr("start"), c.attr("step")};
}

}  // namespace slmkit
