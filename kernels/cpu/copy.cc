// The `copy` kernel: strided view to strided view, converting between any two dtypes.
#include <cstring>

#include "dtype_dispatch.h"
#include "slmkit/copy.h"
#include "strided.h"

namespace slmkit {
namespace {

// y[...] = convert(x[...]) with the conversions of dtype_dispatch.h. Arguments: slmkit/copy.h.
void copy(const OpArgs& a) {
  const CopyArgs r = decode_copy(a);
  const TensorView &x = r.x, &y = r.y;
  if (y.numel() == 0) return;
  StridedWalk<2> walk(y.shape, y.ndim, {x.strides, y.strides});
  const int64_t sx = walk.inner_stride(0), sy = walk.inner_stride(1);
  dispatch_all(x.dtype, [&](auto src_tag) {
    dispatch_all(y.dtype, [&](auto dst_tag) {
      using Src = decltype(src_tag);
      using Dst = decltype(dst_tag);
      const Src* xp = x.ptr<Src>();
      Dst* yp = y.ptr<Dst>();
      parallel_chunks(walk.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
        walk.for_each_run(begin, end, [&](const int64_t* off, int64_t n, int64_t) {
          const Src* src = xp + off[0];
          Dst* dst = yp + off[1];
          if (sx == 1 && sy == 1) {
            if constexpr (std::is_same_v<Src, Dst>) std::memcpy(dst, src, n * sizeof(Dst));
            else
              for (int64_t i = 0; i < n; ++i) dst[i] = convert<Dst>(src[i]);
          } else {
            for (int64_t i = 0; i < n; ++i) dst[i * sy] = convert<Dst>(src[i * sx]);
          }
        });
      });
    });
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kCopy, copy}});

}  // namespace slmkit
