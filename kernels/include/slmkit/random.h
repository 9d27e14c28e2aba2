// Host contract of Philox random numbers.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kRandUniform{"rand_uniform", {}, {"y"}, {"seed", "offset", "low", "high"}};
inline const KernelSignature kRandNormal{"rand_normal", {}, {"y"}, {"seed", "offset", "mean", "std"}};
inline const KernelSignature kRandint{"randint", {}, {"y"}, {"seed", "offset", "low", "high"}};

}  // namespace slmkit
