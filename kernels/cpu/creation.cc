// Creation kernels: `fill` (every element one value) and `arange` (start + i*step).
#include "slmkit/creation.h"
#include "dtype_dispatch.h"
#include "strided.h"

namespace slmkit {
namespace {

// Arguments: slmkit/creation.h.
void fill(const OpArgs& a) {
  const FillArgs r = decode_fill(a);
  dispatch_all(r.y.dtype, [&](auto t) {
    using T = decltype(t);
    const T v = from_double<T>(r.value);
    T* yp = r.y.ptr<T>();
    parallel_chunks(r.y.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) yp[i] = v;
    });
  });
}

void arange(const OpArgs& a) {
  const ArangeArgs r = decode_arange(a);
  dispatch_float_i32(r.y.dtype, [&](auto t) {
    using T = decltype(t);
    T* yp = r.y.ptr<T>();
    parallel_chunks(r.y.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        yp[i] = from_double<T>(shift_scale(r.start, r.step, static_cast<double>(i)));
    });
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kFill, fill}, {&kArange, arange}});

}  // namespace slmkit
