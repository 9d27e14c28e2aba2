// Host contract of SwiGLU: y = silu(gate) * up, elementwise over [N, F].
#pragma once

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kSwigluForward{"swiglu_forward", {"gate", "up"}, {"y"}, {}};
inline const KernelSignature kSwigluBackward{"swiglu_backward", {"gate", "up", "gy"}, {"ggate", "gup"}, {}};

struct SwigluForwardArgs {
  TensorView gate;  // [N, F] f32 or bf16, contiguous
  TensorView up;    // [N, F], gate's dtype
  TensorView y;     // [N, F], gate's dtype
  int64_t numel;    // N * F
};

struct SwigluBackwardArgs {
  TensorView gate;   // [N, F] f32 or bf16, contiguous
  TensorView up;     // [N, F], gate's dtype
  TensorView gy;     // [N, F], gate's dtype
  TensorView ggate;  // [N, F], gate's dtype
  TensorView gup;    // [N, F], gate's dtype
  int64_t numel;     // N * F
};

// gate, and every other tensor named in `like` shaped and typed as gate.
inline void check_swiglu(const KernelCall& c, std::initializer_list<const char*> like) {
  c.dense("gate", 2);
  c.floating("gate");
  for (const char* name : like) c.like(name, "gate");
}

inline SwigluForwardArgs decode_swiglu_forward(const OpArgs& a) {
  const KernelCall c(a, kSwigluForward);
  check_swiglu(c, {"up", "y"});
  const TensorView& gate = c.in("gate");
  return {gate, c.in("up"), c.out("y"), gate.numel()};
}

inline SwigluBackwardArgs decode_swiglu_backward(const OpArgs& a) {
  const KernelCall c(a, kSwigluBackward);
  check_swiglu(c, {"up", "gy", "ggate", "gup"});
  const TensorView& gate = c.in("gate");
  return {gate, c.in("up"), c.in("gy"), c.out("ggate"), c.out("gup"), gate.numel()};
}

}  // namespace slmkit
