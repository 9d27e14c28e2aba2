// Host contract of fill and arange.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kFill{"fill", {}, {"y"}, {"value"}};
inline const KernelSignature kArange{"arange", {}, {"y"}, {"start", "step"}};

}  // namespace slmkit
