// Host contract of reductions over the middle axis of a contiguous [O, R, I] view.
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kSum{"sum", {"x"}, {"y"}, {}};
inline const KernelSignature kMax{"max", {"x"}, {"y"}, {}};
inline const KernelSignature kMin{"min", {"x"}, {"y"}, {}};
inline const KernelSignature kArgmax{"argmax", {"x"}, {"y"}, {}};
inline const KernelSignature kArgmin{"argmin", {"x"}, {"y"}, {}};
inline const KernelSignature kLogsumexp{"logsumexp", {"x"}, {"y"}, {}};

// What each reduction takes and gives. The reducers of both devices derive from these, so the checks and
// the storage types a launcher instantiates come from one place.
struct SumKind {
  static constexpr const KernelSignature& signature = kSum;
  static constexpr bool float_only = false, index_output = false, empty_is_error = false;  // empty axis: 0
};
template <bool IsMax, bool Index> struct ExtremeKind {
  static constexpr const KernelSignature& signature = IsMax ? (Index ? kArgmax : kMax) : (Index ? kArgmin : kMin);
  static constexpr bool float_only = false, index_output = Index, empty_is_error = true;
};
struct LogsumexpKind {
  static constexpr const KernelSignature& signature = kLogsumexp;
  static constexpr bool float_only = true, index_output = false, empty_is_error = false;  // empty axis: -inf
};

struct ReduceArgs {
  TensorView x;                // [O, R, I] contiguous; f32 or bf16, or i32 unless float_only
  TensorView y;                // [O, I] contiguous; i32 for an index output, else x's dtype
  int64_t outer, axis, inner;  // O, R, I
};

template <class Kind> ReduceArgs decode_reduce(const OpArgs& a) {
  const KernelCall c(a, Kind::signature);
  c.dense("x", 3);
  if (Kind::float_only) c.floating("x");
  else c.dtype("x", {DType::f32, DType::bf16, DType::i32});
  const TensorView& x = c.in("x");
  const int64_t O = x.shape[0], R = x.shape[1], I = x.shape[2];
  c.shape("y", {O, I}, Kind::index_output ? DType::i32 : x.dtype);
  if (Kind::empty_is_error && R == 0 && O * I > 0) c.fail("cannot reduce over an empty axis, got x " + shape_str(x));
  return {x, c.out("y"), O, R, I};
}

}  // namespace slmkit
