// Host contract of elementwise ops (their scalar semantics: slmkit/elementwise_ops.h).
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kNeg{"neg", {"x"}, {"y"}, {}};
inline const KernelSignature kAbs{"abs", {"x"}, {"y"}, {}};
inline const KernelSignature kExp{"exp", {"x"}, {"y"}, {}};
inline const KernelSignature kLog{"log", {"x"}, {"y"}, {}};
inline const KernelSignature kSqrt{"sqrt", {"x"}, {"y"}, {}};
inline const KernelSignature kRsqrt{"rsqrt", {"x"}, {"y"}, {}};
inline const KernelSignature kSin{"sin", {"x"}, {"y"}, {}};
inline const KernelSignature kCos{"cos", {"x"}, {"y"}, {}};
inline const KernelSignature kTanh{"tanh", {"x"}, {"y"}, {}};
inline const KernelSignature kSigmoid{"sigmoid", {"x"}, {"y"}, {}};
inline const KernelSignature kRelu{"relu", {"x"}, {"y"}, {}};
inline const KernelSignature kSilu{"silu", {"x"}, {"y"}, {}};
inline const KernelSignature kGelu{"gelu", {"x"}, {"y"}, {}};
inline const KernelSignature kErf{"erf", {"x"}, {"y"}, {}};
inline const KernelSignature kClamp{"clamp", {"x"}, {"y"}, {"min", "max"}};
inline const KernelSignature kPowScalar{"pow_scalar", {"x"}, {"y"}, {"exponent"}};
inline const KernelSignature kAdd{"add", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kSub{"sub", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kMul{"mul", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kDiv{"div", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kPow{"pow", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kMaximum{"maximum", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kMinimum{"minimum", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kEq{"eq", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kNe{"ne", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kLt{"lt", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kLe{"le", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kGt{"gt", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kGe{"ge", {"a", "b"}, {"y"}, {}};
inline const KernelSignature kWhere{"where", {"cond", "a", "b"}, {"y"}, {}};

}  // namespace slmkit
