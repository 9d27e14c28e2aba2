// Host contract of indexing (index_select, index_add, gather, scatter_add, triu, tril).
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kIndexSelect{"index_select", {"x", "idx"}, {"y"}, {}};
inline const KernelSignature kIndexAdd{"index_add", {"src", "idx"}, {"y"}, {}};
inline const KernelSignature kGather{"gather", {"x", "idx"}, {"y"}, {}};
inline const KernelSignature kScatterAdd{"scatter_add", {"src", "idx"}, {"y"}, {}};
inline const KernelSignature kTriu{"triu", {"x"}, {"y"}, {"k"}};
inline const KernelSignature kTril{"tril", {"x"}, {"y"}, {"k"}};

}  // namespace slmkit
