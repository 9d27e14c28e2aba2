// copy: strided tensor of any dtype into a strided tensor of any dtype, converting (native/KERNELS.md).
#include <type_traits>

#include "common/launch.cuh"
#include "common/overlap.cuh"
#include "slmkit/copy.h"
#include "slmkit/elementwise_ops.h"

namespace slmkit {
namespace {

// Dimensions stored innermost first, so the unrolled index loop below reads them with constant indices
// (a run-time index into a kernel-parameter array can force a copy of the struct into local memory).
struct CopyLayout {
  int32_t ndim;
  int64_t shape[kMaxDims];
  int64_t x_strides[kMaxDims];  // elements
  int64_t y_strides[kMaxDims];  // elements
};

template <typename T> __device__ __forceinline__ float as_float(T x) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __bfloat162float(x);
  else if constexpr (std::is_same_v<T, uint8_t>) return x ? 1.0f : 0.0f;
  else return static_cast<float>(x);  // i32 -> f32 rounds to nearest even, like the CPU cast
}

template <typename T> __device__ __forceinline__ bool is_nonzero(T x) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __bfloat162float(x) != 0.0f;
  else return x != T(0);  // NaN != 0, so NaN converts to true
}

// The conversions of KERNELS.md: ->bool is x != 0, bool->number is 0/1, float->i32 is the CPU's f64_to_i32
// (slmkit/elementwise_ops.h), and bf16 results are rounded to nearest even from f32.
template <typename Out, typename In> __device__ __forceinline__ Out convert(In x) {
  if constexpr (std::is_same_v<Out, uint8_t>) return is_nonzero(x) ? 1 : 0;
  else if constexpr (std::is_same_v<Out, In>) return x;
  else if constexpr (std::is_same_v<Out, int32_t>) {
    if constexpr (std::is_same_v<In, uint8_t>) return x ? 1 : 0;
    else return f64_to_i32(as_float(x));
  } else if constexpr (std::is_same_v<Out, float>) return as_float(x);
  else return __float2bfloat16_rn(as_float(x));
}

// x: any strides, y: any strides, both of layout.shape; n = numel. Index is uint32_t when every offset
// fits, because 64-bit division is many instructions on the GPU.
template <typename In, typename Out, typename Index>
__global__ void copy_kernel(const In* x, Out* y, CopyLayout layout, Index n) {
  wait_for_prior_kernels();
  for (Index i = Index(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += Index(gridDim.x) * blockDim.x) {
    Index rem = i, xo = 0, yo = 0;
#pragma unroll
    for (int d = 0; d < kMaxDims; ++d) {
      if (d < layout.ndim) {
        Index size = static_cast<Index>(layout.shape[d]);
        Index c = rem % size;
        rem /= size;
        xo += c * static_cast<Index>(layout.x_strides[d]);
        yo += c * static_cast<Index>(layout.y_strides[d]);
      }
    }
    y[yo] = convert<Out>(x[xo]);
  }
}

// Drops size-1 dimensions and merges neighbours that both views step through contiguously, so a
// contiguous copy becomes one dimension and the kernel does the fewest divisions per element.
CopyLayout coalesce(const TensorView& x, const TensorView& y) {
  CopyLayout out{};
  for (int d = x.ndim - 1; d >= 0; --d) {
    if (x.shape[d] == 1) continue;
    int k = out.ndim - 1;
    if (k >= 0 && out.x_strides[k] * out.shape[k] == x.strides[d] && out.y_strides[k] * out.shape[k] == y.strides[d]) {
      out.shape[k] *= x.shape[d];
    } else {
      out.shape[out.ndim] = x.shape[d];
      out.x_strides[out.ndim] = x.strides[d];
      out.y_strides[out.ndim] = y.strides[d];
      ++out.ndim;
    }
  }
  return out;
}

int64_t max_offset(const CopyLayout& l, const int64_t* strides) {
  int64_t m = 0;
  for (int d = 0; d < l.ndim; ++d) m += (l.shape[d] - 1) * strides[d];
  return m;
}

}  // namespace

// Arguments: slmkit/copy.h.
void copy(const OpArgs& a) {
  const CopyArgs r = decode_copy(a);
  const TensorView &x = r.x, &y = r.y;
  int64_t n = x.numel();
  if (n == 0) return;
  CopyLayout layout = coalesce(x, y);
  cudaStream_t stream = stream_of(a);

  bool dense = layout.ndim == 0 || (layout.ndim == 1 && layout.x_strides[0] == 1 && layout.y_strides[0] == 1);
  if (x.dtype == y.dtype && dense) {
    check_cuda(cudaMemcpyAsync(y.data, x.data, n * dtype_size(x.dtype), cudaMemcpyDeviceToDevice, stream), "copy",
               "cudaMemcpyAsync");
    return;
  }
  constexpr int64_t kMax32 = INT32_MAX;
  bool narrow =
      n <= kMax32 && max_offset(layout, layout.x_strides) <= kMax32 && max_offset(layout, layout.y_strides) <= kMax32;
  dispatch_dtype(x.dtype, [&](auto in_tag) {
    dispatch_dtype(y.dtype, [&](auto out_tag) {
      using In = typename decltype(in_tag)::type;
      using Out = typename decltype(out_tag)::type;
      const In* xp = x.ptr<In>();
      Out* yp = y.ptr<Out>();
      if (narrow)
        launch_overlapped("copy", copy_kernel<In, Out, uint32_t>, grid_for(n), kBlockThreads, 0, stream, xp, yp, layout,
                          uint32_t(n));
      else
        launch_overlapped("copy", copy_kernel<In, Out, uint64_t>, grid_for(n), kBlockThreads, 0, stream, xp, yp, layout,
                          uint64_t(n));
    });
  });
}

SLMKIT_REGISTER_KERNELS({{&kCopy, copy}});

}  // namespace slmkit
