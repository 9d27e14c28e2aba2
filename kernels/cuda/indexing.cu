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
#include <cstdint>
#include <type_traits>

#include <cub/device/device_radix_sort.cuh>

#include "common/launch.cuh"
#include "common/overlap.cuh"
#include "common/reductions.cuh"
#include "common/values.cuh"
#include "slmkit/indexing.h"

namespace slmkit {
namespace {

constexpr unsigned long long kNoBadIndex = ~0ull;

// idx [n]: *bad = the lowest position j with idx[j] outside [0, A) (stays kNoBadIndex if none).
__global__ void index_check_kernel(const int32_t* idx, int64_t n, int64_t A, unsigned long long* bad) {
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += int64_t(gridDim.x) * blockDim.x)
    if (idx[j] < 0 || idx[j] >= A) atomicMin(bad, static_cast<unsigned long long>(j));
}

// Throws the contract's out-of-range error (slmkit/indexing.h) for the first bad index, if any.
void check_device_index_range(const char* k, const int32_t* idx, int64_t n, int64_t A, cudaStream_t stream) {
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
  fail_index_range(k, value, static_cast<int64_t>(first), A);
}

// x [O, A, I], idx [n] -> y [O, n, I] = x[o, idx[j], i].
template <typename T>
__global__ void index_select_kernel(const T* x,          // [O, A, I]
                                    const int32_t* idx,  // [n]
                                    T* y,                // [O, n, I]
                                    int64_t A, int64_t n, int64_t I, int64_t total) {
  wait_for_prior_kernels();
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % I, r = e / I, j = r % n, o = r / n;
    y[e] = x[(o * A + idx[j]) * I + i];
  }
}

// positions [n] = 0, 1, ..., n - 1: the payload sorted along with the indices.
__global__ void iota_kernel(int32_t* positions, int64_t n) {
  wait_for_prior_kernels();
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += int64_t(gridDim.x) * blockDim.x)
    positions[j] = int32_t(j);
}

// sorted [n] ascending destinations, order [n]: the source row of each (equal destinations keep index
// order). src [O, n, I]; y [O, A, I] in/out. The thread of (o, p, i) where p starts a run of equal
// destinations adds the run's rows into y[o, sorted[p], i]; other threads have nothing to do.
template <typename T>
__global__ void index_add_kernel(const T* src,           // [O, n, I]
                                 const int32_t* sorted,  // [n]
                                 const int32_t* order,   // [n]
                                 T* y,                   // [O, A, I]
                                 int64_t A, int64_t n, int64_t I, int64_t total) {
  wait_for_prior_kernels();
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % I, r = e / I, p = r % n, o = r / n;
    const int32_t dst = sorted[p];
    if (p > 0 && sorted[p - 1] == dst) continue;
    T* d = y + (o * A + dst) * I + i;
    T acc = *d;
    for (int64_t q = p; q < n && sorted[q] == dst; ++q)
      acc = store<T>(load(acc) + load(src[(o * n + order[q]) * I + i]));
    *d = acc;
  }
}

// x [O, A, I], idx [O, n, I] -> y [O, n, I] = x[o, idx[o, j, i], i].
template <typename T>
__global__ void gather_kernel(const T* x,          // [O, A, I]
                              const int32_t* idx,  // [O, n, I]
                              T* y,                // [O, n, I]
                              int64_t A, int64_t n, int64_t I, int64_t total) {
  wait_for_prior_kernels();
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % I, o = e / (n * I);
    y[e] = x[(o * A + idx[e]) * I + i];
  }
}

// idx [O, n, I] -> dst [O * n * I]: the offset in y [O, A, I] that element e of src scatters to, and
// pos [O * n * I] = e (the sort's payload).
__global__ void scatter_destinations_kernel(const int32_t* idx,  // [O, n, I]
                                            int64_t* dst,        // [O * n * I]
                                            int64_t* pos,        // [O * n * I]
                                            int64_t A, int64_t n, int64_t I, int64_t total) {
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
template <typename T>
__global__ void scatter_add_kernel(const T* src,           // [O, n, I]
                                   const int64_t* sorted,  // [total]
                                   const int64_t* order,   // [total]
                                   T* y,                   // [O, A, I]
                                   int64_t total) {
  wait_for_prior_kernels();
  for (int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < total; p += int64_t(gridDim.x) * blockDim.x) {
    const int64_t dst = sorted[p];
    if (p > 0 && sorted[p - 1] == dst) continue;
    T acc = y[dst];
    for (int64_t q = p; q < total && sorted[q] == dst; ++q) acc = store<T>(load(acc) + load(src[order[q]]));
    y[dst] = acc;
  }
}

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
size_t sort_pairs(const char* k, void* scratch, size_t scratch_bytes, const K* keys_in, K* keys_out, const V* vals_in,
                  V* vals_out, int64_t n, int64_t limit, cudaStream_t stream) {
  check_cuda(cub::DeviceRadixSort::SortPairs(scratch, scratch_bytes, keys_in, keys_out, vals_in, vals_out, n, 0,
                                             key_bits(limit), stream),
             k, "radix sort");
  return scratch_bytes;
}

// x [Bt, M, N] -> y [Bt, M, N]: element (i, j) kept where j - i >= k (Upper) or j - i <= k, else zero.
// Each thread reads and writes only its own element, so y may be x itself.
template <typename T, bool Upper>
__global__ void triangle_kernel(const T* x,  // [Bt, M, N]
                                T* y,        // [Bt, M, N]
                                int64_t M, int64_t N, int64_t k, int64_t total) {
  wait_for_prior_kernels();
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t j = e % N, i = (e / N) % M;
    const bool keep = Upper ? j - i >= k : j - i <= k;
    y[e] = keep ? x[e] : T{};
  }
}

