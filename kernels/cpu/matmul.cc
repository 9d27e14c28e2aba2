// matmul on the CPU (arguments: slmkit/matmul.h): ISA dispatch and a packed, blocked, multi-threaded GEMM
// driver.
//
// Loop nest (GotoBLAS/BLIS): for each NC-wide column panel of B and each KC-deep slice of K, B's slice is
// packed once into NR-wide micro-panels shared by all threads; then threads take (MC-row block,
// N chunk) work items, pack their A block into MR-tall micro-panels, and run the ISA's block
// micro-kernel over it. Packing converts bf16 to f32 and absorbs any strides, so the micro-kernels only
// ever see aligned, contiguous, zero-padded f32 panels. Products with M <= 4 skip packing and stream B.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#include "cpu_features.h"
#include "dtype_dispatch.h"
#include "matmul.h"
#include "parallel.h"
#include "slmkit/matmul.h"

namespace slmkit {
namespace {

// A strided matrix: element (i, j) is at p[i * rs + j * cs].
template <typename T>
struct StridedMatrix {
  const T* p;
  int64_t rs, cs;
  const T* at(int64_t i, int64_t j) const { return p + i * rs + j * cs; }
};

// ---- portable micro-kernel (plain C++; the compiler vectorises the NR loop with SSE2) ----

constexpr int kBaselineMr = 4;
constexpr int kBaselineNr = 8;

// pa: [ceil(mc/4)][kc][4], pb: [ceil(nc/8)][kc][8], c: [mc, nc] with row stride ldc.
void matmul_block_baseline(int64_t mc, int64_t nc, int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc,
                           bool accumulate) {
  for (int64_t j = 0; j < nc; j += kBaselineNr) {
    const int n = static_cast<int>(std::min<int64_t>(kBaselineNr, nc - j));
    const float* bp = pb + j * kc;
    for (int64_t i = 0; i < mc; i += kBaselineMr) {
      const int m = static_cast<int>(std::min<int64_t>(kBaselineMr, mc - i));
      const float* a = pa + i * kc;
      const float* b = bp;
      float acc[kBaselineMr][kBaselineNr] = {};
      for (int64_t k = 0; k < kc; ++k, a += kBaselineMr, b += kBaselineNr)
        for (int r = 0; r < kBaselineMr; ++r)
          for (int q = 0; q < kBaselineNr; ++q) acc[r][q] += a[r] * b[q];
      for (int r = 0; r < m; ++r) {
        float* row = c + (i + r) * ldc + j;
        for (int q = 0; q < n; ++q) row[q] = accumulate ? row[q] + acc[r][q] : acc[r][q];
      }
    }
  }
}

// ---- per-ISA tile shapes and cache blocking ----
// KC x NR of B (the L1-resident micro-panel) and MC x KC of A (the L2-resident block) are sized for
// Zen 4 (32 KiB L1d, 1 MiB L2 per core); the KC x NC B panel lives in the shared L3.

struct Avx512Gemm {
  static constexpr int mr = kMatmulAvx512Mr, nr = kMatmulAvx512Nr;
  static constexpr int64_t kc = 256, mc = 24 * mr, nc = 4096;
  static constexpr MatmulBlockFn block = matmul_block_avx512;
};

struct Avx2Gemm {
  static constexpr int mr = kMatmulAvx2Mr, nr = kMatmulAvx2Nr;
  static constexpr int64_t kc = 256, mc = 48 * mr, nc = 4096;
  static constexpr MatmulBlockFn block = matmul_block_avx2;
};

struct BaselineGemm {
  static constexpr int mr = kBaselineMr, nr = kBaselineNr;
  static constexpr int64_t kc = 256, mc = 64 * mr, nc = 4096;
  static constexpr MatmulBlockFn block = matmul_block_baseline;
};

// ---- packing ----

// a: the A block starting at (i0, p0), mc x kc -> dst [ceil(mc/MR)][kc][MR], rows past mc zeroed.
template <int MR, typename T>
void pack_a(StridedMatrix<T> a, int64_t mc, int64_t kc, float* dst) {
  for (int64_t i = 0; i < mc; i += MR, dst += kc * MR) {
    const int m = static_cast<int>(std::min<int64_t>(MR, mc - i));
    if (m == MR && a.rs == 1) {
      // Column-major A (e.g. a transposed view): MR consecutive elements per k.
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = a.at(i, k);
        for (int r = 0; r < MR; ++r) dst[k * MR + r] = load(src[r]);
      }
      continue;
    }
    // Row by row, so a row-major A is read sequentially; the scattered writes stay in L1.
    for (int r = 0; r < m; ++r) {
      const T* src = a.at(i + r, 0);
      if (a.cs == 1) {
        // Each row contributes only kc elements before we jump to the next row, too short a run for
        // the hardware prefetcher, so A streamed from DRAM would stall on every row: fetch the same
        // row of the next panel while this one is packed.
        if (i + MR + r < mc) {
          const T* next = a.at(i + MR + r, 0);
          for (int64_t k = 0; k < kc; k += 64 / sizeof(T)) __builtin_prefetch(next + k);
        }
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = load(src[k]);
      } else {
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = load(src[k * a.cs]);
      }
    }
    for (int r = m; r < MR; ++r)
      for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = 0.0f;
  }
}

// b: the B block starting at (p0, j0), kc x nc -> dst [ceil(nc/NR)][kc][NR], columns past nc zeroed.
template <int NR, typename T>
void pack_b(StridedMatrix<T> b, int64_t kc, int64_t nc, float* dst) {
  for (int64_t j = 0; j < nc; j += NR, dst += kc * NR) {
    const int n = static_cast<int>(std::min<int64_t>(NR, nc - j));
    if (n == NR && b.cs == 1) {
      // Row-major B: each k is a contiguous run of NR elements (a vectorisable copy).
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = b.at(k, j);
        for (int q = 0; q < NR; ++q) dst[k * NR + q] = load(src[q]);
      }
      continue;
    }
    // Column by column, so a column-major B (e.g. a transposed weight) is read sequentially.
    for (int q = 0; q < n; ++q) {
      const T* src = b.at(0, j + q);
      for (int64_t k = 0; k < kc; ++k) dst[k * NR + q] = load(src[k * b.rs]);
    }
    for (int q = n; q < NR; ++q)
      for (int64_t k = 0; k < kc; ++k) dst[k * NR + q] = 0.0f;
  }
}

