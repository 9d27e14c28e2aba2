// Host contract of copy (dtype conversion between strided views).
#pragma once
#include <string>

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kCopy{"copy", {"x"}, {"y"}, {}};

struct CopyArgs {
  TensorView x;  // any shape, strides and dtype
  TensorView y;  // x's shape, any dtype, any strides but 0 along a dimension of size > 1 (each element is
                 // written once), unless y is empty
};

inline CopyArgs decode_copy(const OpArgs& a) {
  const KernelCall c(a, kCopy);
  c.shape_of("y", "x");
  const TensorView& y = c.out("y");
  for (int d = 0; d < y.ndim && y.numel() > 0; ++d)
    if (y.shape[d] > 1 && y.strides[d] == 0)
      c.fail("y has a zero stride (broadcast) in dimension " + std::to_string(d));
  return {c.in("x"), y};
}

}  // namespace slmkit
