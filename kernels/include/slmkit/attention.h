// Host contract of fused attention: o = softmax(scale * q k^T, masked) v per (batch, query head), with GQA,
// causal masking with a key offset, and the log-sum-exp lse saved for the backward (native/KERNELS.md).
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kAttentionForward{
    "attention_forward", {"q", "k", "v"}, {"o", "lse"}, {"scale", "causal", "kv_offset"}};
inline const KernelSignature kAttentionBackward{
    "attention_backward", {"q", "k", "v", "o", "lse", "go"}, {"gq", "gk", "gv"}, {"scale", "causal", "kv_offset"}};

// Sizes and attributes shared by the forward and the backward. Plain data: the CUDA kernels take it by value.
struct AttentionShape {
  int64_t B, H, Hkv, T, S, D;
  int64_t group;      // query heads per key/value head, H / Hkv (1 when there are no heads)
  float scale;        // finite
  bool causal;        // query t sees keys s <= t + kv_offset
  int64_t kv_offset;  // >= 0

  // Keys visible to query row t: [0, visible(t)). Monotone in t, which block skipping relies on.
  int64_t visible(int64_t t) const {
    if (!causal) return S;
    return std::min<int64_t>(S, std::max<int64_t>(0, t + kv_offset + 1));
  }
};

// q, k, v and the attributes, as both kernels check them.
inline AttentionShape decode_attention_shape(const KernelCall& c) {
  c.dense("q", 4);
  c.floating("q");
  c.dense("k", 4);
  const TensorView &q = c.in("q"), &k = c.in("k");
  c.dtype("k", q.dtype);
  c.like("v", "k");
  if (k.shape[0] != q.shape[0] || k.shape[3] != q.shape[3])
    c.fail("k must be [B, Hkv, S, D] with q's B and D, got q " + shape_str(q) + " and k " + shape_str(k));
  AttentionShape s{q.shape[0], q.shape[1], k.shape[1], q.shape[2], k.shape[2], q.shape[3], 1, 0.f, false, 0};
  if (s.Hkv == 0 ? s.H != 0 : s.H % s.Hkv != 0)
    c.fail("query heads H must be a multiple of key/value heads Hkv, got q " + shape_str(q) + " and k " + shape_str(k));
  s.group = s.Hkv == 0 ? 1 : s.H / s.Hkv;
  s.scale = static_cast<float>(c.finite("scale"));
  s.causal = c.flag("causal");
  s.kv_offset = c.whole("kv_offset");
  if (s.kv_offset < 0) c.fail("kv_offset must be >= 0, got " + std::to_string(s.kv_offset));
  return s;
}

struct AttentionForwardArgs {
  TensorView q;    // [B, H, T, D] f32 or bf16, contiguous
  TensorView k;    // [B, Hkv, S, D], q's dtype
  TensorView v;    // [B, Hkv, S, D], q's dtype
  TensorView o;    // [B, H, T, D], q's dtype
  TensorView lse;  // [B, H, T] f32
  AttentionShape shape;
};

inline AttentionForwardArgs decode_attention_forward(const OpArgs& a) {
  const KernelCall c(a, kAttentionForward);
  const AttentionShape s = decode_attention_shape(c);
  c.like("o", "q");
  c.shape("lse", {s.B, s.H, s.T}, DType::f32);
  return {c.in("q"), c.in("k"), c.in("v"), c.out("o"), c.out("lse"), s};
}

struct AttentionBackwardArgs {
  TensorView q;    // [B, H, T, D] f32 or bf16, contiguous
  TensorView k;    // [B, Hkv, S, D], q's dtype
  TensorView v;    // [B, Hkv, S, D], q's dtype
  TensorView o;    // [B, H, T, D], q's dtype: the forward's output
  TensorView lse;  // [B, H, T] f32: the forward's log-sum-exp
  TensorView go;   // [B, H, T, D], q's dtype
  TensorView gq;   // [B, H, T, D], q's dtype
  TensorView gk;   // [B, Hkv, S, D], q's dtype
  TensorView gv;   // [B, Hkv, S, D], q's dtype
  AttentionShape shape;
};

inline AttentionBackwardArgs decode_attention_backward(const OpArgs& a) {
  const KernelCall c(a, kAttentionBackward);
  const AttentionShape s = decode_attention_shape(c);
  c.like("o", "q");
  c.shape("lse", {s.B, s.H, s.T}, DType::f32);
  c.like("go", "q");
  c.like("gq", "q");
  c.like("gk", "k");
  c.like("gv", "k");
  return {c.in("q"),  c.in("k"),   c.in("v"),   c.in("o"),   c.in("lse"),
          c.in("go"), c.out("gq"), c.out("gk"), c.out("gv"), s};
}

}  // namespace slmkit
