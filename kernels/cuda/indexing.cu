// Indexing kernels on CUDA over contiguous [O, A, I] views: index_select, index_add, gather, scatter_add,
// triu, tril (native/KERNELS.md).
//
// Index bounds are checked on the device: a check kernel records the first out-of-range position in a
// flag, which the launcher reads back (8 bytes) before the main kernel is queued. Why there and not on
// the host: the indices live in GPU memory, and copying all of them to the host would cost a transfer
// of the whole index tensor, while the flag costs one small read. Either way the launcher must wait for
// the stream (the only synchronisation in these launchers), because the contract asks for a KernelError
// on a bad index and, for index_add/scatter_add, an untouched y.
//
// index_add and scatter_add accumulate with atomicAdd, so duplicate indices add in an unspecified order:
// f32 results may differ in the last bits from run to run (and from the CPU's index order), and bf16
// rounds after every add in that order. A deterministic per-column loop would serialise the common
// embedding-backward case (few columns, many indices) and be far slower.
#include <cmath>
#include <string>
#include <type_traits>

#include "launch.cuh"
#include "values.cuh"

namespace slmkit {
namespace {

constexpr unsigned long long kNoBadIndex = ~0ull;

// idx [n]: *bad = the lowest position j with idx[j] outside [0, A) (stays kNoBadIndex if none).
__global__ void index_check_kernel(const int32_t* idx, int64_t n, int64_t A, unsigned long long* bad) {
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += int64_t(gridDim.x) * blockDim.x)
    if (idx[j] < 0 || idx[j] >= A) atomicMin(bad, static_cast<unsigned long long>(j));
}

// Throws "<k>: index v at position j is out of range [0, A)" (the CPU's message) if any idx is bad.
void check_index_range(const char* k, const int32_t* idx, int64_t n, int64_t A, cudaStream_t stream) {
  if (n == 0) return;
  unsigned long long* bad = nullptr;
  check_cuda(cudaMallocAsync(reinterpret_cast<void**>(&bad), sizeof(*bad), stream), k, "cudaMallocAsync (index flag)");
  unsigned long long first = kNoBadIndex;
  cudaError_t err = cudaMemsetAsync(bad, 0xff, sizeof(*bad), stream);
  if (err == cudaSuccess) {
    index_check_kernel<<<grid_for(n), kBlockThreads, 0, stream>>>(idx, n, A, bad);
    err = cudaGetLastError();
  }
  if (err == cudaSuccess) err = cudaMemcpyAsync(&first, bad, sizeof(first), cudaMemcpyDeviceToHost, stream);
  cudaFreeAsync(bad, stream);
  if (err == cudaSuccess) err = cudaStreamSynchronize(stream);
  check_cuda(err, k, "index range check");
  if (first == kNoBadIndex) return;
  int32_t value = 0;
  check_cuda(cudaMemcpy(&value, idx + first, sizeof(value), cudaMemcpyDeviceToHost), k, "reading the bad index");
  throw KernelError(std::string(k) + ": index " + std::to_string(value) + " at position " + std::to_string(first) +
                    " is out of range [0, " + std::to_string(A) + ")");
}

// x [O, A, I], idx [n] -> y [O, n, I] = x[o, idx[j], i].
template <typename T> __global__ void index_select_kernel(const T* x, const int32_t* idx, T* y, int64_t A, int64_t n, int64_t I, int64_t total) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % I, r = e / I, j = r % n, o = r / n;
    y[e] = x[(o * A + idx[j]) * I + i];
  }
}

// atomicAdd of a compute value into storage type T (bf16: native on sm_90, a CAS loop on older GPUs).
template <typename T> __device__ __forceinline__ void atomic_add(T* p, float v) {
  if constexpr (std::is_same_v<T, float>) atomicAdd(p, v);
  else atomicAdd(p, __float2bfloat16_rn(v));
}

// src [O, n, I], idx [n]; y [O, A, I] in/out: y[o, idx[j], i] += src[o, j, i].
template <typename T> __global__ void index_add_kernel(const T* src, const int32_t* idx, T* y, int64_t A, int64_t n, int64_t I, int64_t total) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % I, r = e / I, j = r % n, o = r / n;
    atomic_add(y + (o * A + idx[j]) * I + i, load(src[e]));
  }
}

