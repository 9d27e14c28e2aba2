// Host contract of SwiGLU.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kSwigluForward{"swiglu_forward", {"gate", "up"}, {"y"}, {}};
inline const KernelSignature kSwigluBackward{"swiglu_backward", {"gate", "up", "gy"}, {"ggate", "gup"}, {}};

}  // namespace slmkit
