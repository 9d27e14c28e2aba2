// Cross-entropy of logits against integer targets (loss = lse - logit[target]): forward and backward.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "dtype_dispatch.h"
#include "parallel.h"
#include "slmkit/cross_entropy.h"
#include "vec_math.h"

namespace slmkit {
namespace {

// Vocabulary rows (up to ~130k) are walked in chunks that stay in L1 while they are reused.
constexpr int64_t kChunk = 2048;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

template <typename T>
void cross_entropy_forward_typed(const TensorView& logits,   // [N, V]
                                 const TensorView& targets,  // [N] i32
                                 const TensorView& loss,     // [N] f32
                                 const TensorView& lse,      // [N] f32
                                 int64_t ignore_index) {
  const int64_t N = logits.shape[0], V = logits.shape[1];
  const T* xp = logits.ptr<T>();
  const int32_t* tp = targets.ptr<int32_t>();
  float *loss_p = loss.ptr<float>(), *lse_p = lse.ptr<float>();
  parallel_for(N, std::max<int64_t>(1, 65536 / std::max<int64_t>(V, 1)), [&](int64_t begin, int64_t end) {
    std::vector<float> x_buf(kChunk);
    for (int64_t r = begin; r < end; ++r) {
      const T* row = xp + r * V;
      // Online log-sum-exp: one pass over the row, rescaling the running sum when the max grows. vec_max
      // skips NaNs; a NaN logit surfaces as a NaN sum instead, which makes the whole row NaN.
      float m = kNegInf;
      double sum = 0;
      for (int64_t c0 = 0; c0 < V; c0 += kChunk) {
        const int64_t n = std::min(kChunk, V - c0);
        const float* x = f32_row(row + c0, x_buf.data(), n);
        const float m_new = std::max(m, vec_max(x, n));
        if (m_new == kNegInf) {
          // Only -inf (adds nothing) and NaN so far; the exp-sum below cannot see a NaN against m = -inf.
          if (std::any_of(x, x + n, [](float v) { return v != v; })) sum = std::numeric_limits<double>::quiet_NaN();
        } else {
          if (m_new != m) sum *= std::exp(static_cast<double>(m) - m_new);
          sum += vec_exp_sum(x, m_new, nullptr, n);
          m = m_new;
        }
        if (sum != sum) break;
      }
      const float row_lse = static_cast<float>(m + std::log(sum));
      lse_p[r] = row_lse;
      loss_p[r] = tp[r] == ignore_index ? 0.0f : row_lse - load(row[tp[r]]);
    }
  });
}

template <typename T>
void cross_entropy_backward_typed(const TensorView& logits,   // [N, V]
                                  const TensorView& targets,  // [N] i32
                                  const TensorView& lse,      // [N] f32
                                  const TensorView& gloss,    // [N] f32
                                  const TensorView& glogits,  // [N, V]
                                  int64_t ignore_index) {
  const int64_t N = logits.shape[0], V = logits.shape[1];
  const int64_t chunks_per_row = (V + kChunk - 1) / kChunk;
  const T* xp = logits.ptr<T>();
  const int32_t* tp = targets.ptr<int32_t>();
  const float *lse_p = lse.ptr<float>(), *gl_p = gloss.ptr<float>();
  T* gp = glogits.ptr<T>();
  // Tasks are (row, vocabulary chunk) so a few long rows still spread over all threads.
  parallel_for(N * chunks_per_row, 8, [&](int64_t begin, int64_t end) {
    float x_buf[kChunk], g_buf[kChunk];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t r = task / chunks_per_row, c0 = (task % chunks_per_row) * kChunk;
      const int64_t n = std::min(kChunk, V - c0);
      float* g = f32_out(gp + r * V + c0, g_buf);
      if (tp[r] == ignore_index) {
        std::fill(g, g + n, 0.0f);
      } else {
        const float* x = f32_row(xp + r * V + c0, x_buf, n);
        const float row_lse = lse_p[r], scale = gl_p[r];
        for (int64_t j = 0; j < n; ++j) g[j] = x[j] - row_lse;
        vec_exp(g, g, n);  // softmax(logits)
        const int64_t t = tp[r] - c0;
        if (t >= 0 && t < n) g[t] -= 1.0f;
        for (int64_t j = 0; j < n; ++j) g[j] *= scale;
      }
      store_if_bf16(g, gp + r * V + c0, n);
    }
  });
}

// Arguments: slmkit/cross_entropy.h.
void cross_entropy_forward(const OpArgs& a) {
  const CrossEntropyForwardArgs r = decode_cross_entropy_forward(a);
  check_cross_entropy_targets(kCrossEntropyForward.name, r.targets, r.vocab, r.ignore_index);
  dispatch_float(r.logits.dtype, [&](auto tag) {
    cross_entropy_forward_typed<decltype(tag)>(r.logits, r.targets, r.loss, r.lse, r.ignore_index);
  });
}

void cross_entropy_backward(const OpArgs& a) {
  const CrossEntropyBackwardArgs r = decode_cross_entropy_backward(a);
  check_cross_entropy_targets(kCrossEntropyBackward.name, r.targets, r.vocab, r.ignore_index);
  dispatch_float(r.logits.dtype, [&](auto tag) {
    cross_entropy_backward_typed<decltype(tag)>(r.logits, r.targets, r.lse, r.gloss, r.glogits, r.ignore_index);
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kCrossEntropyForward, cross_entropy_forward},
                         {&kCrossEntropyBackward, cross_entropy_backward}});

}  // namespace slmkit
