// Rotary position embedding, rotate-half convention (pairs d and d + D/2): forward and backward.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "dtype_dispatch.h"
#include "slmkit/checks.h"
#include "parallel.h"
#include "slmkit/rope.h"

namespace slmkit {
namespace {

// Rotates every row x[b,h,t,:] by the angles of position position_offset + t; sign = -1 rotates back,
// which is the backward (the rotation matrix is orthogonal, so its transpose is its inverse).
template <typename T>
void rope_apply(const TensorView& x,  // [B, H, T, D]
                const TensorView& y,  // [B, H, T, D]
                double theta, double position_offset, float sign) {
  const int64_t T_len = x.shape[2], D = x.shape[3], half = D / 2;
  const int64_t rows = x.shape[0] * x.shape[1] * T_len;
  // cos/sin per (t, d), shared by all B*H rows of a position. Angles in f64 so long positions keep their
  // precision; only the final cos/sin are rounded to f32.
  std::vector<float> cos_t(static_cast<size_t>(T_len * half)), sin_t(static_cast<size_t>(T_len * half));
  std::vector<double> inv_freq(static_cast<size_t>(half));
  for (int64_t d = 0; d < half; ++d)
    inv_freq[d] = std::pow(theta, -2.0 * static_cast<double>(d) / static_cast<double>(D));
  parallel_for(T_len, std::max<int64_t>(1, 2048 / std::max<int64_t>(half, 1)), [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t)
      for (int64_t d = 0; d < half; ++d) {
        const double angle = (position_offset + static_cast<double>(t)) * inv_freq[d];
        cos_t[t * half + d] = static_cast<float>(std::cos(angle));
        sin_t[t * half + d] = sign * static_cast<float>(std::sin(angle));
      }
  });
  const T* xp = x.ptr<T>();
  T* yp = y.ptr<T>();
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1)), [&](int64_t begin, int64_t end) {
    std::vector<float> x_buf(D), y_buf(D);
    for (int64_t r = begin; r < end; ++r) {
      const int64_t t = r % T_len;
      const float* c = cos_t.data() + t * half;
      const float* s = sin_t.data() + t * half;
      const float* xr = f32_row(xp + r * D, x_buf.data(), D);
      float* yr = f32_out(yp + r * D, y_buf.data());
      for (int64_t d = 0; d < half; ++d) {
        const float lo = xr[d], hi = xr[d + half];
        yr[d] = lo * c[d] - hi * s[d];
        yr[d + half] = hi * c[d] + lo * s[d];
      }
      store_if_bf16(yr, yp + r * D, D);
    }
  });
}

// Shared checks of forward (x -> y) and backward (gy -> gx): same op, opposite rotation.
void rope_run(const OpArgs& a, const char* k, const char* in_name, const char* out_name, float sign) {
  check_counts(a, k, 1, 1);
  check_attrs(a, k, 2);
  const TensorView &x = a.inputs[0], &y = a.outputs[0];
  check_dense(k, in_name, x, 4);
  check_float(k, in_name, x);
  check_like(k, out_name, y, in_name, x);
  if (x.shape[3] % 2 != 0) kernel_fail(k, std::string("head dim D must be even, got ") + in_name + " " + shape_str(x));
  const double theta = finite_attr(a, k, 0, "theta");
  if (!(theta > 0)) kernel_fail(k, "theta must be > 0, got " + std::to_string(theta));
  const double position_offset = finite_attr(a, k, 1, "position_offset");
  dispatch_float(x.dtype, [&](auto tag) {
    rope_apply<decltype(tag)>(x, y, theta, position_offset, sign);
  });
}

void rope_forward(const OpArgs& a) { rope_run(a, "rope_forward", "x", "y", 1.0f); }

void rope_backward(const OpArgs& a) { rope_run(a, "rope_backward", "gy", "gx", -1.0f); }

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kRopeForward, rope_forward}, {&kRopeBackward, rope_backward}});

}  // namespace slmkit
