// Host contract of fused cross-entropy.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kCrossEntropyForward{"cross_entropy_forward", {"logits", "targets"}, {"loss", "lse"}, {"ignore_index"}};
inline const KernelSignature kCrossEntropyBackward{"cross_entropy_backward", {"logits", "targets", "lse", "gloss"}, {"glogits"}, {"ignore_index"}};

}  // namespace slmkit
