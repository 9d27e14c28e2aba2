// RMSNorm over the last dim (y = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps)): forward and backward.
// One block per row (forward) or per fixed group of rows (backward); each thread keeps its slice of the
// row in registers, loaded with 128-bit accesses where the row allows it.
#include "fused.cuh"

namespace slmkit {
namespace {

constexpr int kMaxItems = 16;        // packs per thread held in registers
constexpr int kTargetThreads = 256;  // block size the item count is chosen for
constexpr int kMaxThreads = 1024;
// Row groups of the backward: gw partial sums, one row of C per group, are added in group order by a
// second kernel, so gw does not depend on scheduling. The count only depends on N.
constexpr int64_t kMaxGroups = 1024;

// Packs of VEC elements in a row of C (C % VEC == 0 by the launcher's choice of VEC).
template <typename T, int VEC, int ITEMS>
__global__ void rmsnorm_forward_kernel(const T* __restrict__ x,   // [N, C]
                                       const T* __restrict__ w,   // [C]
                                       T* __restrict__ y,         // [N, C]
                                       float* __restrict__ rstd,  // [N]
                                       int C, double eps) {
  using P = Pack<T, VEC>;
  const int64_t row = blockIdx.x;
  const int packs = C / VEC;
  const P* xr = reinterpret_cast<const P*>(x + row * C);
  float v[ITEMS][VEC];
  float ss = 0.0f;
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = threadIdx.x + i * blockDim.x;
    if (j < packs) {
      const P p = xr[j];
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        v[i][k] = to_f32(p.v[k]);
        ss += v[i][k] * v[i][k];
      }
    }
  }
  ss = block_sum(ss);
  const float rs = static_cast<float>(1.0 / sqrt(static_cast<double>(ss) / C + eps));
  if (threadIdx.x == 0) rstd[row] = rs;
  const P* wp = reinterpret_cast<const P*>(w);
  P* yr = reinterpret_cast<P*>(y + row * C);
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = threadIdx.x + i * blockDim.x;
    if (j < packs) {
      const P wv = wp[j];
      P out;
#pragma unroll
      for (int k = 0; k < VEC; ++k) out.v[k] = from_f32<T>((v[i][k] * rs) * to_f32(wv.v[k]));
      yr[j] = out;
    }
  }
}

// Rows [g * rows_per_group, ...) of group g = blockIdx.x. gw_partial[g, c] = sum over the group's rows of
// gy * x * rstd; gx = rstd * (w*gy - x * rstd^2 * mean(w*gy*x)).
template <typename T, int VEC, int ITEMS>
__global__ void rmsnorm_backward_kernel(const T* __restrict__ x,         // [N, C]
                                        const T* __restrict__ w,         // [C]
                                        const float* __restrict__ rstd,  // [N]
                                        const T* __restrict__ gy,        // [N, C]
                                        T* __restrict__ gx,              // [N, C]
                                        float* __restrict__ gw_partial,  // [groups, C]
                                        int64_t N, int C, int64_t rows_per_group) {
  using P = Pack<T, VEC>;
  const int packs = C / VEC;
  float wv[ITEMS][VEC], acc[ITEMS][VEC];
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = threadIdx.x + i * blockDim.x;
    P p{};
    if (j < packs) p = reinterpret_cast<const P*>(w)[j];
#pragma unroll
    for (int k = 0; k < VEC; ++k) {
      wv[i][k] = to_f32(p.v[k]);
      acc[i][k] = 0.0f;
    }
  }
  const int64_t begin = blockIdx.x * rows_per_group;
  const int64_t end = begin + rows_per_group < N ? begin + rows_per_group : N;
  for (int64_t row = begin; row < end; ++row) {
    const P* xr = reinterpret_cast<const P*>(x + row * C);
    const P* gyr = reinterpret_cast<const P*>(gy + row * C);
    float xv[ITEMS][VEC], gv[ITEMS][VEC];
    float dot = 0.0f;
#pragma unroll
    for (int i = 0; i < ITEMS; ++i) {
      const int j = threadIdx.x + i * blockDim.x;
      if (j < packs) {
        const P a = xr[j], b = gyr[j];
#pragma unroll
        for (int k = 0; k < VEC; ++k) {
          xv[i][k] = to_f32(a.v[k]);
          gv[i][k] = to_f32(b.v[k]);
          dot += wv[i][k] * gv[i][k] * xv[i][k];
        }
      }
    }
    dot = block_sum(dot);
    const float rs = rstd[row];
    const float kk = static_cast<float>(static_cast<double>(dot) / C) * rs * rs;
    P* gxr = reinterpret_cast<P*>(gx + row * C);
#pragma unroll
    for (int i = 0; i < ITEMS; ++i) {
      const int j = threadIdx.x + i * blockDim.x;
      if (j < packs) {
        P out;
#pragma unroll
        for (int k = 0; k < VEC; ++k) {
          out.v[k] = from_f32<T>(rs * (wv[i][k] * gv[i][k] - xv[i][k] * kk));
          acc[i][k] += gv[i][k] * xv[i][k] * rs;
        }
        gxr[j] = out;
      }
    }
  }
  float* part = gw_partial + static_cast<int64_t>(blockIdx.x) * C;
