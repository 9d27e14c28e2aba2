// Creation kernels: `fill` (every element one value) and `arange` (start + i*step).
#include "dtype_dispatch.h"
#include "slmkit/checks.h"
#include "strided.h"
#include "slmkit/creation.h"

namespace slmkit {
namespace {

// y: contiguous, any dtype; attrs: value (converted with copy's rules).
void fill(const OpArgs& a) {
  check_counts(a, "fill", 0, 1);
  check_attrs(a, "fill", 1);
  const TensorView& y = a.outputs[0];
  check_contiguous("fill", "y", y);
  dispatch_all(y.dtype, [&](auto t) {
    using T = decltype(t);
    const T v = from_double<T>(a.attrs[0]);
    T* yp = y.ptr<T>();
    parallel_chunks(y.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) yp[i] = v;
    });
  });
}

// y [n]: f32, bf16 or i32; attrs: start, step. Each element is computed in f64 from its index (no
// running sum), so there is no accumulated error and the chunks split over threads agree.
void arange(const OpArgs& a) {
  const char* k = "arange";
  check_counts(a, k, 0, 1);
  check_attrs(a, k, 2);
  const TensorView& y = a.outputs[0];
  check_ndim(k, "y", y, 1);
  check_contiguous(k, "y", y);
  check_dtype(k, "y", y, is_float_or_i32(y.dtype), "f32, bf16 or i32");
  const double start = a.attrs[0], step = a.attrs[1];
  dispatch_float_i32(y.dtype, [&](auto t) {
    using T = decltype(t);
    T* yp = y.ptr<T>();
    parallel_chunks(y.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) yp[i] = from_double<T>(start + static_cast<double>(i) * step);
    });
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kFill, fill}, {&kArange, arange}});

}  // namespace slmkit
