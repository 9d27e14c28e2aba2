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
// index_add and scatter_add are deterministic and match the CPU bit for bit: the destinations are sorted
// (a stable radix sort keeps equal destinations in index order), and then one thread per destination
// element adds its run of sources in that order, rounding to the storage type after every add as the CPU
// does. Atomic adds would be faster to write but land in a different order on every run, which makes
// training runs unrepeatable (the embedding backward is an index_add).
#include <cmath>
#include <string>
#include <type_traits>

#include <cub/device/device_radix_sort.cuh>

#include "launch.cuh"
#include "overlap.cuh"
#include "values.cuh"
#include "slmkit/indexing.h"

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
    // The one kernel here launched the ordinary way: it follows the memset above and precedes a host wait,
    // so it has no kernel to overlap with, and launch_overlapped would throw before `bad` is freed.
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
  wait_for_prior_kernels();
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % I, r = e / I, j = r % n, o = r / n;
    y[e] = x[(o * A + idx[j]) * I + i];
  }
}

// positions [n] = 0, 1, ..., n - 1: the payload sorted along with the indices.
__global__ void iota_kernel(int32_t* positions, int64_t n) {
  wait_for_prior_kernels();
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += int64_t(gridDim.x) * blockDim.x) positions[j] = int32_t(j);
}

// sorted [n] ascending destinations, order [n]: the source row of each (equal destinations keep index
// order). src [O, n, I]; y [O, A, I] in/out. The thread of (o, p, i) where p starts a run of equal
// destinations adds the run's rows into y[o, sorted[p], i]; other threads have nothing to do.
template <typename T> __global__ void index_add_kernel(const T* src, const int32_t* sorted, const int32_t* order, T* y, int64_t A, int64_t n, int64_t I, int64_t total) {
  wait_for_prior_kernels();
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % I, r = e / I, p = r % n, o = r / n;
    const int32_t dst = sorted[p];
    if (p > 0 && sorted[p - 1] == dst) continue;
    T* d = y + (o * A + dst) * I + i;
    T acc = *d;
    for (int64_t q = p; q < n && sorted[q] == dst; ++q) acc = store<T>(load(acc) + load(src[(o * n + order[q]) * I + i]));
    *d = acc;
  }
}

// x [O, A, I], idx [O, n, I] -> y [O, n, I] = x[o, idx[o, j, i], i].
template <typename T> __global__ void gather_kernel(const T* x, const int32_t* idx, T* y, int64_t A, int64_t n, int64_t I, int64_t total) {
  wait_for_prior_kernels();
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % I, o = e / (n * I);
    y[e] = x[(o * A + idx[e]) * I + i];
  }
}

// idx [O, n, I] -> dst [O * n * I]: the offset in y [O, A, I] that element e of src scatters to, and
// pos [O * n * I] = e (the sort's payload).
__global__ void scatter_destinations_kernel(const int32_t* idx, int64_t* dst, int64_t* pos, int64_t A, int64_t n, int64_t I, int64_t total) {
  wait_for_prior_kernels();
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % I, o = e / (n * I);
    dst[e] = (o * A + idx[e]) * I + i;
    pos[e] = e;
  }
}

// sorted [total] ascending offsets into y, order [total]: the src element of each (equal offsets keep
// element order, which for one (o, i) column is index order j). The thread of a run's first position adds
// the run into y[sorted[p]].
template <typename T> __global__ void scatter_add_kernel(const T* src, const int64_t* sorted, const int64_t* order, T* y, int64_t total) {
  wait_for_prior_kernels();
  for (int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < total; p += int64_t(gridDim.x) * blockDim.x) {
    const int64_t dst = sorted[p];
    if (p > 0 && sorted[p - 1] == dst) continue;
    T acc = y[dst];
    for (int64_t q = p; q < total && sorted[q] == dst; ++q) acc = store<T>(load(acc) + load(src[order[q]]));
    y[dst] = acc;
  }
}

// Device scratch from the stream-ordered pool, released in stream order when the launcher returns (the
// kernels that use it are queued before the release, so they finish first).
class StreamScratch {
 public:
  StreamScratch(const char* kernel, size_t bytes, cudaStream_t stream) : stream_(stream) {
    check_cuda(cudaMallocAsync(&ptr_, bytes, stream), kernel, "cudaMallocAsync (sort scratch)");
  }
  ~StreamScratch() { cudaFreeAsync(ptr_, stream_); }
  StreamScratch(const StreamScratch&) = delete;
  StreamScratch& operator=(const StreamScratch&) = delete;
  char* get() const { return static_cast<char*>(ptr_); }

 private:
  void* ptr_ = nullptr;
  cudaStream_t stream_;
};

constexpr size_t align_up(size_t bytes) { return (bytes + 255) & ~size_t(255); }

// Bits the radix sort must look at for keys in [0, limit).
int key_bits(int64_t limit) {
  int bits = 1;
  while (bits < 63 && (int64_t(1) << bits) < limit) ++bits;
  return bits;
}

// Stable sort of (keys_in, vals_in) by key into (keys_out, vals_out), keys in [0, limit), all device
// arrays of n elements; `scratch` receives cub's temporary storage. Returns the scratch size when
// scratch is null (cub's two-call protocol).
template <typename K, typename V>
size_t sort_pairs(const char* k, void* scratch, size_t scratch_bytes, const K* keys_in, K* keys_out, const V* vals_in, V* vals_out, int64_t n,
                  int64_t limit, cudaStream_t stream) {
  check_cuda(cub::DeviceRadixSort::SortPairs(scratch, scratch_bytes, keys_in, keys_out, vals_in, vals_out, n, 0, key_bits(limit), stream), k,
             "radix sort");
  return scratch_bytes;
}