// x [O, A, I], idx [O, n, I] -> y [O, n, I] = x[o, idx[o, j, i], i].
template <typename T> __global__ void gather_kernel(const T* x, const int32_t* idx, T* y, int64_t A, int64_t n, int64_t I, int64_t total) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % I, o = e / (n * I);
    y[e] = x[(o * A + idx[e]) * I + i];
  }
}

// src [O, n, I], idx [O, n, I]; y [O, A, I] in/out: y[o, idx[o, j, i], i] += src[o, j, i].
template <typename T> __global__ void scatter_add_kernel(const T* src, const int32_t* idx, T* y, int64_t A, int64_t n, int64_t I, int64_t total) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % I, o = e / (n * I);
    atomic_add(y + (o * A + idx[e]) * I + i, load(src[e]));
  }
}

// x [Bt, M, N] -> y [Bt, M, N]: element (i, j) kept where j - i >= k (Upper) or j - i <= k, else zero.
// Each thread reads and writes only its own element, so y may be x itself.
template <typename T, bool Upper> __global__ void triangle_kernel(const T* x, T* y, int64_t M, int64_t N, int64_t k, int64_t total) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t j = e % N, i = (e / N) % M;
    const bool keep = Upper ? j - i >= k : j - i <= k;
    y[e] = keep ? x[e] : T{};
  }
}

bool dense(const TensorView& t, int ndim) { return t.ndim == ndim && t.is_contiguous(); }

// Shapes and dtypes of (x or src, idx) -> y, as the CPU's check_indexing: reading kernels take x [O, A, I]
// (float or i32) into y [O, n, I]; accumulating ones add src [O, n, I] (float) into y [O, A, I].
void check_indexing(const OpArgs& a, const char* k, int idx_rank, bool accumulate) {
  check_counts(k, a, 2, 1, 0);
  const TensorView &in = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const char* in_name = accumulate ? "src" : "x";
  const bool float_in = is_float(in.dtype);
  if (!(float_in || (!accumulate && in.dtype == DType::i32)))
    throw KernelError(std::string(k) + ": " + in_name + " must be " + (accumulate ? "f32 or bf16" : "f32, bf16 or i32") +
                      ", got " + dtype_name(in.dtype));
  if (idx.dtype != DType::i32) throw KernelError(std::string(k) + ": idx must be i32, got " + dtype_name(idx.dtype));
  if (y.dtype != in.dtype) throw KernelError(std::string(k) + ": y must have " + in_name + "'s dtype, got " + dtype_name(y.dtype));
  const TensorView &big = accumulate ? y : in, &small = accumulate ? in : y;
  const int64_t n = idx.ndim == idx_rank ? idx.shape[idx_rank == 1 ? 0 : 1] : -1;
  if (!dense(in, 3) || !dense(idx, idx_rank) || !dense(y, 3) || small.shape[0] != big.shape[0] || small.shape[1] != n ||
      small.shape[2] != big.shape[2] || (idx_rank == 3 && !same_shape(idx, small)))
    throw KernelError(std::string(k) + ": need contiguous " + (accumulate ? "src [O, n, I], y [O, A, I]" : "x [O, A, I], y [O, n, I]") +
                      " and idx " + (idx_rank == 1 ? "[n]" : "[O, n, I]") + ", got " + in_name + " " + shape_str(in) +
                      ", idx " + shape_str(idx) + ", y " + shape_str(y));
}

void index_select(const OpArgs& a) {
  const char* k = "index_select";
  check_indexing(a, k, 1, false);
  const TensorView &x = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const int64_t A = x.shape[1], I = x.shape[2], n = idx.shape[0], total = y.numel();
  if (total == 0) return;
  cudaStream_t stream = stream_of(a);
  check_index_range(k, idx.ptr<int32_t>(), n, A, stream);
  dispatch_numeric(x.dtype, true, [&](auto tag) {
    using T = typename decltype(tag)::type;
    index_select_kernel<T><<<grid_for(total), kBlockThreads, 0, stream>>>(x.ptr<T>(), idx.ptr<int32_t>(), y.ptr<T>(), A, n, I, total);
  });
  check_launch(k);
}

