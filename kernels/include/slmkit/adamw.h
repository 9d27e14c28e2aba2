// Host contract of the multi-tensor AdamW step (torch.optim.AdamW semantics, optional bf16 copies of the
// updated parameters) and of the global L2 norm used for clipping.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kAdamwStep{"adamw_step",
                                        {"grads..."},
                                        {"params...", "exp_avg...", "exp_avg_sq...", "bf16_copies..."},
                                        {"beta1", "beta2", "eps", "step", "grad_scale", "lr_wd..."}};
inline const KernelSignature kGlobalNorm{"global_norm", {"tensors..."}, {"norm"}, {}};

// One tensor of an AdamW step. The views live in the caller's OpArgs.
struct AdamwSlot {
  const TensorView* g;  // [*] f32 or bf16, contiguous: the gradient
  const TensorView* p;  // g's shape, f32, contiguous: the master weights, updated in place
  const TensorView* m;  // g's shape, f32, contiguous: first moment, updated in place
  const TensorView* v;  // g's shape, f32, contiguous: second moment, updated in place
  const TensorView* c;  // g's shape, bf16, contiguous: receives p rounded after the update; null for no copy
  int64_t numel;
  float decay;      // 1 - lr * wd
  float step_size;  // lr / (1 - beta1^step)
};

// The step's scalars, computed in f64 like torch's Python-side ones and rounded once, so that both devices
// use the same f32 scalars (per element nvcc may fuse a*b+c into one FMA and the CPU does not, so the two
// agree to about an ulp, not bit for bit; see native/KERNELS.md):
//   g *= grad_scale; p *= decay; m = beta1 * m + one_minus_beta1 * g; v = beta2 * v + one_minus_beta2 * g * g;
//   p = p - step_size * (m / (sqrt(v) / bc2_sqrt + eps)).
struct AdamwStepArgs {
  std::vector<AdamwSlot> slots;  // one per gradient, in call order, empty tensors included
  float beta1, beta2;
  // 1 - beta in f64, as torch: 1.0f - 0.999f is off by 1.3e-5 relative.
  float one_minus_beta1, one_minus_beta2;
  float eps, grad_scale;
  float bc2_sqrt;  // sqrt(1 - beta2^step): one step count for every tensor of the call
};

namespace adamw_detail {

// "grads[3]": element i of the list `list` ("grads..."), as messages name it. Built only on failure.
inline std::string list_item(const char* list, int32_t i) {
  std::string name(list);
  return name.substr(0, name.size() - 3) + "[" + std::to_string(i) + "]";
}

// The cheap test run for every tensor of every step (a step may carry thousands); slot_fail() builds the
// message naming the argument only once something is wrong.
inline bool slot_ok(const AdamwSlot& s) {
  const TensorView& g = *s.g;
  if (!is_float(g.dtype) || !g.is_contiguous()) return false;
  for (const TensorView* t : {s.p, s.m, s.v})
    if (t->dtype != DType::f32 || !same_shape(*t, g) || !t->is_contiguous()) return false;
  return !s.c || (s.c->dtype == DType::bf16 && same_shape(*s.c, g) && s.c->is_contiguous());
}

[[noreturn]] inline void slot_fail(const KernelCall& call, const AdamwSlot& s, int32_t i) {
  const char* k = call.kernel();
  const std::vector<const char*>& outs = kAdamwStep.outputs;
  const std::string g_name = list_item(kAdamwStep.inputs[0], i);
  check_float(k, g_name.c_str(), *s.g);
  check_contiguous(k, g_name.c_str(), *s.g);
  const TensorView* views[4] = {s.p, s.m, s.v, s.c};
  for (int j = 0; j < 4; ++j) {
    if (!views[j]) continue;
    const std::string name = list_item(outs[j], i);
    check_same_shape(k, (g_name + " and " + name).c_str(), *s.g, *views[j]);
    check_contiguous(k, name.c_str(), *views[j]);
    check_dtype(k, name.c_str(), *views[j], j < 3 ? DType::f32 : DType::bf16);
  }
  call.fail(g_name + ": slot_ok() and slot_fail() disagree");  // a bug here, never a bad argument
}

}  // namespace adamw_detail

