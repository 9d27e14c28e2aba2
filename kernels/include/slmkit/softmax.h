// Host contract of softmax and log-softmax over the last axis.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kSoftmaxForward{"softmax_forward", {"x"}, {"y"}, {}};
inline const KernelSignature kSoftmaxBackward{"softmax_backward", {"y", "gy"}, {"gx"}, {}};
inline const KernelSignature kLogSoftmaxForward{"log_softmax_forward", {"x"}, {"y"}, {}};
inline const KernelSignature kLogSoftmaxBackward{"log_softmax_backward", {"y", "gy"}, {"gx"}, {}};

}  // namespace slmkit