// A grow-only, 64-byte aligned scratch buffer, one per thread and role, so steady-state calls never
// allocate. Packing buffers are bounded by the blocking constants (at most KC x NC floats, 4 MiB); the
// few-row accumulators hold at most kSmallM x N floats.
class ScratchBuffer {
 public:
  ~ScratchBuffer() { std::free(data_); }
  float* get(int64_t floats) {
    const size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
    if (bytes > capacity_) {
      std::free(data_);
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      capacity_ = data_ ? bytes : 0;
      if (!data_) throw std::bad_alloc();
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

thread_local ScratchBuffer packed_a_buffer;
thread_local ScratchBuffer packed_b_buffer;
thread_local ScratchBuffer small_m_acc_buffer;

inline int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }

// How one NC panel is cut into work items: nm row blocks of mc rows times nn column chunks of ncc
// columns. Counted in micro-panels so that blocks cost the same even when M is not a multiple of MR.
struct WorkSplit { int64_t mc, nm, ncc, nn; };

WorkSplit split_work(int64_t m, int64_t nc, int mr, int nr, int64_t mc_max, int threads) {
  const int64_t pm = ceil_div(m, mr), pn = ceil_div(nc, nr);
  int64_t nm = ceil_div(pm, mc_max / mr);
  int64_t nn = 1;
  if (threads > 1) {
    // Threads pull items dynamically (the machine may be shared), so aim for a few items per thread;
    // more, smaller row blocks cost nothing extra in packing, only B re-reads from L2/L3.
    nm = std::min(pm, std::max(nm, int64_t{4} * threads));
    if (nm < threads) nn = std::min(pn, ceil_div(threads, nm));
  }
  const int64_t panels_per_block = ceil_div(pm, nm), panels_per_chunk = ceil_div(pn, nn);
  return {panels_per_block * mr, ceil_div(pm, panels_per_block), panels_per_chunk * nr, ceil_div(pn, panels_per_chunk)};
}

// One GEMM: c [m, n] f32 row-major (ldc = n) = a [m, k] * b [k, n], k > 0. When y16 is set, c is f32
// scratch and every finished block is also rounded into y16 [m, n] bf16.
template <class G, typename T>
void gemm_packed(StridedMatrix<T> a, StridedMatrix<T> b, int64_t m, int64_t n, int64_t k, float* c, bf16* y16,
                 int threads) {
  const int64_t nc_max = std::min<int64_t>(G::nc, n);
  float* pb = packed_b_buffer.get(G::kc * ceil_div(nc_max, G::nr) * G::nr);
  for (int64_t jc = 0; jc < n; jc += G::nc) {
    const int64_t nc = std::min<int64_t>(G::nc, n - jc);
    const WorkSplit ws = split_work(m, nc, G::mr, G::nr, G::mc, threads);
    const int64_t items = ws.nm * ws.nn;
    for (int64_t pc = 0; pc < k; pc += G::kc) {
      const int64_t kc = std::min<int64_t>(G::kc, k - pc);
      const bool first = pc == 0, last = pc + kc == k;

      const int64_t b_panels = ceil_div(nc, G::nr);
      const int64_t pack_grain = threads > 1 ? std::max<int64_t>(1, 32768 / (kc * G::nr)) : b_panels;
      parallel_for(b_panels, pack_grain, [&](int64_t p0, int64_t p1) {
        const int64_t j0 = p0 * G::nr, j1 = std::min(nc, p1 * G::nr);
        pack_b<G::nr>(StridedMatrix<T>{b.at(pc, jc + j0), b.rs, b.cs}, kc, j1 - j0, pb + j0 * kc);
      });

      std::atomic<int64_t> next_item{0};
      parallel_for(threads > 1 ? std::min<int64_t>(threads, items) : 1, 1, [&](int64_t, int64_t) {
        float* pa = packed_a_buffer.get(ws.mc * kc);
        for (int64_t item; (item = next_item.fetch_add(1)) < items;) {
          const int64_t i0 = (item / ws.nn) * ws.mc, j0 = (item % ws.nn) * ws.ncc;
          if (i0 >= m || j0 >= nc) continue;
          const int64_t mc = std::min(ws.mc, m - i0), ncc = std::min(ws.ncc, nc - j0);
          pack_a<G::mr>(StridedMatrix<T>{a.at(i0, pc), a.rs, a.cs}, mc, kc, pa);
          float* cb = c + i0 * n + jc + j0;
          G::block(mc, ncc, kc, pa, pb + j0 * kc, cb, n, !first);
          if (last && y16) {
            for (int64_t i = 0; i < mc; ++i)
              for (int64_t j = 0; j < ncc; ++j) y16[(i0 + i) * n + jc + j0 + j] = store<bf16>(cb[i * n + j]);
          }
        }
      });
    }
  }
}

// Below this many FMAs per GEMM, waking the pool costs more than it saves.
constexpr int64_t kThreadedMinWork = int64_t{1} << 18;

// Few rows (decode-time y = x W): packing B would cost more than the product itself, since each element
// of B is used only m times, and most of every MR-row register tile would be padding. Stream B instead.
constexpr int64_t kSmallM = 4;

// y [m, n] contiguous = a [m, k] * b [k, n], m <= kSmallM, f32 accumulation.
template <typename T>
void gemm_small_m(StridedMatrix<T> a, StridedMatrix<T> b, int64_t m, int64_t n, int64_t k, T* y, int threads) {
  const int64_t grain = threads > 1 ? std::max<int64_t>(64, kThreadedMinWork / (m * k)) : n;
  parallel_for(n, grain, [&](int64_t j0, int64_t j1) {
    if (b.cs == 1) {
      // Row-major B: add a[i, p] * (row p of B) into f32 accumulators [m, j1 - j0], so each row of B
      // is read once, as one long sequential run, for all m rows, and the inner loop vectorises.
      const int64_t nb = j1 - j0;
      float* acc = small_m_acc_buffer.get(m * nb);
      std::fill(acc, acc + m * nb, 0.0f);
      // Four rows of B per sweep over the accumulators: a one-row sweep is bound by the accumulator
      // stores (and their 4 KiB aliasing with the B loads), not by reading B.
      int64_t p = 0;
      for (; p + 4 <= k; p += 4) {
        const T *b0 = b.at(p, j0), *b1 = b.at(p + 1, j0), *b2 = b.at(p + 2, j0), *b3 = b.at(p + 3, j0);
        for (int64_t i = 0; i < m; ++i) {
          const float a0 = load(*a.at(i, p)), a1 = load(*a.at(i, p + 1));
          const float a2 = load(*a.at(i, p + 2)), a3 = load(*a.at(i, p + 3));
          float* acc_row = acc + i * nb;
          for (int64_t j = 0; j < nb; ++j)
            acc_row[j] += a0 * load(b0[j]) + a1 * load(b1[j]) + a2 * load(b2[j]) + a3 * load(b3[j]);
        }
      }
      for (; p < k; ++p) {
        const T* brow = b.at(p, j0);
        for (int64_t i = 0; i < m; ++i) {
          const float av = load(*a.at(i, p));
          float* acc_row = acc + i * nb;
          for (int64_t j = 0; j < nb; ++j) acc_row[j] += av * load(brow[j]);
        }
      }
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < nb; ++j) y[i * n + j0 + j] = store<T>(acc[i * nb + j]);
      return;
    }
    // Otherwise one dot product per output; 16 partial sums let the compiler vectorise the contiguous
    // (column-major B, row-major A) case without reassociating a single sum, and hide the add latency.
    for (int64_t j = j0; j < j1; ++j)
      for (int64_t i = 0; i < m; ++i) {
        float part[16] = {};
        int64_t p = 0;
        if (a.cs == 1 && b.rs == 1) {
          const T* ar = a.at(i, 0);
          const T* bc = b.at(0, j);
          for (; p + 16 <= k; p += 16)
            for (int q = 0; q < 16; ++q) part[q] += load(ar[p + q]) * load(bc[p + q]);
        }
        for (; p < k; ++p) part[0] += load(*a.at(i, p)) * load(*b.at(p, j));
        float sum = 0.0f;
        for (float v : part) sum += v;
        y[i * n + j] = store<T>(sum);
      }
  });
}

// One batch entry. Apart from few-row products, even tiny ones take the packed path: measured, it is as
// fast as a plain triple loop down to 8x8x8 (the N-API call dominates there). bf16 output goes through
// f32 scratch because partial sums over K slices must stay in f32.
template <class G, typename T>
void gemm_one(StridedMatrix<T> a, StridedMatrix<T> b, int64_t m, int64_t n, int64_t k, T* y, int threads) {
  if (m <= kSmallM) {
    gemm_small_m(a, b, m, n, k, y, threads);
  } else if constexpr (std::is_same<T, float>::value) {
    gemm_packed<G>(a, b, m, n, k, y, nullptr, threads);
  } else {
    std::unique_ptr<float[]> scratch(new float[static_cast<size_t>(m * n)]);
    gemm_packed<G>(a, b, m, n, k, scratch.get(), y, threads);
  }
}

// a [bt, m, k], b [bt, k, n] (any strides) -> y [bt, m, n] contiguous.
template <class G, typename T>
void matmul_typed(const MatmulArgs& g) {
  const TensorView &av = g.a, &bv = g.b;
  const int64_t bt = g.batch, m = g.m, k = g.k, n = g.n;
  T* y = g.y.ptr<T>();
  if (bt == 0 || m == 0 || n == 0) return;
  if (k == 0) {
    std::memset(static_cast<void*>(y), 0, static_cast<size_t>(bt * m * n) * sizeof(T));
    return;
  }
  const T* a = av.ptr<const T>();
  const T* b = bv.ptr<const T>();
  auto entry = [&](int64_t i, int threads) {
    gemm_one<G>(StridedMatrix<T>{a + i * av.strides[0], av.strides[1], av.strides[2]},
                StridedMatrix<T>{b + i * bv.strides[0], bv.strides[1], bv.strides[2]}, m, n, k, y + i * m * n, threads);
  };
  const int64_t work = m * n * k;
  if (work >= kThreadedMinWork || bt == 1) {
    // Each product is big enough to split across threads by itself.
    const int threads = work >= kThreadedMinWork ? num_threads() : 1;
    for (int64_t i = 0; i < bt; ++i) entry(i, threads);
  } else {
    // Many small products: one thread per group of batch entries.
    parallel_for(bt, ceil_div(kThreadedMinWork, work), [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) entry(i, 1);
    });
  }
}

// Arguments: slmkit/matmul.h.
void matmul(const OpArgs& args) {
  const MatmulArgs m = decode_matmul(args);
  dispatch_float(m.a.dtype, [&](auto t) {
    using T = decltype(t);
    switch (active_isa()) {
      case Isa::avx512: return matmul_typed<Avx512Gemm, T>(m);
      case Isa::avx2: return matmul_typed<Avx2Gemm, T>(m);
      default: return matmul_typed<BaselineGemm, T>(m);
    }
  });
}

}  // namespace

SLMKIT_REGISTER_KERNELS({{&kMatmul, matmul}});

}  // namespace slmkit
