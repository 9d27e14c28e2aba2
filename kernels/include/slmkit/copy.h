// Host contract of copy (dtype conversion between strided views).
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kCopy{"copy", {"x"}, {"y"}, {}};

}  // namespace slmkit
