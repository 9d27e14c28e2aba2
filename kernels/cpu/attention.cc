// Scaled dot-product attention with GQA, causal masking and a key offset (flash-style, no T×S matrix):
// forward and backward.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "dtype_dispatch.h"
#include "parallel.h"
#include "slmkit/attention.h"
#include "vec_math.h"

namespace slmkit {
namespace {

constexpr int64_t kQueryBlock = 32;  // query rows per forward task / backward inner step
constexpr int64_t kKeyBlock = 64;    // keys per block: scores of one row for one block stay in registers/L1
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Transposes nk rows of length D (row-major) into kt[D][kKeyBlock], so score loops run over keys with
// unit stride and vectorise without a horizontal reduction.
void transpose_block(const float* rows, int64_t nk, int64_t D, float* kt) {
  for (int64_t j = 0; j < nk; ++j)
    for (int64_t d = 0; d < D; ++d) kt[d * kKeyBlock + j] = rows[j * D + d];
}

// s[j] = scale * (q . k_j) for j < nk, with kt the transposed key block.
inline void block_scores(const float* __restrict q, const float* __restrict kt, int64_t nk, int64_t D, float scale,
                         float* __restrict s) {
  std::fill(s, s + nk, 0.0f);
  for (int64_t d = 0; d < D; ++d) {
    const float qd = q[d];
    const float* kd = kt + d * kKeyBlock;
    for (int64_t j = 0; j < nk; ++j) s[j] += qd * kd[j];
  }
  for (int64_t j = 0; j < nk; ++j) s[j] *= scale;
}

// y += a*x over private accumulators y (restrict: see rank1_updates).
inline void axpy(float a, const float* __restrict x, float* __restrict y, int64_t D) {
  for (int64_t d = 0; d < D; ++d) y[d] += a * x[d];
}

// gv_j += p*go, gk_j += ds*q, gq += ds*k_j. restrict: the accumulators are private buffers, never the
// inputs, and saying so spares the compiler six-way run-time overlap checks in the hottest loop.
inline void rank1_updates(float p, float ds, const float* __restrict go, const float* __restrict q,
                          const float* __restrict k_j, float* __restrict gv_j, float* __restrict gk_j,
                          float* __restrict gq, int64_t D) {
  for (int64_t d = 0; d < D; ++d) {
    gv_j[d] += p * go[d];
    gk_j[d] += ds * q[d];
    gq[d] += ds * k_j[d];
  }
}

template <typename T>
void attention_forward_typed(const AttentionShape& sh,
                             const TensorView& q,      // [B, H, T, D]
                             const TensorView& k,      // [B, Hkv, S, D]
                             const TensorView& v,      // [B, Hkv, S, D]
                             const TensorView& o,      // [B, H, T, D]
                             const TensorView& lse) {  // [B, H, T] f32
  const int64_t T_len = sh.T, S = sh.S, D = sh.D;
  const int64_t q_blocks = (T_len + kQueryBlock - 1) / kQueryBlock;
  // Tasks ordered (b, h) major so a contiguous range of tasks mixes cheap and expensive causal blocks.
  parallel_for(sh.B * sh.H * q_blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> q_buf(kQueryBlock * D), k_buf(kKeyBlock * D), v_buf(kKeyBlock * D), kt(D * kKeyBlock);
    std::vector<float> acc(kQueryBlock * D), o_buf(kQueryBlock * D), s(kKeyBlock), m(kQueryBlock);
    std::vector<double> l(kQueryBlock);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t bh = task / q_blocks, b = bh / sh.H, h = bh % sh.H;
      const int64_t t0 = (task % q_blocks) * kQueryBlock, nq = std::min(kQueryBlock, T_len - t0);
      const int64_t kv_head = b * sh.Hkv + h / sh.group;
      const T* kp = k.ptr<T>() + kv_head * S * D;
      const T* vp = v.ptr<T>() + kv_head * S * D;
      const float* qf = f32_row(q.ptr<T>() + (bh * T_len + t0) * D, q_buf.data(), nq * D);
      std::fill(acc.begin(), acc.begin() + nq * D, 0.0f);
      std::fill(m.begin(), m.begin() + nq, kNegInf);
      std::fill(l.begin(), l.begin() + nq, 0.0);
      const int64_t s_end = sh.visible(t0 + nq - 1);
      for (int64_t s0 = 0; s0 < s_end; s0 += kKeyBlock) {
        const int64_t nk = std::min(kKeyBlock, s_end - s0);
        transpose_block(f32_row(kp + s0 * D, k_buf.data(), nk * D), nk, D, kt.data());
        const float* vf = f32_row(vp + s0 * D, v_buf.data(), nk * D);
        for (int64_t i = 0; i < nq; ++i) {
          const int64_t vis = std::min(nk, sh.visible(t0 + i) - s0);
          if (vis <= 0) continue;
          block_scores(qf + i * D, kt.data(), vis, D, sh.scale, s.data());
          // Online softmax: rescale what was accumulated under the old max when the max grows. vec_max
          // skips NaN scores; they surface through the exp-sum as a NaN l instead.
          const float m_new = std::max(m[i], vec_max(s.data(), vis));
          if (m_new == kNegInf) {
            // Every score so far is -inf (contributes nothing) or NaN, which the exp-sum cannot see here.
            if (std::any_of(s.begin(), s.begin() + vis, [](float x) { return x != x; }))
              l[i] = std::numeric_limits<double>::quiet_NaN();
            continue;
          }
          const float alpha = m[i] == kNegInf ? 0.0f : std::exp(m[i] - m_new);
          l[i] = l[i] * alpha + vec_exp_sum(s.data(), m_new, s.data(), vis);
          float* acc_i = acc.data() + i * D;
          if (alpha != 1.0f)
            for (int64_t d = 0; d < D; ++d) acc_i[d] *= alpha;
          for (int64_t j = 0; j < vis; ++j) axpy(s[j], vf + j * D, acc_i, D);
          m[i] = m_new;
        }
      }
      T* o_dst = o.ptr<T>() + (bh * T_len + t0) * D;
      float* out = f32_out(o_dst, o_buf.data());
      float* lse_dst = lse.ptr<float>() + bh * T_len + t0;
      for (int64_t i = 0; i < nq; ++i) {
        // A row that saw no key (or only -inf scores) has l = 0: o = 0 and lse = -inf by contract. A NaN
        // l fails the == 0 test, so NaN inputs still surface as NaN.
        const bool empty = l[i] == 0;
        const float inv_l = empty ? 0.0f : static_cast<float>(1.0 / l[i]);
        for (int64_t d = 0; d < D; ++d) out[i * D + d] = acc[i * D + d] * inv_l;
        lse_dst[i] = empty ? kNegInf : static_cast<float>(m[i] + std::log(l[i]));
      }
      store_if_bf16(out, o_dst, nq * D);
    }
  });
}