#pragma unroll
  for (int i = 0; i < ITEMS; ++i) {
    const int j = threadIdx.x + i * blockDim.x;
    if (j < packs) {
#pragma unroll
      for (int k = 0; k < VEC; ++k) part[j * VEC + k] = acc[i][k];
    }
  }
}

// gw[c] = sum over groups of gw_partial[g, c], in group order (f64), one column per thread.
template <typename T>
__global__ void rmsnorm_gw_kernel(const float* __restrict__ gw_partial,  // [groups, C]
                                  T* __restrict__ gw,                    // [C]
                                  int64_t groups, int C) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  double s = 0.0;
  for (int64_t g = 0; g < groups; ++g) s += gw_partial[g * C + c];
  gw[c] = from_f32<T>(static_cast<float>(s));
}

// Launch shape for a row of `packs` packs: the fewest items per thread that keep the block at or under
// kTargetThreads (or kMaxThreads for very long rows), and the block size rounded up to whole warps.
struct RowShape {
  int items;
  int threads;
};

RowShape row_shape(int packs) {
  for (int items = 1; items <= kMaxItems; items *= 2) {
    const int threads = (packs + items - 1) / items;
    if (threads <= kTargetThreads || (items == kMaxItems && threads <= kMaxThreads))
      return {items, threads < 32 ? 32 : (threads + 31) / 32 * 32};
  }
  return {0, 0};
}

// Calls f(std::integral_constant<int, ITEMS>) for the run-time item count.
template <typename F> void dispatch_items(int items, F&& f) {
  switch (items) {
    case 1: f(std::integral_constant<int, 1>{}); return;
    case 2: f(std::integral_constant<int, 2>{}); return;
    case 4: f(std::integral_constant<int, 4>{}); return;
    case 8: f(std::integral_constant<int, 8>{}); return;
    default: f(std::integral_constant<int, 16>{}); return;
  }
}

// 128-bit packs when every row starts 16-byte aligned, else one element per access.
template <typename T> bool can_pack(int64_t C, std::initializer_list<const void*> ptrs) {
  if (C % kPack16<T> != 0) return false;
  for (const void* p : ptrs)
    if (!aligned16(p)) return false;
  return true;
}

void check_row_length(const char* k, const TensorView& x, int64_t C, int vec) {
  require(C <= static_cast<int64_t>(kMaxItems) * kMaxThreads * vec, k,
          "rows of " + std::to_string(C) + " elements are longer than this kernel holds in registers (" +
              std::to_string(static_cast<int64_t>(kMaxItems) * kMaxThreads * vec) + "), x " + shape_str(x));
}

}  // namespace

