// Host contract of rotary position embeddings (rotate-half: pairs d and d + D/2 for d < D/2). Position
// p = position_offset + t, angle = p * theta^(-2d/D); the forward rotates by +angle, the backward by -angle
// (the rotation is orthogonal, so its inverse is its transpose). Both decode into one RopeArgs.
#pragma once
#include <string>

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kRopeForward{"rope_forward", {"x"}, {"y"}, {"theta", "position_offset"}};
inline const KernelSignature kRopeBackward{"rope_backward", {"gy"}, {"gx"}, {"theta", "position_offset"}};

struct RopeArgs {
  TensorView in;           // [B, H, T, D] f32 or bf16, contiguous, D even: x (forward) or gy (backward)
  TensorView out;          // [B, H, T, D], in's dtype: y or gx
  int64_t seq, head_dim;   // T, D
  double theta;            // finite, > 0
  double position_offset;  // finite: the position of t = 0
  float sign;              // +1 rotates forward, -1 back
};

inline RopeArgs decode_rope(const KernelCall& c, const char* in, const char* out, float sign) {
  c.dense(in, 4);
  c.floating(in);
  c.like(out, in);
  const TensorView& x = c.in(in);
  if (x.shape[3] % 2 != 0) c.fail(std::string("head dim D must be even, got ") + in + " " + shape_str(x));
  const double theta = c.finite("theta");
  if (!(theta > 0)) c.fail("theta must be > 0, got " + std::to_string(theta));
  return {x, c.out(out), x.shape[2], x.shape[3], theta, c.finite("position_offset"), sign};
}

inline RopeArgs decode_rope_forward(const OpArgs& a) {
  return decode_rope(KernelCall(a, kRopeForward), "x", "y", 1.0f);
}
inline RopeArgs decode_rope_backward(const OpArgs& a) {
  return decode_rope(KernelCall(a, kRopeBackward), "gy", "gx", -1.0f);
}

}  // namespace slmkit