void index_add(const OpArgs& a) {
  const char* k = "index_add";
  check_indexing(a, k, 1, true);
  const TensorView &src = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const int64_t A = y.shape[1], I = y.shape[2], n = idx.shape[0], total = src.numel();
  if (total == 0) return;
  cudaStream_t stream = stream_of(a);
  check_index_range(k, idx.ptr<int32_t>(), n, A, stream);
  dispatch_numeric(y.dtype, false, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, int32_t>)  // never true at run time: the dispatch excludes i32
      index_add_kernel<T><<<grid_for(total), kBlockThreads, 0, stream>>>(src.ptr<T>(), idx.ptr<int32_t>(), y.ptr<T>(), A, n, I, total);
  });
  check_launch(k);
}

void gather(const OpArgs& a) {
  const char* k = "gather";
  check_indexing(a, k, 3, false);
  const TensorView &x = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const int64_t A = x.shape[1], n = idx.shape[1], I = idx.shape[2], total = y.numel();
  if (total == 0) return;
  cudaStream_t stream = stream_of(a);
  check_index_range(k, idx.ptr<int32_t>(), total, A, stream);
  dispatch_numeric(x.dtype, true, [&](auto tag) {
    using T = typename decltype(tag)::type;
    gather_kernel<T><<<grid_for(total), kBlockThreads, 0, stream>>>(x.ptr<T>(), idx.ptr<int32_t>(), y.ptr<T>(), A, n, I, total);
  });
  check_launch(k);
}

void scatter_add(const OpArgs& a) {
  const char* k = "scatter_add";
  check_indexing(a, k, 3, true);
  const TensorView &src = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const int64_t A = y.shape[1], n = idx.shape[1], I = idx.shape[2], total = src.numel();
  if (total == 0) return;
  cudaStream_t stream = stream_of(a);
  check_index_range(k, idx.ptr<int32_t>(), total, A, stream);
  dispatch_numeric(y.dtype, false, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, int32_t>)
      scatter_add_kernel<T><<<grid_for(total), kBlockThreads, 0, stream>>>(src.ptr<T>(), idx.ptr<int32_t>(), y.ptr<T>(), A, n, I, total);
  });
  check_launch(k);
}

// inputs: x [Bt, M, N] contiguous, any dtype; outputs: y (same); attrs: k (truncated toward zero).
template <bool Upper> void triangle(const OpArgs& a) {
  const char* k = Upper ? "triu" : "tril";
  check_counts(k, a, 1, 1, 1);
  const TensorView &x = a.inputs[0], &y = a.outputs[0];
  if (!dense(x, 3) || !dense(y, 3) || !same_shape(x, y) || x.dtype != y.dtype)
    throw KernelError(std::string(k) + ": need contiguous x and y [Bt, M, N] of one dtype, got x " + shape_str(x) + " " +
                      dtype_name(x.dtype) + " and y " + shape_str(y) + " " + dtype_name(y.dtype));
  const double kd = a.attrs[0];
  if (std::isnan(kd)) throw KernelError(std::string(k) + ": diagonal k must be a number");
  const int64_t M = x.shape[1], N = x.shape[2], total = x.numel();
  if (total == 0) return;
  // Beyond +-(M + N) every row is all kept or all zeroed, so clamping k there keeps j - i - k in range.
  const double lim = static_cast<double>(M + N);
  const int64_t diag = static_cast<int64_t>(std::fmax(-lim, std::fmin(lim, std::trunc(kd))));
  cudaStream_t stream = stream_of(a);
  dispatch_dtype(x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    triangle_kernel<T, Upper><<<grid_for(total), kBlockThreads, 0, stream>>>(x.ptr<T>(), y.ptr<T>(), M, N, diag, total);
  });
  check_launch(k);
}

}  // namespace

SLMKIT_REGISTER_KERNELS({
    {"index_select", index_select},
    {"index_add", index_add},
    {"gather", gather},
    {"scatter_add", scatter_add},
    {"triu", triangle<true>},
    {"tril", triangle<false>},
});

}  // namespace slmkit