// inputs: grads g_0..g_{n-1}; outputs: params p_0..p_{n-1}, exp_avg m_0.., exp_avg_sq v_0.., then either
// nothing or bf16_copies c_0..c_{n-1} (an empty c_i means no copy of p_i); attrs: beta1, beta2, eps, step,
// grad_scale, then lr_wd: lr_i, wd_i per tensor. Every slot is checked here, before any device work, so
// a bad one leaves every tensor as it was.
inline AdamwStepArgs decode_adamw_step(const OpArgs& a) {
  const KernelCall c(a, kAdamwStep);
  const int32_t n = a.num_inputs;
  const bool with_copies = n > 0 && a.num_outputs == 4 * n;
  if ((a.num_outputs != 3 * n && !with_copies) || a.num_attrs != 5 + 2 * n)
    c.fail(
        "expected n grads, 3n outputs (params, exp_avg, exp_avg_sq) or 4n (with bf16_copies) and 5 + 2n "
        "attributes (an lr_wd pair per tensor), got " +
        std::to_string(n) + " inputs, " + std::to_string(a.num_outputs) + " outputs and " +
        std::to_string(a.num_attrs) + " attributes");
  const double beta1 = c.finite("beta1"), beta2 = c.finite("beta2"), eps = c.finite("eps");
  const double step = c.finite("step"), grad_scale = c.finite("grad_scale");
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
    c.fail("betas must be in [0, 1), got " + std::to_string(beta1) + ", " + std::to_string(beta2));
  if (step < 1) c.fail("step counts from 1, got " + std::to_string(step));
  const double bc1 = 1.0 - std::pow(beta1, step), bc2_sqrt = std::sqrt(1.0 - std::pow(beta2, step));
  AdamwStepArgs r{{},
                  static_cast<float>(beta1),
                  static_cast<float>(beta2),
                  static_cast<float>(1.0 - beta1),
                  static_cast<float>(1.0 - beta2),
                  static_cast<float>(eps),
                  static_cast<float>(grad_scale),
                  static_cast<float>(bc2_sqrt)};
  r.slots.resize(static_cast<size_t>(n));
  const double* lr_wd = a.attrs + 5;
  for (int32_t i = 0; i < n; ++i) {
    AdamwSlot& s = r.slots[i];
    s.g = &a.inputs[i];
    s.p = &a.outputs[i];
    s.m = &a.outputs[n + i];
    s.v = &a.outputs[2 * n + i];
    s.c = with_copies && a.outputs[3 * n + i].numel() != 0 ? &a.outputs[3 * n + i] : nullptr;
    if (!adamw_detail::slot_ok(s)) adamw_detail::slot_fail(c, s, i);
    const double lr = lr_wd[2 * i], wd = lr_wd[2 * i + 1];
    if (!std::isfinite(lr) || !std::isfinite(wd))
      c.fail(std::string(std::isfinite(lr) ? "wd[" : "lr[") + std::to_string(i) + "] must be finite, got " +
             std::to_string(std::isfinite(lr) ? wd : lr));
    s.numel = s.g->numel();
    s.decay = static_cast<float>(1.0 - lr * wd);
    s.step_size = static_cast<float>(lr / bc1);
  }
  return r;
}

struct GlobalNormArgs {
  const TensorView* tensors;  // count tensors of any shape, f32 or bf16, contiguous
  int32_t count;
  TensorView norm;  // [1] f32: sqrt of the sum of squares of every element
};

inline GlobalNormArgs decode_global_norm(const OpArgs& a) {
  const KernelCall c(a, kGlobalNorm);
  c.shape("norm", {1}, DType::f32);
  for (int32_t i = 0; i < a.num_inputs; ++i) {
    const TensorView& t = a.inputs[i];
    if (is_float(t.dtype) && t.is_contiguous()) continue;  // the cheap test; the message only on failure
    const std::string name = adamw_detail::list_item(kGlobalNorm.inputs[0], i);
    check_float(c.kernel(), name.c_str(), t);
    check_contiguous(c.kernel(), name.c_str(), t);
  }
  return {a.inputs, a.num_inputs, c.out("norm")};
}

}  // namespace slmkit
