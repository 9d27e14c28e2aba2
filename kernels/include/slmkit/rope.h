// Host contract of rotary position embeddings.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kRopeForward{"rope_forward", {"x"}, {"y"}, {"theta", "position_offset"}};
inline const KernelSignature kRopeBackward{"rope_backward", {"gy"}, {"gx"}, {"theta", "position_offset"}};

}  // namespace slmkit
