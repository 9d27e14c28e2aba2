// Creation kernels: fill (a constant of any dtype) and arange (start + i*step), per native/KERNELS.md.
#include <cstring>
#include <type_traits>

#include "common/launch.cuh"
#include "common/overlap.cuh"
#include "slmkit/creation.h"
#include "slmkit/elementwise_ops.h"

namespace slmkit {
namespace {

// y: [n] contiguous
template <typename T> __global__ void fill_kernel(T* y, T value, int64_t n) {
  wait_for_prior_kernels();
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = value;
}

// y: [n] contiguous. The value is computed in f64 as KERNELS.md asks (unfused, as on the CPU), then stored:
// f32 rounds to nearest, bf16 rounds through f32 like every bf16 store, i32 as f64_to_i32 converts.
template <typename T> __global__ void arange_kernel(T* y, double start, double step, int64_t n) {
  wait_for_prior_kernels();
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const double v = shift_scale(start, step, static_cast<double>(i));
    if constexpr (std::is_same_v<T, __nv_bfloat16>) y[i] = __float2bfloat16_rn(static_cast<float>(v));
    else if constexpr (std::is_same_v<T, int32_t>) y[i] = f64_to_i32(v);
    else y[i] = static_cast<float>(v);
  }
}

// The fill value converted on the host to the output's storage type, like copy converts an element.
template <typename T> T fill_value(double v) {
  if constexpr (std::is_same_v<T, float>) return static_cast<float>(v);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return __float2bfloat16_rn(static_cast<float>(v));
  else if constexpr (std::is_same_v<T, uint8_t>) return v != 0 ? 1 : 0;
  else return f64_to_i32(v);
}

bool all_zero_bytes(const void* p, size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i)
    if (b[i]) return false;
  return true;
}

}  // namespace

// Arguments: slmkit/creation.h.
void fill(const OpArgs& a) {
  const FillArgs r = decode_fill(a);
  const TensorView& y = r.y;
  int64_t n = y.numel();
  if (n == 0) return;
  cudaStream_t stream = stream_of(a);
  dispatch_dtype(y.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T value = fill_value<T>(r.value);
    // zeros() is the common case, and a memset runs at full bandwidth with no kernel of ours.
    if (sizeof(T) == 1 || all_zero_bytes(&value, sizeof(T))) {
      unsigned char byte;
      std::memcpy(&byte, &value, 1);
      check_cuda(cudaMemsetAsync(y.data, byte, n * sizeof(T), stream), kFill.name, "cudaMemsetAsync");
      return;
    }
    launch_overlapped(kFill.name, fill_kernel<T>, grid_for(n), kBlockThreads, 0, stream, y.ptr<T>(), value, n);
  });
}

void arange(const OpArgs& a) {
  const ArangeArgs r = decode_arange(a);
  const TensorView& y = r.y;
  int64_t n = y.numel();
  if (n == 0) return;
  cudaStream_t stream = stream_of(a);
  dispatch_dtype(y.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, uint8_t>)  // no bool code: the contract excludes it
      launch_overlapped(kArange.name, arange_kernel<T>, grid_for(n), kBlockThreads, 0, stream, y.ptr<T>(), r.start,
                        r.step, n);
  });
}

SLMKIT_REGISTER_KERNELS({{&kFill, fill}, {&kArange, arange}});

}  // namespace slmkit
