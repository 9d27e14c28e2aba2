// Walking N-d strided views of one shape as 1-D runs, and splitting element ranges over threads.
#pragma once
#include <cstdint>

#include "parallel.h"
#include "slmkit/op_args.h"

namespace slmkit {

// Elements per thread below which splitting a memory-bound loop costs more than it saves.
constexpr int64_t kElementwiseGrain = 32768;

// parallel_for without its std::function and pool hand-off when the work fits one chunk: small
// tensors (the common case in a training step's bookkeeping) then cost only a direct call.
template <class F> inline void parallel_chunks(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  if (n < 2 * grain) {
    f(int64_t{0}, n);
    return;
  }
  parallel_for(n, grain, f);
}

// K views that share one shape, visited in row-major order. Size-1 dimensions are dropped and
// neighbouring dimensions merged wherever every view is contiguous across them, so a contiguous
// tensor (or a contiguous view broadcast along one dimension) becomes a single long run.
template <int K> class StridedWalk {
 public:
  StridedWalk(const int64_t* shape, int ndim, const int64_t* const (&strides)[K]) {
    numel_ = 1;
    for (int d = 0; d < ndim; ++d) numel_ *= shape[d];
    ndim_ = 0;
    for (int d = 0; d < ndim; ++d) {
      if (shape[d] == 1) continue;
      bool merge = ndim_ > 0;
      for (int k = 0; k < K && merge; ++k) merge = strides[k][d] * shape[d] == strides_[k][ndim_ - 1];
      if (merge) {
        shape_[ndim_ - 1] *= shape[d];
        for (int k = 0; k < K; ++k) strides_[k][ndim_ - 1] = strides[k][d];
      } else {
        shape_[ndim_] = shape[d];
        for (int k = 0; k < K; ++k) strides_[k][ndim_] = strides[k][d];
        ++ndim_;
      }
    }
    if (ndim_ == 0) {  // a single element (or a 0-d tensor)
      ndim_ = 1;
      shape_[0] = numel_;
      for (int k = 0; k < K; ++k) strides_[k][0] = 0;
    }
  }

  int64_t numel() const { return numel_; }
  // Element stride of view k along the innermost (merged) dimension: 1 for contiguous runs, 0 for broadcast.
  int64_t inner_stride(int k) const { return strides_[k][ndim_ - 1]; }

  // Calls run(offsets, n, pos) for each run of elements [pos, pos + n) within [begin, end) of the
  // row-major order; offsets[k] is the element offset of view k at pos, and consecutive elements of
  // the run are inner_stride(k) apart.
  template <class F> void for_each_run(int64_t begin, int64_t end, F&& run) const {
    if (begin >= end) return;
    int64_t idx[kMaxDims];
    int64_t off[K];
    for (int k = 0; k < K; ++k) off[k] = 0;
    int64_t rem = begin;
    for (int d = ndim_ - 1; d >= 0; --d) {
      idx[d] = rem % shape_[d];
      rem /= shape_[d];
      for (int k = 0; k < K; ++k) off[k] += idx[d] * strides_[k][d];
    }
    const int last = ndim_ - 1;
    int64_t pos = begin;
    while (pos < end) {
      int64_t n = shape_[last] - idx[last];
      if (n > end - pos) n = end - pos;
      run(static_cast<const int64_t*>(off), n, pos);
      pos += n;
      if (pos >= end) break;
      // Step to the start of the next run: carry through the outer dimensions.
      for (int k = 0; k < K; ++k) off[k] -= idx[last] * strides_[k][last];
      idx[last] = 0;
      for (int d = last - 1; d >= 0; --d) {
        for (int k = 0; k < K; ++k) off[k] += strides_[k][d];
        if (++idx[d] < shape_[d]) break;
        for (int k = 0; k < K; ++k) off[k] -= shape_[d] * strides_[k][d];
        idx[d] = 0;
      }
    }
  }

 private:
  int ndim_;
  int64_t numel_;
  int64_t shape_[kMaxDims];
  int64_t strides_[K][kMaxDims];
};

}  // namespace slmkit
