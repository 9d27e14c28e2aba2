// Multi-tensor AdamW step (torch.optim.AdamW semantics), optionally refreshing bf16 compute copies of the
// updated parameters in the same pass, and the global L2 norm used for clipping.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "dtype_dispatch.h"
#include "slmkit/checks.h"
#include "parallel.h"
#include "vec_math.h"
#include "slmkit/adamw.h"

namespace slmkit {
namespace {

// Work over a list of tensors is split into fixed-size blocks of one tensor each, so big tensors are
// shared between threads, small ones do not each cost a task, and block boundaries (hence any reduction
// order) do not depend on the thread count.
constexpr int64_t kBlock = 1 << 16;

struct Block {
  int32_t tensor;
  int64_t begin, end;
};

std::vector<Block> make_blocks(const TensorView* tensors, int32_t n) {
  std::vector<Block> blocks;
  for (int32_t i = 0; i < n; ++i) {
    const int64_t numel = tensors[i].numel();
    for (int64_t b = 0; b < numel; b += kBlock) blocks.push_back({i, b, std::min(numel, b + kBlock)});
  }
  return blocks;
}

// Per-tensor constants of one step, computed in f64 like torch's Python-side scalars.
struct AdamwScalars {
  float decay;       // 1 - lr * wd
  float step_size;   // lr / (1 - beta1^step)
  float bc2_sqrt;   // sqrt(1 - beta2^step)
  // 1 - beta computed in double, as torch does: 1.0f - 0.999f is off by 1.3e-5 relative.
  float one_minus_beta1;
  float one_minus_beta2;
};

template <typename G>
void adamw_block(const G* grad,  // [n] of g_i
                 float* p, float* m, float* v,  // [n] each, updated in place
                 bf16* copy,                    // [n] bf16(p) after the update, or null for no copy
                 int64_t n, float beta1, float beta2, float eps, float grad_scale, const AdamwScalars& s) {
  constexpr int64_t kTile = 1024;  // bf16 gradients are widened a tile at a time
  float g_buf[kTile];
  for (int64_t i0 = 0; i0 < n; i0 += kTile) {
    const int64_t len = std::min(kTile, n - i0);
    const float* g = f32_row(grad + i0, g_buf, len);
    float *pt = p + i0, *mt = m + i0, *vt = v + i0;
    for (int64_t j = 0; j < len; ++j) {
      const float gj = g[j] * grad_scale;
      const float pj = pt[j] * s.decay;  // decoupled weight decay, before the moment update
      const float mj = beta1 * mt[j] + s.one_minus_beta1 * gj;
      const float vj = beta2 * vt[j] + s.one_minus_beta2 * gj * gj;
      mt[j] = mj;
      vt[j] = vj;
      // Same operation order as torch: denom = sqrt(v) / sqrt(bc2) + eps; p += -step_size * (m / denom).
      pt[j] = pj - s.step_size * (mj / (std::sqrt(vj) / s.bc2_sqrt + eps));
    }
    if (copy) store_row(pt, copy + i0, len);  // round to nearest even, while the tile is in cache
  }
}

// g_i contiguous float; p_i, m_i, v_i contiguous f32 of its shape; c_i (when not empty, which means "no
// copy of p_i") contiguous bf16 of its shape. slot_ok() is the cheap test run for every tensor of every
// step; check_slot() builds the message naming the argument only once something is wrong.
bool slot_ok(const OpArgs& a, int32_t i, int32_t n, const TensorView* copy) {
  const TensorView& g = a.inputs[i];
  if (!is_float(g.dtype) || !g.is_contiguous()) return false;
  for (int j = 0; j < 3; ++j) {
    const TensorView& t = a.outputs[j * n + i];
    if (!same_shape(g, t) || !t.is_contiguous() || t.dtype != DType::f32) return false;
  }
  return !copy || (same_shape(g, *copy) && copy->is_contiguous() && copy->dtype == DType::bf16);
}

void check_slot(const OpArgs& a, const char* k, int32_t i, int32_t n, const TensorView* copy) {
  const std::string idx = std::to_string(i), g_name = "g_" + idx;
  const TensorView& g = a.inputs[i];
  check_float(k, g_name.c_str(), g);
  check_contiguous(k, g_name.c_str(), g);
  const char* names[3] = {"p_", "m_", "v_"};
  for (int j = 0; j < 3; ++j) {
    const TensorView& t = a.outputs[j * n + i];
    const std::string name = names[j] + idx;
    check_same_shape(k, (g_name + " and " + name).c_str(), g, t);
    check_contiguous(k, name.c_str(), t);
    check_dtype(k, name.c_str(), t, DType::f32);
  }
  if (copy) {
    const std::string name = "c_" + idx;
    check_same_shape(k, (g_name + " and " + name).c_str(), g, *copy);
    check_contiguous(k, name.c_str(), *copy);
    check_dtype(k, name.c_str(), *copy, DType::bf16);
  }
}

void adamw_step(const OpArgs& a) {
  const char* k = "adamw_step";
  const int32_t n = a.num_inputs;
  const bool with_copies = a.num_outputs == 4 * n && n > 0;
  if ((a.num_outputs != 3 * n && !with_copies) || a.num_attrs != 5 + 2 * n)
    kernel_fail(k, "expected n gradients, 3n outputs (p, m, v) or 4n (p, m, v, bf16 copies) and 5 + 2n attrs, got " +
                       std::to_string(n) + " inputs, " + std::to_string(a.num_outputs) + " outputs and " +
                       std::to_string(a.num_attrs) + " attrs");
  const double beta1 = finite_attr(a, k, 0, "beta1"), beta2 = finite_attr(a, k, 1, "beta2");
  const double eps = finite_attr(a, k, 2, "eps"), step = finite_attr(a, k, 3, "step");
  const double grad_scale = finite_attr(a, k, 4, "grad_scale");
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
    kernel_fail(k, "betas must be in [0, 1), got " + std::to_string(beta1) + ", " + std::to_string(beta2));
  if (step < 1) kernel_fail(k, "step counts from 1, got " + std::to_string(step));
  // Bias corrections are shared by every tensor of the call (one step count).
  const double bc1 = 1.0 - std::pow(beta1, step), bc2_sqrt = std::sqrt(1.0 - std::pow(beta2, step));
  std::vector<AdamwScalars> scalars(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    const TensorView* copy = with_copies && a.outputs[3 * n + i].numel() != 0 ? &a.outputs[3 * n + i] : nullptr;
    if (!slot_ok(a, i, n, copy)) check_slot(a, k, i, n, copy);
    const double lr = finite_attr(a, k, 5 + 2 * i, "lr"), wd = finite_attr(a, k, 6 + 2 * i, "wd");
    scalars[i] = {static_cast<float>(1.0 - lr * wd), static_cast<float>(lr / bc1), static_cast<float>(bc2_sqrt),
                  static_cast<float>(1.0 - beta1), static_cast<float>(1.0 - beta2)};
  }
  const std::vector<Block> blocks = make_blocks(a.inputs, n);
  parallel_for(static_cast<int64_t>(blocks.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const Block& blk = blocks[b];
      const int32_t i = blk.tensor;
      float* p = a.outputs[i].ptr<float>() + blk.begin;
      float* m = a.outputs[n + i].ptr<float>() + blk.begin;
      float* v = a.outputs[2 * n + i].ptr<float>() + blk.begin;
      bf16* copy = with_copies && a.outputs[3 * n + i].numel() != 0 ? a.outputs[3 * n + i].ptr<bf16>() + blk.begin : nullptr;
      dispatch_float(a.inputs[i].dtype, [&](auto tag) {
        using G = decltype(tag);
        adamw_block(a.inputs[i].ptr<G>() + blk.begin, p, m, v, copy, blk.end - blk.begin, static_cast<float>(beta1),
                    static_cast<float>(beta2), static_cast<float>(eps), static_cast<float>(grad_scale), scalars[i]);
      });
    }
  });
}

template <typename T> double sum_squares(const T* x, int64_t n) {  // x: [n]
  constexpr int64_t kTile = 1024;
  float buf[kTile];
  double s = 0;
  for (int64_t i = 0; i < n; i += kTile) {
    const int64_t len = std::min(kTile, n - i);
    const float* xf = f32_row(x + i, buf, len);
    s += vec_dot(xf, xf, len);
  }
  return s;
}

void global_norm(const OpArgs& a) {
  const char* k = "global_norm";
  if (a.num_outputs != 1 || a.num_attrs != 0)
    kernel_fail(k, "expected 1 output and no attrs, got " + std::to_string(a.num_outputs) + " outputs and " +
                       std::to_string(a.num_attrs) + " attrs");
  check_shape(k, "y", a.outputs[0], {1}, DType::f32);
  for (int32_t i = 0; i < a.num_inputs; ++i) {
    const std::string name = "t_" + std::to_string(i);
    check_float(k, name.c_str(), a.inputs[i]);
    check_contiguous(k, name.c_str(), a.inputs[i]);
  }
  const TensorView& y = a.outputs[0];
  // One f64 partial per fixed block, summed in block order: the same bits for any thread count.
  const std::vector<Block> blocks = make_blocks(a.inputs, a.num_inputs);
  std::vector<double> partial(blocks.size(), 0.0);
  parallel_for(static_cast<int64_t>(blocks.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const Block& blk = blocks[b];
      const TensorView& t = a.inputs[blk.tensor];
      dispatch_float(t.dtype, [&](auto tag) {
        using T = decltype(tag);
        partial[b] = sum_squares(t.ptr<T>() + blk.begin, blk.end - blk.begin);
      });
    }
  });
  double total = 0;
  for (double s : partial) total += s;
  y.ptr<float>()[0] = static_cast<float>(std::sqrt(total));
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kAdamwStep, adamw_step}, {&kGlobalNorm, global_norm}});

}  // namespace slmkit
