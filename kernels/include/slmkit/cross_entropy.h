// Host contract of fused cross-entropy: loss[i] = lse[i] - logits[i, t_i], rows with t_i == ignore_index
// give loss 0 and a zero gradient.
#pragma once
#include <string>

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kCrossEntropyForward{
    "cross_entropy_forward", {"logits", "targets"}, {"loss", "lse"}, {"ignore_index"}};
inline const KernelSignature kCrossEntropyBackward{
    "cross_entropy_backward", {"logits", "targets", "lse", "gloss"}, {"glogits"}, {"ignore_index"}};

struct CrossEntropyForwardArgs {
  TensorView logits;   // [N, V] f32 or bf16, contiguous
  TensorView targets;  // [N] i32: a class in [0, V) or ignore_index
  TensorView loss;     // [N] f32
  TensorView lse;      // [N] f32: log-sum-exp of each row
  int64_t rows, vocab;
  int64_t ignore_index;  // a whole number
};

struct CrossEntropyBackwardArgs {
  TensorView logits;   // [N, V] f32 or bf16, contiguous
  TensorView targets;  // [N] i32: a class in [0, V) or ignore_index
  TensorView lse;      // [N] f32, from the forward
  TensorView gloss;    // [N] f32
  TensorView glogits;  // [N, V], logits' dtype
  int64_t rows, vocab;
  int64_t ignore_index;  // a whole number
};

// logits and targets, the same in forward and backward.
inline void check_cross_entropy_inputs(const KernelCall& c) {
  c.dense("logits", 2);
  c.floating("logits");
  c.shape("targets", {c.in("logits").shape[0]}, DType::i32);
}

inline CrossEntropyForwardArgs decode_cross_entropy_forward(const OpArgs& a) {
  const KernelCall c(a, kCrossEntropyForward);
  check_cross_entropy_inputs(c);
  const TensorView& logits = c.in("logits");
  const int64_t N = logits.shape[0], V = logits.shape[1];
  c.shape("loss", {N}, DType::f32);
  c.shape("lse", {N}, DType::f32);
  return {logits, c.in("targets"), c.out("loss"), c.out("lse"), N, V, c.whole("ignore_index")};
}

inline CrossEntropyBackwardArgs decode_cross_entropy_backward(const OpArgs& a) {
  const KernelCall c(a, kCrossEntropyBackward);
  check_cross_entropy_inputs(c);
  const TensorView& logits = c.in("logits");
  const int64_t N = logits.shape[0], V = logits.shape[1];
  c.shape("lse", {N}, DType::f32);
  c.shape("gloss", {N}, DType::f32);
  c.like("glogits", "logits");
  return {logits, c.in("targets"), c.in("lse"), c.in("gloss"), c.out("glogits"), N, V, c.whole("ignore_index")};
}

// Every target a class in [0, V) or ignore_index, read from host memory: the CPU backend's check, run before
// anything is written. The CUDA backend does not read targets on the host; a bad target gives its row a NaN
// loss and gradient instead (native/KERNELS.md, CUDA notes).
inline void check_cross_entropy_targets(const char* kernel, const TensorView& targets, int64_t vocab,
                                        int64_t ignore_index) {
  const int32_t* tp = targets.ptr<int32_t>();
  for (int64_t i = 0; i < targets.shape[0]; ++i) {
    const int64_t t = tp[i];
    if (t != ignore_index && (t < 0 || t >= vocab))
      kernel_fail(kernel, "target " + std::to_string(t) + " at row " + std::to_string(i) + " is outside [0, " +
                              std::to_string(vocab) + ") and is not ignore_index " + std::to_string(ignore_index));
  }
}

}  // namespace slmkit