// x [Bt, M, N] -> y [Bt, M, N]: element (i, j) kept where j - i >= k (Upper) or j - i <= k, else zero.
// Each thread reads and writes only its own element, so y may be x itself.
template <typename T, bool Upper> __global__ void triangle_kernel(const T* x, T* y, int64_t M, int64_t N, int64_t k, int64_t total) {
  wait_for_prior_kernels();
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

// index_select and gather: y [O, n, I] read from x [O, A, I] at every index of idx, checked to be in
// [0, A) first; kernel_of(tag) is the kernel for the dtype of tag.
template <typename KernelOf> void read_indexed(const OpArgs& a, const char* k, int idx_rank, KernelOf kernel_of) {
  check_indexing(a, k, idx_rank, false);
  const TensorView &x = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const int64_t A = x.shape[1], n = y.shape[1], I = y.shape[2], total = y.numel();
  if (total == 0) return;
  cudaStream_t stream = stream_of(a);
  check_index_range(k, idx.ptr<int32_t>(), idx.numel(), A, stream);
  dispatch_numeric(x.dtype, true, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_overlapped(k, kernel_of(tag), grid_for(total), kBlockThreads, 0, stream, x.ptr<T>(), idx.ptr<int32_t>(), y.ptr<T>(), A, n, I,
                      total);
  });
}

void index_select(const OpArgs& a) {
  read_indexed(a, "index_select", 1, [](auto tag) { return index_select_kernel<typename decltype(tag)::type>; });
}

void index_add(const OpArgs& a) {
  const char* k = "index_add";
  check_indexing(a, k, 1, true);
  const TensorView &src = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const int64_t A = y.shape[1], I = y.shape[2], n = idx.shape[0], total = src.numel();
  if (total == 0) return;
  if (n > INT32_MAX) throw KernelError(std::string(k) + ": at most 2^31 - 1 indices, got idx " + shape_str(idx));
  cudaStream_t stream = stream_of(a);
  check_index_range(k, idx.ptr<int32_t>(), n, A, stream);
  const size_t array = align_up(size_t(n) * sizeof(int32_t));
  const size_t sort_bytes = sort_pairs<int32_t, int32_t>(k, nullptr, 0, nullptr, nullptr, nullptr, nullptr, n, A, stream);
  StreamScratch scratch(k, 3 * array + sort_bytes, stream);
  int32_t* sorted = reinterpret_cast<int32_t*>(scratch.get());
  int32_t* positions = reinterpret_cast<int32_t*>(scratch.get() + array);
  int32_t* order = reinterpret_cast<int32_t*>(scratch.get() + 2 * array);
  launch_overlapped(k, iota_kernel, grid_for(n), kBlockThreads, 0, stream, positions, n);
  sort_pairs(k, scratch.get() + 3 * array, sort_bytes, idx.ptr<int32_t>(), sorted, positions, order, n, A, stream);
  dispatch_numeric(y.dtype, false, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, int32_t>)  // never true at run time: the dispatch excludes i32
      launch_overlapped(k, index_add_kernel<T>, grid_for(total), kBlockThreads, 0, stream, src.ptr<T>(), sorted, order, y.ptr<T>(), A,
                        n, I, total);
  });
}

void gather(const OpArgs& a) {
  read_indexed(a, "gather", 3, [](auto tag) { return gather_kernel<typename decltype(tag)::type>; });
}

void scatter_add(const OpArgs& a) {
  const char* k = "scatter_add";
  check_indexing(a, k, 3, true);
  const TensorView &src = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const int64_t A = y.shape[1], n = idx.shape[1], I = idx.shape[2], total = src.numel();
  if (total == 0) return;
  cudaStream_t stream = stream_of(a);
  check_index_range(k, idx.ptr<int32_t>(), total, A, stream);
  const size_t array = align_up(size_t(total) * sizeof(int64_t));
  const int64_t limit = y.numel();
  const size_t sort_bytes = sort_pairs<int64_t, int64_t>(k, nullptr, 0, nullptr, nullptr, nullptr, nullptr, total, limit, stream);
  StreamScratch scratch(k, 4 * array + sort_bytes, stream);
  int64_t* dst = reinterpret_cast<int64_t*>(scratch.get());
  int64_t* positions = reinterpret_cast<int64_t*>(scratch.get() + array);
  int64_t* sorted = reinterpret_cast<int64_t*>(scratch.get() + 2 * array);
  int64_t* order = reinterpret_cast<int64_t*>(scratch.get() + 3 * array);
  launch_overlapped(k, scatter_destinations_kernel, grid_for(total), kBlockThreads, 0, stream, idx.ptr<int32_t>(), dst, positions,
                    A, n, I, total);
  sort_pairs(k, scratch.get() + 4 * array, sort_bytes, dst, sorted, positions, order, total, limit, stream);
  dispatch_numeric(y.dtype, false, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, int32_t>)
      launch_overlapped(k, scatter_add_kernel<T>, grid_for(total), kBlockThreads, 0, stream, src.ptr<T>(), sorted, order, y.ptr<T>(),
                        total);
  });
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
    launch_overlapped(k, triangle_kernel<T, Upper>, grid_for(total), kBlockThreads, 0, stream, x.ptr<T>(), y.ptr<T>(), M, N, diag,
                      total);
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({
    {&kIndexSelect, index_select},
    {&kIndexAdd, index_add},
    {&kGather, gather},
    {&kScatterAdd, scatter_add},
    {&kTriu, triangle<true>},
    {&kTril, triangle<false>},
});

}  // namespace slmkit
