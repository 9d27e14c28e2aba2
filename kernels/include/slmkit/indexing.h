// Host contract of indexing (index_select, index_add, gather, scatter_add, triu, tril). The index kernels see
// contiguous [O, A, I] views: A is the indexed dimension, O and I are the dimensions before and after it.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>

#include "slmkit/kernel_call.h"

namespace slmkit {

inline const KernelSignature kIndexSelect{"index_select", {"x", "idx"}, {"y"}, {}};
inline const KernelSignature kIndexAdd{"index_add", {"src", "idx"}, {"y"}, {}};
inline const KernelSignature kGather{"gather", {"x", "idx"}, {"y"}, {}};
inline const KernelSignature kScatterAdd{"scatter_add", {"src", "idx"}, {"y"}, {}};
inline const KernelSignature kTriu{"triu", {"x"}, {"y"}, {"k"}};
inline const KernelSignature kTril{"tril", {"x"}, {"y"}, {"k"}};

// index_select (idx [n]) and gather (idx [O, n, I]): y read from x at indices into A.
struct IndexReadArgs {
  TensorView x;    // [O, A, I] f32, bf16 or i32, contiguous
  TensorView idx;  // [n] or [O, n, I] i32, contiguous; every index in [0, A), checked by the launcher
  TensorView y;    // [O, n, I], x's dtype
  int64_t outer, axis, inner, count;  // O, A, I, n
};

// index_add (idx [n]) and scatter_add (idx [O, n, I]): src added into y at indices into A.
struct IndexAddArgs {
  TensorView src;  // [O, n, I] f32 or bf16, contiguous
  TensorView idx;  // [n] or [O, n, I] i32, contiguous; every index in [0, A), checked before y is written
  TensorView y;    // [O, A, I] in/out, src's dtype
  int64_t outer, axis, inner, count;  // O, A, I, n
};

struct IndexDims { int64_t outer, axis, inner, count; };

// The checks the four index kernels share: data (x or src) and y of rank 3, idx i32 of rank idx_rank, all
// contiguous. Reading kernels take x of a float dtype or i32 into y [O, n, I]; accumulating ones add
// src [O, n, I] of a float dtype into y [O, A, I]. y has the data's dtype.
inline IndexDims decode_index_dims(const KernelCall& c, const char* data, int idx_rank, bool accumulate) {
  const TensorView &in = c.in(data), &idx = c.in("idx"), &y = c.out("y");
  c.dense(data, 3);
  c.dense("idx", idx_rank);
  c.dense("y", 3);
  c.dtype("idx", DType::i32);
  check_dtype(c.kernel(), data, in, accumulate ? is_float(in.dtype) : is_float_or_i32(in.dtype),
              accumulate ? "f32 or bf16" : "f32, bf16 or i32");
  check_dtype(c.kernel(), "y", y, y.dtype == in.dtype, accumulate ? "src's dtype" : "x's dtype");
  const TensorView &big = accumulate ? y : in, &small = accumulate ? in : y;
  const int64_t n = idx.shape[idx_rank == 1 ? 0 : 1];
  if (small.shape[0] != big.shape[0] || small.shape[1] != n || small.shape[2] != big.shape[2] ||
      (idx_rank == 3 && !same_shape(idx, small)))
    c.fail(std::string(accumulate ? "src" : "y") + " must be [O, n, I] for " + (accumulate ? "y" : "x") +
           " [O, A, I] and idx " + (idx_rank == 1 ? "[n]" : "[O, n, I]") + ", got " + data + " " + shape_str(in) +
           ", idx " + shape_str(idx) + ", y " + shape_str(y));
  return {big.shape[0], big.shape[1], big.shape[2], n};
}

inline IndexReadArgs decode_index_read(const OpArgs& a, const KernelSignature& s, int idx_rank) {
  const KernelCall c(a, s);
  const IndexDims d = decode_index_dims(c, "x", idx_rank, false);
  return {c.in("x"), c.in("idx"), c.out("y"), d.outer, d.axis, d.inner, d.count};
}

inline IndexAddArgs decode_index_accumulate(const OpArgs& a, const KernelSignature& s, int idx_rank) {
  const KernelCall c(a, s);
  const IndexDims d = decode_index_dims(c, "src", idx_rank, true);
  return {c.in("src"), c.in("idx"), c.out("y"), d.outer, d.axis, d.inner, d.count};
}

inline IndexReadArgs decode_index_select(const OpArgs& a) { return decode_index_read(a, kIndexSelect, 1); }
inline IndexReadArgs decode_gather(const OpArgs& a) { return decode_index_read(a, kGather, 3); }
inline IndexAddArgs decode_index_add(const OpArgs& a) { return decode_index_accumulate(a, kIndexAdd, 1); }
inline IndexAddArgs decode_scatter_add(const OpArgs& a) { return decode_index_accumulate(a, kScatterAdd, 3); }

// An index outside [0, A), at `position` in idx's elements: the same message on both devices (the CUDA
// launchers find the first bad position on the device and read it back).
[[noreturn]] inline void fail_index_range(const char* kernel, int64_t value, int64_t position, int64_t axis) {
  kernel_fail(kernel, "index " + std::to_string(value) + " at position " + std::to_string(position) +
                          " is out of range [0, " + std::to_string(axis) + ")");
}

// The range check over indices in host memory (the CPU backend), before anything is written.
inline void check_index_range(const char* kernel, const int32_t* idx, int64_t n, int64_t axis) {
  for (int64_t j = 0; j < n; ++j)
    if (idx[j] < 0 || idx[j] >= axis) fail_index_range(kernel, idx[j], j, axis);
}

// triu (keeps j - i >= k) and tril (keeps j - i <= k) over the last two dims; the rest becomes zero.
struct TriangleArgs {
  TensorView x;        // [Bt, M, N] any dtype, contiguous
  TensorView y;        // [Bt, M, N], x's dtype; may be x itself
  int64_t rows, cols;  // M, N
  int64_t diagonal;    // k truncated toward zero, clamped to [-(M + N), M + N]
};

inline TriangleArgs decode_triangle(const OpArgs& a, const KernelSignature& s) {
  const KernelCall c(a, s);
  c.dense("x", 3);
  c.like("y", "x");
  const TensorView& x = c.in("x");
  const int64_t M = x.shape[1], N = x.shape[2];
  // Any number is a diagonal (infinities included). Beyond +-(M + N) every row is all kept or all zeroed,
  // so clamping there changes nothing and keeps i + k and j - i - k far from overflow.
  const double k = c.attr("k");
  if (std::isnan(k)) c.fail("k must be a number, got nan");
  const double limit = static_cast<double>(M + N);
  const int64_t diagonal = static_cast<int64_t>(std::max(-limit, std::min(limit, std::trunc(k))));
  return {x, c.out("y"), M, N, diagonal};
}

}  // namespace slmkit
