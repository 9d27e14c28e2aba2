// Host contract of the multi-tensor AdamW step and the global norm.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kAdamwStep{"adamw_step", {"grads..."}, {"params...", "exp_avg...", "exp_avg_sq...", "bf16_copies..."}, {"beta1", "beta2", "eps", "step", "grad_scale", "lr_wd..."}};
inline const KernelSignature kGlobalNorm{"global_norm", {"tensors..."}, {"norm"}, {}};

}  // namespace slmkit