template <typename T>
void attention_backward_typed(const AttentionShape& sh,
                              const TensorView& q,     // [B, H, T, D]
                              const TensorView& k,     // [B, Hkv, S, D]
                              const TensorView& v,     // [B, Hkv, S, D]
                              const TensorView& o,     // [B, H, T, D]
                              const TensorView& lse,   // [B, H, T] f32
                              const TensorView& go,    // [B, H, T, D]
                              const TensorView& gq,    // [B, H, T, D]
                              const TensorView& gk,    // [B, Hkv, S, D]
                              const TensorView& gv) {  // [B, Hkv, S, D]
  const int64_t T_len = sh.T, S = sh.S, D = sh.D;
  const int64_t rows = sh.B * sh.H * T_len;

  // delta[row] = go . o: the softmax-backward correction, once per query row.
  std::vector<float> delta(static_cast<size_t>(rows));
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1)), [&](int64_t begin, int64_t end) {
    std::vector<float> a_buf(D), b_buf(D);
    for (int64_t r = begin; r < end; ++r) {
      const float* gor = f32_row(go.ptr<T>() + r * D, a_buf.data(), D);
      const float* orow = f32_row(o.ptr<T>() + r * D, b_buf.data(), D);
      delta[r] = static_cast<float>(vec_dot(gor, orow, D));
    }
  });

  // A task owns (b, kv head, chunk of key blocks): it alone writes gk/gv of those keys, summing over the
  // group's query heads, so no races. gq sums over all keys, so each key chunk adds into its own f32
  // copy of gq, reduced in chunk order afterwards (deterministic). Chunks only split (b, kv head) when
  // there are too few of those to occupy the threads, and the copies are capped in memory.
  const int64_t key_blocks = (S + kKeyBlock - 1) / kKeyBlock;
  const int64_t bkv = sh.B * sh.Hkv;
  const int64_t gq_numel = rows * D;
  int64_t chunks = std::max<int64_t>(1, (2 * num_threads() + bkv - 1) / std::max<int64_t>(bkv, 1));
  chunks = std::min(chunks, std::max<int64_t>(1, key_blocks));
  chunks = std::min(chunks, std::max<int64_t>(1, (int64_t{1} << 26) / std::max<int64_t>(gq_numel, 1)));
  std::vector<float> gq_part(static_cast<size_t>(chunks * gq_numel), 0.0f);

  parallel_for(bkv * chunks, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> k_buf(kKeyBlock * D), v_buf(kKeyBlock * D), kt(D * kKeyBlock), vt(D * kKeyBlock);
    std::vector<float> q_buf(kQueryBlock * D), go_buf(kQueryBlock * D);
    std::vector<float> gk_acc(kKeyBlock * D), gv_acc(kKeyBlock * D), p(kKeyBlock), ds(kKeyBlock);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t kv_head = task / chunks, chunk = task % chunks;
      const int64_t b = kv_head / sh.Hkv, hk = kv_head % sh.Hkv;
      float* gq_acc = gq_part.data() + chunk * gq_numel;
      const int64_t kb_begin = key_blocks * chunk / chunks, kb_end = key_blocks * (chunk + 1) / chunks;
      for (int64_t kb = kb_begin; kb < kb_end; ++kb) {
        const int64_t s0 = kb * kKeyBlock, nk = std::min(kKeyBlock, S - s0);
        const int64_t kv_off = (kv_head * S + s0) * D;
        const float* kf = f32_row(k.ptr<T>() + kv_off, k_buf.data(), nk * D);
        const float* vf = f32_row(v.ptr<T>() + kv_off, v_buf.data(), nk * D);
        transpose_block(kf, nk, D, kt.data());
        transpose_block(vf, nk, D, vt.data());
        std::fill(gk_acc.begin(), gk_acc.begin() + nk * D, 0.0f);
        std::fill(gv_acc.begin(), gv_acc.begin() + nk * D, 0.0f);
        for (int64_t h = hk * sh.group; h < (hk + 1) * sh.group; ++h) {
          const int64_t bh = b * sh.H + h;
          // Causal: query rows before the first one that sees key s0 contribute nothing to this block.
          int64_t t_first = 0;
          if (sh.causal) t_first = std::max<int64_t>(0, s0 - sh.kv_offset);
          for (int64_t t0 = t_first; t0 < T_len; t0 += kQueryBlock) {
            const int64_t nq = std::min(kQueryBlock, T_len - t0);
            const int64_t row0 = bh * T_len + t0;
            const float* qf = f32_row(q.ptr<T>() + row0 * D, q_buf.data(), nq * D);
            const float* gof = f32_row(go.ptr<T>() + row0 * D, go_buf.data(), nq * D);
            for (int64_t i = 0; i < nq; ++i) {
              const int64_t vis = std::min(nk, sh.visible(t0 + i) - s0);
              const float row_lse = lse.ptr<float>()[row0 + i];
              if (vis <= 0 || row_lse == kNegInf) continue;
              const float* qi = qf + i * D;
              const float* goi = gof + i * D;
              // Recompute probabilities from the saved lse instead of storing them in the forward.
              block_scores(qi, kt.data(), vis, D, sh.scale, p.data());
              for (int64_t j = 0; j < vis; ++j) p[j] -= row_lse;
              vec_exp(p.data(), p.data(), vis);
              block_scores(goi, vt.data(), vis, D, 1.0f, ds.data());  // dp = go . v_j
              const float dlt = delta[row0 + i];
              for (int64_t j = 0; j < vis; ++j) ds[j] = p[j] * (ds[j] - dlt) * sh.scale;  // d(scaled score)
              float* gq_i = gq_acc + (row0 + i) * D;
              for (int64_t j = 0; j < vis; ++j)
                rank1_updates(p[j], ds[j], goi, qi, kf + j * D, gv_acc.data() + j * D, gk_acc.data() + j * D, gq_i, D);
            }
          }
        }
        store_row(gk_acc.data(), gk.ptr<T>() + kv_off, nk * D);
        store_row(gv_acc.data(), gv.ptr<T>() + kv_off, nk * D);
      }
    }
  });

  parallel_for(gq_numel, 16384, [&](int64_t begin, int64_t end) {
    T* dst = gq.ptr<T>();
    for (int64_t i = begin; i < end; ++i) {
      float s = gq_part[i];
      for (int64_t c = 1; c < chunks; ++c) s += gq_part[c * gq_numel + i];
      dst[i] = store<T>(s);
    }
  });
}

void attention_forward(const OpArgs& a) {
  const AttentionForwardArgs r = decode_attention_forward(a);
  dispatch_float(r.q.dtype,
                 [&](auto tag) { attention_forward_typed<decltype(tag)>(r.shape, r.q, r.k, r.v, r.o, r.lse); });
}

void attention_backward(const OpArgs& a) {
  const AttentionBackwardArgs r = decode_attention_backward(a);
  dispatch_float(r.q.dtype, [&](auto tag) {
    attention_backward_typed<decltype(tag)>(r.shape, r.q, r.k, r.v, r.o, r.lse, r.go, r.gq, r.gk, r.gv);
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kAttentionForward, attention_forward}, {&kAttentionBackward, attention_backward}});

}  // namespace slmkit