// inputs: x [N, C] float, w [C] (x's dtype); outputs: y [N, C], rstd [N] f32; attrs: eps.
void rmsnorm_forward(const OpArgs& a) {
  const char* k = "rmsnorm_forward";
  check_counts(k, a, 2, 2, 1);
  const TensorView &x = a.inputs[0], &w = a.inputs[1], &y = a.outputs[0], &rstd = a.outputs[1];
  check_dense_float(k, "x", x, 2);
  const int64_t N = x.shape[0], C = x.shape[1];
  check_vector(k, "w", w, C, x.dtype);
  check_like(k, "y", y, "x", x);
  check_vector(k, "rstd", rstd, N, DType::f32);
  const double eps = a.attrs[0];
  require(eps >= 0 && eps < INFINITY, k, "eps must be finite and >= 0, got " + std::to_string(eps));
  if (N == 0) return;
  cudaStream_t stream = stream_of(a);
  dispatch_float(k, x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const bool pack = can_pack<T>(C, {x.data, w.data, y.data});
    const int vec = pack ? kPack16<T> : 1;
    check_row_length(k, x, C, vec);
    const RowShape shape = row_shape(static_cast<int>(C / vec));
    dispatch_items(shape.items, [&](auto items) {
      constexpr int I = decltype(items)::value;
      if (pack)
        rmsnorm_forward_kernel<T, kPack16<T>, I><<<static_cast<unsigned>(N), shape.threads, 0, stream>>>(
            x.ptr<T>(), w.ptr<T>(), y.ptr<T>(), rstd.ptr<float>(), static_cast<int>(C), eps);
      else
        rmsnorm_forward_kernel<T, 1, I><<<static_cast<unsigned>(N), shape.threads, 0, stream>>>(
            x.ptr<T>(), w.ptr<T>(), y.ptr<T>(), rstd.ptr<float>(), static_cast<int>(C), eps);
    });
  });
  check_launch(k);
}

// inputs: x [N, C] float, w [C], rstd [N] f32, gy [N, C]; outputs: gx [N, C], gw [C]; attrs: none.
void rmsnorm_backward(const OpArgs& a) {
  const char* k = "rmsnorm_backward";
  check_counts(k, a, 4, 2, 0);
  const TensorView &x = a.inputs[0], &w = a.inputs[1], &rstd = a.inputs[2], &gy = a.inputs[3];
  const TensorView &gx = a.outputs[0], &gw = a.outputs[1];
  check_dense_float(k, "x", x, 2);
  const int64_t N = x.shape[0], C = x.shape[1];
  check_vector(k, "w", w, C, x.dtype);
  check_vector(k, "rstd", rstd, N, DType::f32);
  check_like(k, "gy", gy, "x", x);
  check_like(k, "gx", gx, "x", x);
  check_like(k, "gw", gw, "w", w);
  if (C == 0) return;
  cudaStream_t stream = stream_of(a);
  const int64_t groups = N < kMaxGroups ? N : kMaxGroups;
  const int64_t rows_per_group = groups > 0 ? (N + groups - 1) / groups : 0;
  StreamScratch partial(k, static_cast<size_t>(groups > 0 ? groups : 1) * C * sizeof(float), stream);
  dispatch_float(k, x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (groups > 0) {
      const bool pack = can_pack<T>(C, {x.data, w.data, gy.data, gx.data});
      const int vec = pack ? kPack16<T> : 1;
      check_row_length(k, x, C, vec);
      const RowShape shape = row_shape(static_cast<int>(C / vec));
      dispatch_items(shape.items, [&](auto items) {
        constexpr int I = decltype(items)::value;
        if (pack)
          rmsnorm_backward_kernel<T, kPack16<T>, I><<<static_cast<unsigned>(groups), shape.threads, 0, stream>>>(
              x.ptr<T>(), w.ptr<T>(), rstd.ptr<float>(), gy.ptr<T>(), gx.ptr<T>(), partial.as<float>(), N,
              static_cast<int>(C), rows_per_group);
        else
          rmsnorm_backward_kernel<T, 1, I><<<static_cast<unsigned>(groups), shape.threads, 0, stream>>>(
              x.ptr<T>(), w.ptr<T>(), rstd.ptr<float>(), gy.ptr<T>(), gx.ptr<T>(), partial.as<float>(), N,
              static_cast<int>(C), rows_per_group);
      });
      check_launch(k);
    }
    // With no rows, gw sums nothing: the column kernel writes zeros.
    const unsigned col_blocks = static_cast<unsigned>((C + kBlockThreads - 1) / kBlockThreads);
    rmsnorm_gw_kernel<T><<<col_blocks, kBlockThreads, 0, stream>>>(partial.as<float>(), gw.ptr<T>(), groups,
                                                                    static_cast<int>(C));
    check_launch(k);
  });
}

SLMKIT_REGISTER_KERNELS({{"rmsnorm_forward", rmsnorm_forward}, {"rmsnorm_backward", rmsnorm_backward}});

}  // namespace slmkit
