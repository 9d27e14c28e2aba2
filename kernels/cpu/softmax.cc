// Softmax and log-softmax over the last dimension of a contiguous [N, V], forward and backward.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "dtype_dispatch.h"
#include "slmkit/softmax.h"
#include "strided.h"
#include "vec_math.h"

namespace slmkit {
namespace {

// Runs body(row_index) for each of n rows of length v, split over threads by element count.
template <class F> void for_rows(int64_t n, int64_t v, F&& body) {
  parallel_chunks(n, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, v)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) body(r);
  });
}

// softmax (Log = false) or log_softmax (Log = true) of each row. Arguments: slmkit/softmax.h.
template <bool Log> void softmax_like_forward(const OpArgs& a) {
  const SoftmaxForwardArgs r = decode_softmax_forward(a, Log);
  const TensorView &x = r.x, &y = r.y;
  const int64_t N = r.rows, V = r.cols;
  if (N * V == 0) return;
  dispatch_float(x.dtype, [&](auto t) {
    using T = decltype(t);
    for_rows(N, V, [&](int64_t r) {
      const T* xr = x.ptr<T>() + r * V;
      T* yr = y.ptr<T>() + r * V;
      // A NaN is skipped by the max but turns the sum into NaN, which makes the whole row NaN (PyTorch).
      float m = -std::numeric_limits<float>::infinity();
      for_f32_blocks(xr, V, [&](const float* b, int64_t len, int64_t) {
        const float bm = vec_max(b, len);
        m = bm > m ? bm : m;
      });
      double s = 0;
      if constexpr (Log) {
        for_f32_blocks(xr, V, [&](const float* b, int64_t len, int64_t) { s += vec_exp_sum(b, m, nullptr, len); });
        // (x - m) - log(s), not x - (m + log(s)): adding m to the small log(s) first loses its low bits.
        const float log_s = static_cast<float>(std::log(s));
        for (int64_t j = 0; j < V; ++j) yr[j] = store<T>((load(xr[j]) - m) - log_s);
      } else if constexpr (std::is_same_v<T, float>) {
        // f32: keep exp(x - m) in y itself, then scale in place (one exp per element).
        s = vec_exp_sum(xr, m, yr, V);
        const float inv = static_cast<float>(1.0 / s);
        for (int64_t j = 0; j < V; ++j) yr[j] *= inv;
      } else {
        // bf16: rounding exp(x - m) to bf16 before scaling would round twice; recompute instead.
        for_f32_blocks(xr, V, [&](const float* b, int64_t len, int64_t) { s += vec_exp_sum(b, m, nullptr, len); });
        const float inv = static_cast<float>(1.0 / s);
        for_f32_blocks(xr, V, [&](const float* b, int64_t len, int64_t off) {
          float e[kVecBlock];
          vec_exp_sum(b, m, e, len);
          for (int64_t j = 0; j < len; ++j) yr[off + j] = store<T>(e[j] * inv);
        });
      }
    });
  });
}

template <bool Log> void softmax_like_backward(const OpArgs& a) {
  const SoftmaxBackwardArgs r = decode_softmax_backward(a, Log);
  const TensorView &y = r.y, &gy = r.gy, &gx = r.gx;
  const int64_t N = r.rows, V = r.cols;
  if (N * V == 0) return;
  dispatch_float(y.dtype, [&](auto t) {
    using T = decltype(t);
    for_rows(N, V, [&](int64_t r) {
      const T* yr = y.ptr<T>() + r * V;
      const T* gr = gy.ptr<T>() + r * V;
      T* out = gx.ptr<T>() + r * V;
      double s = 0;
      if constexpr (Log) {
        for (int64_t j = 0; j < V; ++j) s += load(gr[j]);
        const float sf = static_cast<float>(s);
        for_f32_blocks(yr, V, [&](const float* b, int64_t len, int64_t off) {
          float e[kVecBlock];
          vec_exp(b, e, len);
          for (int64_t j = 0; j < len; ++j) out[off + j] = store<T>(load(gr[off + j]) - e[j] * sf);
        });
      } else {
        for (int64_t j = 0; j < V; ++j) s += load(gr[j]) * load(yr[j]);
        const float sf = static_cast<float>(s);
        for (int64_t j = 0; j < V; ++j) out[j] = store<T>(load(yr[j]) * (load(gr[j]) - sf));
      }
    });
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({
    {&kSoftmaxForward, softmax_like_forward<false>},
    {&kSoftmaxBackward, softmax_like_backward<false>},
    {&kLogSoftmaxForward, softmax_like_forward<true>},
    {&kLogSoftmaxBackward, softmax_like_backward<true>},
});

}  // namespace slmkit
