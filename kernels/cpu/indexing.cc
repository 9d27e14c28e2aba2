// Indexing kernels on contiguous [O, A, I] views: index_select, index_add, gather, scatter_add, triu, tril.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "dtype_dispatch.h"
#include "slmkit/checks.h"
#include "strided.h"
#include "slmkit/indexing.h"

namespace slmkit {
namespace {

// Checks shared by index_select, index_add, gather and scatter_add: (x or src, idx) -> y, all contiguous,
// the data tensors of rank 3, idx i32 [n] (idx_rank 1) or [O, n, I] (idx_rank 3). Reading kernels
// (accumulate = false) take x [O, A, I] of any number dtype into y [O, n, I]; accumulating ones add
// src [O, n, I] into y [O, A, I] and take floats only. y has the first input's dtype.
void check_indexing(const OpArgs& a, const char* k, int idx_rank, bool accumulate) {
  check_counts(a, k, 2, 1);
  const TensorView &in = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const char* in_name = accumulate ? "src" : "x";
  check_dense(k, in_name, in, 3);
  check_dense(k, "idx", idx, idx_rank);
  check_dense(k, "y", y, 3);
  check_dtype(k, "idx", idx, DType::i32);
  check_dtype(k, in_name, in, accumulate ? is_float(in.dtype) : is_float_or_i32(in.dtype),
              accumulate ? "f32 or bf16" : "f32, bf16 or i32");
  check_dtype(k, "y", y, y.dtype == in.dtype, accumulate ? "src's dtype" : "x's dtype");
  const TensorView &big = accumulate ? y : in, &small = accumulate ? in : y;
  const int64_t n = idx.shape[idx_rank == 1 ? 0 : 1];
  if (small.shape[0] != big.shape[0] || small.shape[1] != n || small.shape[2] != big.shape[2] ||
      (idx_rank == 3 && !same_shape(idx, small)))
    kernel_fail(k, std::string(accumulate ? "src" : "y") + " must be [O, n, I] for " + (accumulate ? "y" : "x") +
                       " [O, A, I] and idx " + (idx_rank == 1 ? "[n]" : "[O, n, I]") + ", got " + in_name + " " +
                       shape_str(in) + ", idx " + shape_str(idx) + ", y " + shape_str(y));
}

// Every index must lie in [0, A). Checked in a separate pass before an in/out kernel writes anything,
// so a bad index leaves y untouched.
void check_index_range(const char* k, const int32_t* idx, int64_t n, int64_t A) {
  for (int64_t j = 0; j < n; ++j)
    if (idx[j] < 0 || idx[j] >= A)
      kernel_fail(k, "index " + std::to_string(idx[j]) + " at position " + std::to_string(j) + " is out of range [0, " +
                         std::to_string(A) + ")");
}

// Splits the O*I independent output columns of an accumulating kernel over threads: each thread owns
// whole columns, so duplicate indices never race and every element sums its terms in j order
// (deterministic). body(o, i0, i1) handles columns i0..i1-1 of slice o.
template <class F> void for_columns(int64_t O, int64_t I, int64_t work_per_column, F&& body) {
  parallel_chunks(O * I, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, work_per_column)),
                  [&](int64_t c0, int64_t c1) {
                    while (c0 < c1) {
                      const int64_t o = c0 / I, i0 = c0 % I, i1 = std::min(I, i0 + (c1 - c0));
                      body(o, i0, i1);
                      c0 += i1 - i0;
                    }
                  });
}

// x [O, A, I], idx [n] -> y [O, n, I] = x[o, idx[j], i].
void index_select(const OpArgs& a) {
  const char* k = "index_select";
  check_indexing(a, k, 1, false);
  const TensorView &x = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const int64_t O = x.shape[0], A = x.shape[1], I = x.shape[2], n = idx.shape[0];
  if (y.numel() == 0) return;
  const int32_t* ip = idx.ptr<int32_t>();
  check_index_range(k, ip, n, A);
  dispatch_float_i32(x.dtype, [&](auto t) {
    using T = decltype(t);
    const T* xp = x.ptr<T>();
    T* yp = y.ptr<T>();
    parallel_chunks(O * n, std::max<int64_t>(1, kElementwiseGrain / I), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t o = r / n, j = r % n;
        std::memcpy(yp + r * I, xp + (o * A + ip[j]) * I, I * sizeof(T));
      }
    });
  });
}

