// Softmax and log-softmax over the last dimension of a contiguous [N, V], forward and backward.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "dtype_dispatch.h"
#include "kernel_checks.h"
#include "strided.h"

namespace slmkit {
namespace {

// Max of a row in 8 independent lanes, so the loop vectorises (a single running max would be a
// serial dependency chain). A NaN is not picked up here; it turns the row's sum into NaN instead,
// which makes the whole row NaN as in PyTorch.
template <class T> float row_max(const T* x, int64_t n) {
  constexpr int kLanes = 8;
  float lane[kLanes];
  std::fill(lane, lane + kLanes, -std::numeric_limits<float>::infinity());
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float v = load(x[j + l]);
      lane[l] = v > lane[l] ? v : lane[l];
    }
  float m = lane[0];
  for (int l = 1; l < kLanes; ++l) m = lane[l] > m ? lane[l] : m;
  for (; j < n; ++j) m = load(x[j]) > m ? load(x[j]) : m;
  return m;
}

// Runs body(row_index) for each of n rows of length v, split over threads by element count.
template <class F> void for_rows(int64_t n, int64_t v, F&& body) {
  parallel_chunks(n, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, v)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) body(r);
  });
}

void check_rows(const OpArgs& a, const char* k, int inputs) {
  check_counts(a, k, inputs, 1);
  const TensorView& y = a.outputs[0];
  check_dtype(k, "first input", a.inputs[0], is_float(a.inputs[0].dtype), "f32 or bf16");
  check_ndim(k, "first input ([N, V])", a.inputs[0], 2);
  for (int i = 0; i < inputs; ++i) {
    check_dtype(k, "every input", a.inputs[i], a.inputs[i].dtype == a.inputs[0].dtype, "the first input's dtype");
    check_same_shape(k, "input and output", a.inputs[i], y);
    check_contiguous(k, "every input", a.inputs[i]);
  }
  check_dtype(k, "output", y, y.dtype == a.inputs[0].dtype, "the inputs' dtype");
  check_contiguous(k, "output", y);
}

// x [N, V] -> y [N, V]: softmax (Log = false) or log_softmax (Log = true) of each row.
template <bool Log> void softmax_like_forward(const OpArgs& a) {
  const char* k = Log ? "log_softmax_forward" : "softmax_forward";
  check_rows(a, k, 1);
  const TensorView &x = a.inputs[0], &y = a.outputs[0];
  const int64_t N = x.shape[0], V = x.shape[1];
  if (N * V == 0) return;
  dispatch_float(x.dtype, [&](auto t) {
    using T = decltype(t);
    for_rows(N, V, [&](int64_t r) {
      const T* xr = x.ptr<T>() + r * V;
      T* yr = y.ptr<T>() + r * V;
      const float m = row_max(xr, V);
      double s = 0;
      if constexpr (Log) {
        for (int64_t j = 0; j < V; ++j) s += std::exp(load(xr[j]) - m);
        const float lse = m + static_cast<float>(std::log(s));
        for (int64_t j = 0; j < V; ++j) yr[j] = store<T>(load(xr[j]) - lse);
      } else if constexpr (std::is_same_v<T, float>) {
        // f32: keep exp(x - m) in y itself, then scale in place (one exp per element).
        for (int64_t j = 0; j < V; ++j) s += (yr[j] = std::exp(xr[j] - m));
        const float inv = static_cast<float>(1.0 / s);
        for (int64_t j = 0; j < V; ++j) yr[j] *= inv;
      } else {
        // bf16: rounding exp(x - m) to bf16 before scaling would round twice; recompute instead.
        for (int64_t j = 0; j < V; ++j) s += std::exp(load(xr[j]) - m);
        const float inv = static_cast<float>(1.0 / s);
        for (int64_t j = 0; j < V; ++j) yr[j] = store<T>(std::exp(load(xr[j]) - m) * inv);
      }
    });
  });
}

// y [N, V] (the forward output), gy [N, V] -> gx [N, V]:
//   softmax:     gx = y * (gy - sum(gy * y))
//   log_softmax: gx = gy - exp(y) * sum(gy)
template <bool Log> void softmax_like_backward(const OpArgs& a) {
  const char* k = Log ? "log_softmax_backward" : "softmax_backward";
  check_rows(a, k, 2);
  const TensorView &y = a.inputs[0], &gy = a.inputs[1], &gx = a.outputs[0];
  const int64_t N = y.shape[0], V = y.shape[1];
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
        for (int64_t j = 0; j < V; ++j) out[j] = store<T>(load(gr[j]) - std::exp(load(yr[j])) * sf);
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
    {"softmax_forward", softmax_like_forward<false>},
    {"softmax_backward", softmax_like_backward<false>},
    {"log_softmax_forward", softmax_like_forward<true>},
    {"log_softmax_backward", softmax_like_backward<true>},
});

}  // namespace slmkit
