// Host contract of fused attention.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kAttentionForward{"attention_forward", {"q", "k", "v"}, {"o", "lse"}, {"scale", "causal", "kv_offset"}};
inline const KernelSignature kAttentionBackward{"attention_backward", {"q", "k", "v", "o", "lse", "go"}, {"gq", "gk", "gv"}, {"scale", "causal", "kv_offset"}};

}  // namespace slmkit
