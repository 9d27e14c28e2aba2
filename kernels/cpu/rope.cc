// Rotary position embedding, rotate-half convention (pairs d and d + D/2): forward and backward.
#include <algorithm>
#include <cmath>
#include <vector>

#include "dtype_dispatch.h"
#include "parallel.h"
#include "slmkit/rope.h"

namespace slmkit {
namespace {

// Rotates every row in[b,h,t,:] into out by the angles of position position_offset + t, times sign.
template <typename T>
void rope_apply(const RopeArgs& r) {
  const TensorView &x = r.in, &y = r.out;  // [B, H, T, D]
  const int64_t T_len = r.seq, D = r.head_dim, half = D / 2;
  const int64_t rows = x.shape[0] * x.shape[1] * T_len;
  // cos/sin per (t, d), shared by all B*H rows of a position. Angles in f64 so long positions keep their
  // precision; only the final cos/sin are rounded to f32.
  std::vector<float> cos_t(static_cast<size_t>(T_len * half)), sin_t(static_cast<size_t>(T_len * half));
  std::vector<double> inv_freq(static_cast<size_t>(half));
  for (int64_t d = 0; d < half; ++d)
    inv_freq[d] = std::pow(r.theta, -2.0 * static_cast<double>(d) / static_cast<double>(D));
  parallel_for(T_len, std::max<int64_t>(1, 2048 / std::max<int64_t>(half, 1)), [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t)
      for (int64_t d = 0; d < half; ++d) {
        const double angle = (r.position_offset + static_cast<double>(t)) * inv_freq[d];
        cos_t[t * half + d] = static_cast<float>(std::cos(angle));
        sin_t[t * half + d] = r.sign * static_cast<float>(std::sin(angle));
      }
  });
  const T* xp = x.ptr<T>();
  T* yp = y.ptr<T>();
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1)), [&](int64_t begin, int64_t end) {
    std::vector<float> x_buf(D), y_buf(D);
    for (int64_t row = begin; row < end; ++row) {
      const int64_t t = row % T_len;
      const float* c = cos_t.data() + t * half;
      const float* s = sin_t.data() + t * half;
      const float* xr = f32_row(xp + row * D, x_buf.data(), D);
      float* yr = f32_out(yp + row * D, y_buf.data());
      for (int64_t d = 0; d < half; ++d) {
        const float lo = xr[d], hi = xr[d + half];
        yr[d] = lo * c[d] - hi * s[d];
        yr[d + half] = hi * c[d] + lo * s[d];
      }
      store_if_bf16(yr, yp + row * D, D);
    }
  });
}

// Arguments: slmkit/rope.h.
void rope_run(const RopeArgs& r) {
  dispatch_float(r.in.dtype, [&](auto tag) { rope_apply<decltype(tag)>(r); });
}

void rope_forward(const OpArgs& a) { rope_run(decode_rope_forward(a)); }

void rope_backward(const OpArgs& a) { rope_run(decode_rope_backward(a)); }

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kRopeForward, rope_forward}, {&kRopeBackward, rope_backward}});

}  // namespace slmkit