// index_select and gather: y read from x at every index of idx, checked to be in [0, A) first;
// kernel_of(tag) is the kernel for the dtype of tag.
template <typename KernelOf>
void read_indexed(const char* k, const IndexReadArgs& r, cudaStream_t stream, KernelOf kernel_of) {
  const int64_t total = r.y.numel();
  if (total == 0) return;
  check_device_index_range(k, r.idx.ptr<int32_t>(), r.idx.numel(), r.axis, stream);
  dispatch_numeric(r.x.dtype, true, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_overlapped(k, kernel_of(tag), grid_for(total), kBlockThreads, 0, stream, r.x.ptr<T>(), r.idx.ptr<int32_t>(),
                      r.y.ptr<T>(), r.axis, r.count, r.inner, total);
  });
}

// Arguments: slmkit/indexing.h.
void index_select(const OpArgs& a) {
  read_indexed(kIndexSelect.name, decode_index_select(a), stream_of(a),
               [](auto tag) { return index_select_kernel<typename decltype(tag)::type>; });
}

void index_add(const OpArgs& a) {
  const char* k = kIndexAdd.name;
  const IndexAddArgs r = decode_index_add(a);
  const int64_t A = r.axis, I = r.inner, n = r.count, total = r.src.numel();
  if (total == 0) return;
  // The sort's positions are i32.
  require(n <= INT32_MAX, k, "at most 2^31 - 1 indices, got idx " + shape_str(r.idx));
  cudaStream_t stream = stream_of(a);
  check_device_index_range(k, r.idx.ptr<int32_t>(), n, A, stream);
  const size_t array = align_up(size_t(n) * sizeof(int32_t));
  const size_t sort_bytes =
      sort_pairs<int32_t, int32_t>(k, nullptr, 0, nullptr, nullptr, nullptr, nullptr, n, A, stream);
  StreamScratch scratch(k, 3 * array + sort_bytes, stream);
  char* base = scratch.as<char>();
  int32_t* sorted = reinterpret_cast<int32_t*>(base);
  int32_t* positions = reinterpret_cast<int32_t*>(base + array);
  int32_t* order = reinterpret_cast<int32_t*>(base + 2 * array);
  launch_overlapped(k, iota_kernel, grid_for(n), kBlockThreads, 0, stream, positions, n);
  sort_pairs(k, base + 3 * array, sort_bytes, r.idx.ptr<int32_t>(), sorted, positions, order, n, A, stream);
  dispatch_numeric(r.y.dtype, false, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, int32_t>)  // never true at run time: the dispatch excludes i32
      launch_overlapped(k, index_add_kernel<T>, grid_for(total), kBlockThreads, 0, stream, r.src.ptr<T>(), sorted,
                        order, r.y.ptr<T>(), A, n, I, total);
  });
}

void gather(const OpArgs& a) {
  read_indexed(kGather.name, decode_gather(a), stream_of(a),
               [](auto tag) { return gather_kernel<typename decltype(tag)::type>; });
}

void scatter_add(const OpArgs& a) {
  const char* k = kScatterAdd.name;
  const IndexAddArgs r = decode_scatter_add(a);
  const int64_t A = r.axis, n = r.count, I = r.inner, total = r.src.numel();
  if (total == 0) return;
  cudaStream_t stream = stream_of(a);
  check_device_index_range(k, r.idx.ptr<int32_t>(), total, A, stream);
  const size_t array = align_up(size_t(total) * sizeof(int64_t));
  const int64_t limit = r.y.numel();
  const size_t sort_bytes =
      sort_pairs<int64_t, int64_t>(k, nullptr, 0, nullptr, nullptr, nullptr, nullptr, total, limit, stream);
  StreamScratch scratch(k, 4 * array + sort_bytes, stream);
  char* base = scratch.as<char>();
  int64_t* dst = reinterpret_cast<int64_t*>(base);
  int64_t* positions = reinterpret_cast<int64_t*>(base + array);
  int64_t* sorted = reinterpret_cast<int64_t*>(base + 2 * array);
  int64_t* order = reinterpret_cast<int64_t*>(base + 3 * array);
  launch_overlapped(k, scatter_destinations_kernel, grid_for(total), kBlockThreads, 0, stream, r.idx.ptr<int32_t>(),
                    dst, positions, A, n, I, total);
  sort_pairs(k, base + 4 * array, sort_bytes, dst, sorted, positions, order, total, limit, stream);
  dispatch_numeric(r.y.dtype, false, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, int32_t>)
      launch_overlapped(k, scatter_add_kernel<T>, grid_for(total), kBlockThreads, 0, stream, r.src.ptr<T>(), sorted,
                        order, r.y.ptr<T>(), total);
  });
}

template <bool Upper> void triangle(const OpArgs& a) {
  const char* k = Upper ? kTriu.name : kTril.name;
  const TriangleArgs t = decode_triangle(a, Upper ? kTriu : kTril);
  const int64_t total = t.x.numel();
  if (total == 0) return;
  cudaStream_t stream = stream_of(a);
  dispatch_dtype(t.x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_overlapped(k, triangle_kernel<T, Upper>, grid_for(total), kBlockThreads, 0, stream, t.x.ptr<T>(),
                      t.y.ptr<T>(), t.rows, t.cols, t.diagonal, total);
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
