// Multi-tensor AdamW step (torch.optim.AdamW semantics), optionally refreshing bf16 compute copies of the
// updated parameters in the same pass, and the global L2 norm used for clipping.
#include <algorithm>
#include <cmath>
#include <vector>

#include "dtype_dispatch.h"
#include "parallel.h"
#include "slmkit/adamw.h"
#include "vec_math.h"

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

// Blocks of n tensors, tensor i holding numel(i) elements.
template <typename Numel> std::vector<Block> make_blocks(int32_t n, Numel numel) {
  std::vector<Block> blocks;
  for (int32_t i = 0; i < n; ++i) {
    const int64_t count = numel(i);
    for (int64_t b = 0; b < count; b += kBlock) blocks.push_back({i, b, std::min(count, b + kBlock)});
  }
  return blocks;
}

// Elements [begin, end) of one tensor, with the arithmetic of slmkit/adamw.h in its operation order (torch's).
template <typename G> void adamw_block(const AdamwStepArgs& r, const AdamwSlot& s, int64_t begin, int64_t end) {
  const G* grad = s.g->ptr<G>() + begin;                  // [n]
  float* p = s.p->ptr<float>() + begin;                   // [n], updated in place
  float* m = s.m->ptr<float>() + begin;                   // [n], updated in place
  float* v = s.v->ptr<float>() + begin;                   // [n], updated in place
  bf16* copy = s.c ? s.c->ptr<bf16>() + begin : nullptr;  // [n] bf16(p) after the update, or null for none
  // Scalars in locals: the stores through p, m and v could otherwise alias the structs' floats, which
  // would reload them every element and keep the loop from vectorising.
  const float beta1 = r.beta1, beta2 = r.beta2, one_minus_beta1 = r.one_minus_beta1;
  const float one_minus_beta2 = r.one_minus_beta2, eps = r.eps, grad_scale = r.grad_scale, bc2_sqrt = r.bc2_sqrt;
  const float decay = s.decay, step_size = s.step_size;
  const int64_t n = end - begin;
  constexpr int64_t kTile = 1024;  // bf16 gradients are widened a tile at a time
  float g_buf[kTile];
  for (int64_t i0 = 0; i0 < n; i0 += kTile) {
    const int64_t len = std::min(kTile, n - i0);
    const float* g = f32_row(grad + i0, g_buf, len);
    float *pt = p + i0, *mt = m + i0, *vt = v + i0;
    for (int64_t j = 0; j < len; ++j) {
      const float gj = g[j] * grad_scale;
      const float pj = pt[j] * decay;  // decoupled weight decay, before the moment update
      const float mj = beta1 * mt[j] + one_minus_beta1 * gj;
      const float vj = beta2 * vt[j] + one_minus_beta2 * gj * gj;
      mt[j] = mj;
      vt[j] = vj;
      pt[j] = pj - step_size * (mj / (std::sqrt(vj) / bc2_sqrt + eps));
    }
    if (copy) store_row(pt, copy + i0, len);  // round to nearest even, while the tile is in cache
  }
}

// Arguments: slmkit/adamw.h.
void adamw_step(const OpArgs& a) {
  const AdamwStepArgs r = decode_adamw_step(a);
  const std::vector<Block> blocks =
      make_blocks(static_cast<int32_t>(r.slots.size()), [&](int32_t i) { return r.slots[i].numel; });
  parallel_for(static_cast<int64_t>(blocks.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const Block& blk = blocks[b];
      const AdamwSlot& s = r.slots[blk.tensor];
      dispatch_float(s.g->dtype, [&](auto tag) { adamw_block<decltype(tag)>(r, s, blk.begin, blk.end); });
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

// Arguments: slmkit/adamw.h.
void global_norm(const OpArgs& a) {
  const GlobalNormArgs r = decode_global_norm(a);
  const TensorView* tensors = r.tensors;
  // One f64 partial per fixed block, summed in block order: the same bits for any thread count.
  const std::vector<Block> blocks = make_blocks(r.count, [&](int32_t i) { return tensors[i].numel(); });
  std::vector<double> partial(blocks.size(), 0.0);
  parallel_for(static_cast<int64_t>(blocks.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const Block& blk = blocks[b];
      const TensorView& t = tensors[blk.tensor];
      dispatch_float(t.dtype, [&](auto tag) {
        using T = decltype(tag);
        partial[b] = sum_squares(t.ptr<T>() + blk.begin, blk.end - blk.begin);
      });
    }
  });
  double total = 0;
  for (double s : partial) total += s;
  r.norm.ptr<float>()[0] = static_cast<float>(std::sqrt(total));
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kAdamwStep, adamw_step}, {&kGlobalNorm, global_norm}});

}  // namespace slmkit
