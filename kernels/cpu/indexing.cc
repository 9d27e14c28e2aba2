// Indexing kernels on contiguous [O, A, I] views: index_select, index_add, gather, scatter_add, triu, tril.
#include <algorithm>
#include <cstring>

#include "dtype_dispatch.h"
#include "slmkit/indexing.h"
#include "strided.h"

namespace slmkit {
namespace {

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
  const IndexReadArgs r = decode_index_select(a);
  const int64_t O = r.outer, A = r.axis, I = r.inner, n = r.count;
  if (r.y.numel() == 0) return;
  const int32_t* ip = r.idx.ptr<int32_t>();
  check_index_range(kIndexSelect.name, ip, n, A);
  dispatch_float_i32(r.x.dtype, [&](auto t) {
    using T = decltype(t);
    const T* xp = r.x.ptr<T>();
    T* yp = r.y.ptr<T>();
    parallel_chunks(O * n, std::max<int64_t>(1, kElementwiseGrain / I), [&](int64_t r0, int64_t r1) {
      for (int64_t row = r0; row < r1; ++row) {
        const int64_t o = row / n, j = row % n;
        std::memcpy(yp + row * I, xp + (o * A + ip[j]) * I, I * sizeof(T));
      }
    });
  });
}

// src [O, n, I], idx [n]; y [O, A, I] in/out: y[o, idx[j], i] += src[o, j, i].
void index_add(const OpArgs& a) {
  const IndexAddArgs r = decode_index_add(a);
  const int64_t O = r.outer, A = r.axis, I = r.inner, n = r.count;
  if (r.src.numel() == 0) return;
  const int32_t* ip = r.idx.ptr<int32_t>();
  check_index_range(kIndexAdd.name, ip, n, A);
  dispatch_float(r.y.dtype, [&](auto t) {
    using T = decltype(t);
    const T* sp = r.src.ptr<T>();
    T* yp = r.y.ptr<T>();
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
  const IndexReadArgs r = decode_gather(a);
  const int64_t A = r.axis, n = r.count, I = r.inner;
  const int32_t* ip = r.idx.ptr<int32_t>();
  check_index_range(kGather.name, ip, r.idx.numel(), A);
  dispatch_float_i32(r.x.dtype, [&](auto t) {
    using T = decltype(t);
    const T* xp = r.x.ptr<T>();
    T* yp = r.y.ptr<T>();
    parallel_chunks(r.y.numel(), kElementwiseGrain, [&](int64_t e0, int64_t e1) {
      for (int64_t e = e0; e < e1; ++e) {
        const int64_t o = e / (n * I), i = e % I;
        yp[e] = xp[(o * A + ip[e]) * I + i];
      }
    });
  });
}

// src [O, n, I], idx [O, n, I]; y [O, A, I] in/out: y[o, idx[o, j, i], i] += src[o, j, i].
void scatter_add(const OpArgs& a) {
  const IndexAddArgs r = decode_scatter_add(a);
  const int64_t O = r.outer, A = r.axis, I = r.inner, n = r.count;
  const int32_t* ip = r.idx.ptr<int32_t>();
  check_index_range(kScatterAdd.name, ip, r.idx.numel(), A);
  dispatch_float(r.y.dtype, [&](auto t) {
    using T = decltype(t);
    const T* sp = r.src.ptr<T>();
    T* yp = r.y.ptr<T>();
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
  const TriangleArgs t = decode_triangle(a, Upper ? kTriu : kTril);
  const int64_t M = t.rows, N = t.cols, diag = t.diagonal;
  const int64_t es = dtype_size(t.x.dtype);
  const char* xp = static_cast<const char*>(t.x.data);
  char* yp = static_cast<char*>(t.y.data);
  parallel_chunks(t.x.shape[0] * M, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, N)),
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
