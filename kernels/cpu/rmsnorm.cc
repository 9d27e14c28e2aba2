// RMSNorm over the last dim (y = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps)): forward and backward.
#include <algorithm>
#include <cmath>
#include <vector>

#include "dtype_dispatch.h"
#include "parallel.h"
#include "slmkit/rmsnorm.h"
#include "vec_math.h"

namespace slmkit {
namespace {

// Rows per parallel chunk: enough elements that a chunk outweighs the cost of waking a worker.
int64_t row_grain(int64_t C) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(C, 1)); }

template <typename T>
void rmsnorm_forward_typed(const TensorView& x,     // [N, C]
                           const TensorView& w,     // [C]
                           const TensorView& y,     // [N, C]
                           const TensorView& rstd,  // [N] f32
                           double eps) {
  const int64_t N = x.shape[0], C = x.shape[1];
  const T* xp = x.ptr<T>();
  T* yp = y.ptr<T>();
  float* rp = rstd.ptr<float>();
  parallel_for(N, row_grain(C), [&](int64_t begin, int64_t end) {
    std::vector<float> w_buf(C), x_buf(C), y_buf(C);
    const float* wf = f32_row(w.ptr<T>(), w_buf.data(), C);
    for (int64_t r = begin; r < end; ++r) {
      const float* xr = f32_row(xp + r * C, x_buf.data(), C);
      double mean_sq = C > 0 ? vec_dot(xr, xr, C) / static_cast<double>(C) : 0.0;
      float rs = static_cast<float>(1.0 / std::sqrt(mean_sq + eps));
      rp[r] = rs;
      float* yr = f32_out(yp + r * C, y_buf.data());
      for (int64_t c = 0; c < C; ++c) yr[c] = (xr[c] * rs) * wf[c];
      store_if_bf16(yr, yp + r * C, C);
    }
  });
}

template <typename T>
void rmsnorm_backward_typed(const TensorView& x,     // [N, C]
                            const TensorView& w,     // [C]
                            const TensorView& rstd,  // [N] f32
                            const TensorView& gy,    // [N, C]
                            const TensorView& gx,    // [N, C]
                            const TensorView& gw) {  // [C]
  const int64_t N = x.shape[0], C = x.shape[1];
  const T *xp = x.ptr<T>(), *gyp = gy.ptr<T>();
  const float* rp = rstd.ptr<float>();
  T* gxp = gx.ptr<T>();
  // gw is a sum over rows: each part of the rows accumulates its own f64 partial, and the partials are
  // added in part order afterwards, so the result does not depend on scheduling (only on the part count).
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(num_threads(), (N + row_grain(C) - 1) / row_grain(C)));
  std::vector<double> partial(static_cast<size_t>(parts * C), 0.0);
  parallel_for(parts, 1, [&](int64_t p_begin, int64_t p_end) {
    std::vector<float> w_buf(C), x_buf(C), gy_buf(C), wg(C), gx_buf(C);
    const float* wf = f32_row(w.ptr<T>(), w_buf.data(), C);
    for (int64_t p = p_begin; p < p_end; ++p) {
      double* gw_part = partial.data() + p * C;
      const int64_t r_begin = N * p / parts, r_end = N * (p + 1) / parts;
      for (int64_t r = r_begin; r < r_end; ++r) {
        const float* xr = f32_row(xp + r * C, x_buf.data(), C);
        const float* gyr = f32_row(gyp + r * C, gy_buf.data(), C);
        const float rs = rp[r];
        for (int64_t c = 0; c < C; ++c) wg[c] = wf[c] * gyr[c];
        // d/dx of x*rs: rs*wg - x * rs^3 * mean(wg*x)
        const float k = static_cast<float>(C > 0 ? vec_dot(wg.data(), xr, C) / static_cast<double>(C) : 0.0) * rs * rs;
        float* gxr = f32_out(gxp + r * C, gx_buf.data());
        for (int64_t c = 0; c < C; ++c) gxr[c] = rs * (wg[c] - xr[c] * k);
        store_if_bf16(gxr, gxp + r * C, C);
        for (int64_t c = 0; c < C; ++c) gw_part[c] += static_cast<double>(gyr[c] * xr[c]) * rs;
      }
    }
  });
  T* gwp = gw.ptr<T>();
  parallel_for(C, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      double s = 0;
      for (int64_t p = 0; p < parts; ++p) s += partial[p * C + c];
      gwp[c] = store<T>(static_cast<float>(s));
    }
  });
}

void rmsnorm_forward(const OpArgs& a) {
  const RmsnormForwardArgs r = decode_rmsnorm_forward(a);
  dispatch_float(r.x.dtype, [&](auto tag) { rmsnorm_forward_typed<decltype(tag)>(r.x, r.w, r.y, r.rstd, r.eps); });
}

void rmsnorm_backward(const OpArgs& a) {
  const RmsnormBackwardArgs r = decode_rmsnorm_backward(a);
  dispatch_float(r.x.dtype,
                 [&](auto tag) { rmsnorm_backward_typed<decltype(tag)>(r.x, r.w, r.rstd, r.gy, r.gx, r.gw); });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kRmsnormForward, rmsnorm_forward}, {&kRmsnormBackward, rmsnorm_backward}});

}  // namespace slmkit
