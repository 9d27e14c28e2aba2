// Host contract of matmul.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kMatmul{"matmul", {"a", "b"}, {"y"}, {}};

}  // namespace slmkit
