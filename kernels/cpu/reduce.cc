// Reductions over the middle axis of a contiguous [O, R, I] view: sum, max, min, argmax, argmin, logsumexp.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "dtype_dispatch.h"
#include "slmkit/reduce.h"
#include "strided.h"
#include "vec_math.h"

namespace slmkit {
namespace {

// Each reducer over storage type T provides: acc_t; init(); step(acc, value, r) for element r of the
// axis; row(acc, x, n, r0) for n consecutive elements starting at axis index r0; merge(a, b) where b
// covers later axis indices than a; finish(acc) -> out_t. Its traits (dtypes, output) come from its kind in
// slmkit/reduce.h.

template <class R, class T>
inline void step_row(const R& red, typename R::acc_t& acc, const T* x, int64_t n, int64_t r0) {
  for (int64_t j = 0; j < n; ++j) red.step(acc, load(x[j]), r0 + j);
}

template <class T> struct sum_red : SumKind {
  // f64 for floats, i64 for i32 (the result wraps to i32 on store, like a cast of PyTorch's i64 sum).
  using acc_t = std::conditional_t<std::is_same_v<T, int32_t>, int64_t, double>;
  using out_t = T;
  acc_t init() const { return 0; }
  void step(acc_t& acc, compute_t<T> v, int64_t) const { acc += v; }
  // Blocks of 128 are summed in 8 f32 lanes (vectorisable; 16 terms per lane keeps the f32 error near
  // 1e-6 relative at worst) and each block total is added in f64, so long rows stay accurate.
  void row(acc_t& acc, const T* x, int64_t n, int64_t r0) const {
    if constexpr (std::is_same_v<T, int32_t>) {
      step_row(*this, acc, x, n, r0);
    } else {
      constexpr int kLanes = 8, kBlock = 128;
      int64_t j = 0;
      for (; j + kBlock <= n; j += kBlock) {
        float lane[kLanes] = {};
        for (int b = 0; b < kBlock; b += kLanes)
          for (int l = 0; l < kLanes; ++l) lane[l] += load(x[j + b + l]);
        acc += static_cast<double>(((lane[0] + lane[1]) + (lane[2] + lane[3])) +
                                   ((lane[4] + lane[5]) + (lane[6] + lane[7])));
      }
      for (; j < n; ++j) acc += load(x[j]);
    }
  }
  void merge(acc_t& a, const acc_t& b) const { a += b; }
  out_t finish(const acc_t& acc) const {
    if constexpr (std::is_same_v<T, int32_t>) return static_cast<int32_t>(static_cast<uint32_t>(acc));
    else return store<T>(static_cast<float>(acc));
  }
};

// max/min/argmax/argmin. A NaN beats every number and the first one found stays (so NaN propagates
// and argmax points at it); among equal extremes the first index stays.
template <class T, bool IsMax, bool Index> struct extreme_red : ExtremeKind<IsMax, Index> {
  using V = compute_t<T>;
  struct acc_t {
    V v;
    int64_t idx;  // -1 until the first element
  };
  using out_t = std::conditional_t<Index, int32_t, T>;
  static bool better(V v, V cur) {
    const bool nan_wins = v != v && cur == cur;  // always false for i32; the compiler drops it
    return (IsMax ? v > cur : v < cur) || nan_wins;
  }
  acc_t init() const { return acc_t{V(0), -1}; }
  void step(acc_t& acc, V v, int64_t r) const {
    if (acc.idx < 0 || better(v, acc.v)) acc = acc_t{v, r};
  }
  // max/min of a row in 8 independent lanes (vectorises to maxps/minps-style selects) with NaNs
  // counted on the side; argmax/argmin keep the scalar scan, which must track the first index.
  void row(acc_t& acc, const T* x, int64_t n, int64_t r0) const {
    constexpr int kLanes = 8;
    if constexpr (Index) {
      step_row(*this, acc, x, n, r0);
    } else if (n >= kLanes) {
      V lane[kLanes];
      int nan[kLanes] = {};
      for (int l = 0; l < kLanes; ++l) lane[l] = load(x[l]);
      int64_t j = kLanes;
      for (; j + kLanes <= n; j += kLanes)
        for (int l = 0; l < kLanes; ++l) {
          const V v = load(x[j + l]);
          lane[l] = (IsMax ? v > lane[l] : v < lane[l]) ? v : lane[l];
          nan[l] |= v != v;
        }
      for (int l = 0; l < kLanes; ++l) step(acc, lane[l], r0);
      step_row(*this, acc, x + j, n - j, r0 + j);
      int any_nan = 0;
      for (int l = 0; l < kLanes; ++l) any_nan |= nan[l];
      if (any_nan) step(acc, std::numeric_limits<V>::quiet_NaN(), r0);
    } else {
      step_row(*this, acc, x, n, r0);
    }
  }
  void merge(acc_t& a, const acc_t& b) const {
    if (b.idx >= 0 && (a.idx < 0 || better(b.v, a.v))) a = b;
  }
  out_t finish(const acc_t& acc) const {
    if constexpr (Index) return static_cast<int32_t>(acc.idx);
    else return store<T>(acc.v);
  }
};
template <class T> using max_red = extreme_red<T, true, false>;
template <class T> using min_red = extreme_red<T, false, false>;
template <class T> using argmax_red = extreme_red<T, true, true>;
template <class T> using argmin_red = extreme_red<T, false, true>;

// One-pass (online) logsumexp: keeps the running max m and s = sum exp(x - m), rescaling s when m
// grows, so the input is read once. Infinities are special-cased to avoid inf - inf = NaN: a +inf
// element makes the result +inf, all -inf (or an empty axis) gives -inf, a NaN gives NaN.
template <class T> struct logsumexp_red : LogsumexpKind {
  static constexpr float kInf = std::numeric_limits<float>::infinity();
  struct acc_t {
    float m;
    double s;
  };
  using out_t = T;
  acc_t init() const { return acc_t{-kInf, 0.0}; }
  void step(acc_t& acc, float v, int64_t) const {
    if (v > acc.m) {
      acc.s = acc.s * std::exp(acc.m - v) + 1.0;
      acc.m = v;
    } else if (v != v) {
      acc.m = v;  // stays NaN: nothing compares greater than it afterwards
    } else if (v != -kInf && acc.m != kInf) {
      acc.s += std::exp(v - acc.m);
    }
  }
  // A contiguous run, one block at a time: the block's max, then its exp-sum while the block is still in
  // L1 (one exp per element, no rescaling), merged into acc. A NaN is skipped by the max and surfaces as a
  // NaN sum; a block whose max is infinite (or that holds no number) is settled by its max and a NaN scan.
  void row(acc_t& acc, const T* x, int64_t n, int64_t) const {
    for_f32_blocks(x, n, [&](const float* b, int64_t len, int64_t) {
      acc_t part{vec_max(b, len), 0.0};
      if (part.m != kInf && part.m != -kInf) {
        part.s = vec_exp_sum(b, part.m, nullptr, len);
        if (part.s != part.s) part.m = part.s;
      } else {
        for (int64_t j = 0; j < len; ++j)
          if (b[j] != b[j]) part.m = b[j];
      }
      merge(acc, part);
    });
  }
  void merge(acc_t& a, const acc_t& b) const {
    if (a.m != a.m || b.m != b.m) {
      a.m = std::numeric_limits<float>::quiet_NaN();
      return;
    }
    const float m = std::max(a.m, b.m);
    if (m == -kInf || m == kInf) {
      a.m = m;
      return;
    }
    a.s = a.s * std::exp(a.m - m) + b.s * std::exp(b.m - m);
    a.m = m;
  }
  out_t finish(const acc_t& acc) const {
    if (acc.m == -kInf || acc.m == kInf || acc.m != acc.m) return store<T>(acc.m);
    return store<T>(acc.m + static_cast<float>(std::log(acc.s)));
  }
};

// x: contiguous [O, R, I]; y: contiguous [O, I]. Work is split over output columns when there are
// enough of them to feed every thread; otherwise (few long reductions, e.g. a full sum) the R axis is
// cut into chunks whose partial accumulators are merged in order, which keeps results deterministic.
template <class T, class Red> void reduce_loop(const TensorView& x, const TensorView& y, const Red& red) {
  using acc_t = typename Red::acc_t;
  using out_t = typename Red::out_t;
  const int64_t O = x.shape[0], R = x.shape[1], I = x.shape[2];
  const T* xp = x.ptr<T>();
  out_t* yp = y.ptr<out_t>();
  // Columns are handled in tiles of up to kTile: the inner loop over i is contiguous and vectorises,
  // each row segment read is long enough for the hardware prefetcher, and a tile's accumulators
  // (at most kTile * 16 bytes) stay in L1/L2.
  constexpr int64_t kTile = 4096;
  const int64_t tile = I == 1 ? 1 : kTile;
  const int64_t tiles_per_o = (I + tile - 1) / tile;
  const int64_t units = O * tiles_per_o;

  // Accumulates x[o, r0:r1, i0:i1] into acc[0 : i1-i0].
  auto reduce_block = [&](int64_t o, int64_t i0, int64_t i1, int64_t r0, int64_t r1, acc_t* acc) {
    if (I == 1) {
      red.row(acc[0], xp + o * R + r0, r1 - r0, r0);
      return;
    }
    for (int64_t r = r0; r < r1; ++r) {
      const T* row = xp + (o * R + r) * I;
      for (int64_t i = i0; i < i1; ++i) red.step(acc[i - i0], load(row[i]), r);
    }
  };

  const int64_t total = O * R * I;
  const int threads = num_threads();
  if (units >= threads || R < 2 || total < 2 * kElementwiseGrain) {
    const int64_t per_unit = R * std::min(I, tile);
    parallel_chunks(units, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, per_unit)),
                    [&](int64_t u0, int64_t u1) {
                      std::vector<acc_t> acc(static_cast<size_t>(tile));
                      for (int64_t u = u0; u < u1; ++u) {
                        const int64_t o = u / tiles_per_o, i0 = (u % tiles_per_o) * tile, i1 = std::min(I, i0 + tile);
                        for (int64_t i = i0; i < i1; ++i) acc[i - i0] = red.init();
                        reduce_block(o, i0, i1, 0, R, acc.data());
                        for (int64_t i = i0; i < i1; ++i) yp[o * I + i] = red.finish(acc[i - i0]);
                      }
                    });
    return;
  }
  const int64_t chunks = std::min<int64_t>({threads, R, total / kElementwiseGrain});
  const int64_t cols = O * I;
  std::vector<acc_t> partial(static_cast<size_t>(chunks * cols), red.init());
  parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t r0 = R * c / chunks, r1 = R * (c + 1) / chunks;
      for (int64_t u = 0; u < units; ++u) {
        const int64_t o = u / tiles_per_o, i0 = (u % tiles_per_o) * tile, i1 = std::min(I, i0 + tile);
        reduce_block(o, i0, i1, r0, r1, &partial[c * cols + o * I + i0]);
      }
    }
  });
  for (int64_t col = 0; col < cols; ++col) {
    acc_t acc = partial[col];
    for (int64_t c = 1; c < chunks; ++c) red.merge(acc, partial[c * cols + col]);
    yp[col] = red.finish(acc);
  }
}

// Arguments: slmkit/reduce.h.
template <template <class> class Red> void reduce_kernel(const OpArgs& a) {
  const ReduceArgs r = decode_reduce<Red<float>>(a);
  if (r.y.numel() == 0) return;
  auto run = [&](auto t) {
    using T = decltype(t);
    reduce_loop<T>(r.x, r.y, Red<T>{});
  };
  if constexpr (Red<float>::float_only) dispatch_float(r.x.dtype, run);
  else dispatch_float_i32(r.x.dtype, run);
}

}  // namespace

SLMKIT_REGISTER_KERNELS({
    {&kSum, reduce_kernel<sum_red>},
    {&kMax, reduce_kernel<max_red>},
    {&kMin, reduce_kernel<min_red>},
    {&kArgmax, reduce_kernel<argmax_red>},
    {&kArgmin, reduce_kernel<argmin_red>},
    {&kLogsumexp, reduce_kernel<logsumexp_red>},
});

}  // namespace slmkit