// src [O, n, I], idx [n]; y [O, A, I] in/out: y[o, idx[j], i] += src[o, j, i].
void index_add(const OpArgs& a) {
  const char* k = "index_add";
  check_indexing(a, k, 1, true);
  const TensorView &src = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const int64_t O = y.shape[0], A = y.shape[1], I = y.shape[2], n = idx.shape[0];
  if (src.numel() == 0) return;
  const int32_t* ip = idx.ptr<int32_t>();
  check_index_range(k, ip, n, A);
  dispatch_float(y.dtype, [&](auto t) {
    using T = decltype(t);
    const T* sp = src.ptr<T>();
    T* yp = y.ptr<T>();
    for_columns(O, I, n, [&](int64_t o, int64_t i0, int64_t i1) {
      for (int64_t j = 0; j < n; ++j) {
        const T* s = sp + (o * n + j) * I;
        T* d = yp + (o * A + ip[j]) * I;
        for (int64_t i = i0; i < i1; ++i) d[i] = store<T>(load(d[i]) + load(s[i]));
      }
    });
  });
}

// x [O, A, I], idx [O, n, I] -> y [O, n, I] = x[o, idx[o, j, i], i].
void gather(const OpArgs& a) {
  const char* k = "gather";
  check_indexing(a, k, 3, false);
  const TensorView &x = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const int64_t A = x.shape[1], n = idx.shape[1], I = idx.shape[2];
  const int32_t* ip = idx.ptr<int32_t>();
  check_index_range(k, ip, idx.numel(), A);
  dispatch_float_i32(x.dtype, [&](auto t) {
    using T = decltype(t);
    const T* xp = x.ptr<T>();
    T* yp = y.ptr<T>();
    parallel_chunks(y.numel(), kElementwiseGrain, [&](int64_t e0, int64_t e1) {
      for (int64_t e = e0; e < e1; ++e) {
        const int64_t o = e / (n * I), i = e % I;
        yp[e] = xp[(o * A + ip[e]) * I + i];
      }
    });
  });
}

// src [O, n, I], idx [O, n, I]; y [O, A, I] in/out: y[o, idx[o, j, i], i] += src[o, j, i].
void scatter_add(const OpArgs& a) {
  const char* k = "scatter_add";
  check_indexing(a, k, 3, true);
  const TensorView &src = a.inputs[0], &idx = a.inputs[1], &y = a.outputs[0];
  const int64_t O = y.shape[0], A = y.shape[1], n = idx.shape[1], I = idx.shape[2];
  const int32_t* ip = idx.ptr<int32_t>();
  check_index_range(k, ip, idx.numel(), A);
  dispatch_float(y.dtype, [&](auto t) {
    using T = decltype(t);
    const T* sp = src.ptr<T>();
    T* yp = y.ptr<T>();
    for_columns(O, I, n, [&](int64_t o, int64_t i0, int64_t i1) {
      for (int64_t j = 0; j < n; ++j) {
        const int64_t row = (o * n + j) * I;
        for (int64_t i = i0; i < i1; ++i) {
          T& d = yp[(o * A + ip[row + i]) * I + i];
          d = store<T>(load(d) + load(sp[row + i]));
        }
      }
    });
  });
}

// x [Bt, M, N] (any dtype) -> y [Bt, M, N]: row i keeps columns j with j - i >= k (triu) or
// j - i <= k (tril) and zeroes the rest. All-zero bytes are 0 in every dtype, so this is byte work.
template <bool Upper> void triangle(const OpArgs& a) {
  const char* k = Upper ? "triu" : "tril";
  check_counts(a, k, 1, 1);
  check_attrs(a, k, 1);
  const TensorView &x = a.inputs[0], &y = a.outputs[0];
  check_ndim(k, "x", x, 3);
  check_contiguous(k, "x", x);
  check_contiguous(k, "y", y);
  check_same_shape(k, "x and y", x, y);
  check_dtype(k, "y", y, y.dtype == x.dtype, "x's dtype");
  const double kd = a.attrs[0];
  if (std::isnan(kd)) kernel_fail(k, "diagonal k must be a number");
  const int64_t M = x.shape[1], N = x.shape[2];
  // Clamp k to a range where i + k cannot overflow; beyond +-(M + N) every row is all kept or all zeroed.
  const int64_t diag = static_cast<int64_t>(std::max(-double(M + N), std::min(double(M + N), std::trunc(kd))));
  const int64_t es = dtype_size(x.dtype);
  const char* xp = static_cast<const char*>(x.data);
  char* yp = static_cast<char*>(y.data);
  parallel_chunks(x.shape[0] * M, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, N)),
                  [&](int64_t r0, int64_t r1) {
                    for (int64_t r = r0; r < r1; ++r) {
                      const int64_t i = r % M;
                      // Kept columns are [lo, hi), clamped to [0, N].
                      const int64_t lo = Upper ? std::clamp<int64_t>(i + diag, 0, N) : 0;
                      const int64_t hi = Upper ? N : std::clamp<int64_t>(i + diag + 1, 0, N);
                      const char* src = xp + r * N * es;
                      char* dst = yp + r * N * es;
                      std::memset(dst, 0, lo * es);
                      // memmove: y may be x itself (an in-place triu).
                      std::memmove(dst + lo * es, src + lo * es, (hi - lo) * es);
                      std::memset(dst + hi * es, 0, (N - hi) * es);
                    }
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
