// Host contract of reductions over the last axis.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kSum{"sum", {"x"}, {"y"}, {}};
inline const KernelSignature kMax{"max", {"x"}, {"y"}, {}};
inline const KernelSignature kMin{"min", {"x"}, {"y"}, {}};
inline const KernelSignature kArgmax{"argmax", {"x"}, {"y"}, {}};
inline const KernelSignature kArgmin{"argmin", {"x"}, {"y"}, {}};
inline const KernelSignature kLogsumexp{"logsumexp", {"x"}, {"y"}, {}};

}  // namespace slmkit
