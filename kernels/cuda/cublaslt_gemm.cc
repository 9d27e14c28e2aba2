// Row-major batched GEMM through cuBLASLt, with one cached plan (descriptors + algorithm) per shape.
#include "cublaslt_gemm.h"

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "cublaslt_loader.h"

namespace slmkit {
namespace {

// cuBLASLt enum values (cublasLt.h is not needed to build; these are part of its stable ABI).
constexpr cublaslt::ComputeType kCompute32F = 68;  // CUBLAS_COMPUTE_32F: plain f32 FMA, never TF32
constexpr int kDescTransA = 3;                     // CUBLASLT_MATMUL_DESC_TRANSA (int32 cublasOperation_t)
constexpr int kDescTransB = 4;                     // CUBLASLT_MATMUL_DESC_TRANSB
constexpr int kLayoutBatchCount = 5;               // CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT (int32)
constexpr int kLayoutBatchStride = 6;              // CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET (int64)
constexpr int kPrefMaxWorkspace = 1;               // CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES (uint64)
constexpr int kPrefMinAlignmentA = 5;              // ..._MIN_ALIGNMENT_{A,B,C,D}_BYTES = 5..8 (uint32)
constexpr int32_t kOpN = 0, kOpT = 1;              // CUBLAS_OP_N, CUBLAS_OP_T
constexpr uint64_t kMaxWorkspace = uint64_t(32) << 20;

// How one operand is handed to cuBLASLt: a column-major matrix of rows x cols with leading dimension ld,
// used as is (op N) or transposed (op T).
struct LtOperand {
  int32_t op;
  int64_t rows, cols, ld, batch_stride;
};

// The logical R x C matrix Z(r, c) = data[r*sr + c*sc] as a cuBLASLt operand, if one of its dimensions
// is unit-stride (a size-1 dimension counts as either); otherwise nullopt.
std::optional<LtOperand> as_operand(int64_t R, int64_t C, int64_t sr, int64_t sc, int64_t batch_stride) {
  if (R == 1 && C == 1) return LtOperand{kOpN, 1, 1, 1, batch_stride};
  if ((sr == 1 || R == 1) && (C == 1 || sc >= R)) return LtOperand{kOpN, R, C, C == 1 ? R : sc, batch_stride};
  if ((sc == 1 || C == 1) && (R == 1 || sr >= C)) return LtOperand{kOpT, C, R, R == 1 ? C : sr, batch_stride};
  return std::nullopt;
}

// Alignment (bytes, up to 256) of every matrix start an operand has: the base pointer, the ld and the
// batch stride all shift it. cuBLASLt assumes 256 unless told, and picks vectorised kernels from it.
uint32_t alignment(const void* p, int64_t ld, int64_t batch_stride, int64_t elem) {
  uint64_t bits = reinterpret_cast<uint64_t>(p) | uint64_t(ld * elem) | uint64_t(batch_stride * elem) | 256;
  return static_cast<uint32_t>(bits & (~bits + 1));  // lowest set bit
}

struct Plan {
  bool ok = false;  // false: no algorithm for this shape; remembered so the heuristic is not asked again
  cublaslt::MatmulDesc desc = nullptr;
  cublaslt::MatrixLayout a = nullptr, b = nullptr, d = nullptr;
  cublaslt::MatmulAlgo algo{};
  size_t workspace = 0;
};

using PlanKey = std::array<int64_t, 16>;

struct LtState {
  std::mutex mu;
  cublaslt::Handle handle = nullptr;
  std::string handle_error;
  std::map<PlanKey, Plan> plans;  // grows with the distinct shapes a program multiplies (a few dozen)
};

LtState& state() {
  static LtState* s = new LtState;  // never destroyed: plans may be used until the process exits
  return *s;
}

void check_lt(cublaslt::Status st, const char* what) {
  if (st != cublaslt::kSuccess)
    throw KernelError(std::string("matmul: cuBLASLt ") + what + " failed with status " + std::to_string(st));
}

cublaslt::MatrixLayout make_layout(const CublasLt& lt, cudaDataType_t type, const LtOperand& o, int64_t batch) {
  cublaslt::MatrixLayout l = nullptr;
  check_lt(lt.matrix_layout_create(&l, type, o.rows, o.cols, o.ld), "cublasLtMatrixLayoutCreate");
  if (batch > 1) {
    int32_t count = static_cast<int32_t>(batch);
    check_lt(lt.matrix_layout_set_attribute(l, kLayoutBatchCount, &count, sizeof(count)), "batch count");
    check_lt(lt.matrix_layout_set_attribute(l, kLayoutBatchStride, &o.batch_stride, sizeof(o.batch_stride)),
             "batch stride");
  }
  return l;
}

// Builds the descriptors and asks the heuristic once. cuBLASLt is column-major, so y^T = b^T a^T: its
// "A" is our b (N x K), its "B" is our a (K x M) and its D is y^T (N x M, ld N).
Plan make_plan(const CublasLt& lt, cublaslt::Handle handle, cudaDataType_t type, const LtOperand& ao,
               const LtOperand& bo, const LtOperand& dout, int64_t batch, const uint32_t align[3]) {
  Plan p;
  check_lt(lt.matmul_desc_create(&p.desc, kCompute32F, CUDA_R_32F), "cublasLtMatmulDescCreate");
  check_lt(lt.matmul_desc_set_attribute(p.desc, kDescTransA, &bo.op, sizeof(bo.op)), "transa");
  check_lt(lt.matmul_desc_set_attribute(p.desc, kDescTransB, &ao.op, sizeof(ao.op)), "transb");
  p.a = make_layout(lt, type, bo, batch);
  p.b = make_layout(lt, type, ao, batch);
  p.d = make_layout(lt, type, dout, batch);
  cublaslt::MatmulPreference pref = nullptr;
  check_lt(lt.preference_create(&pref), "cublasLtMatmulPreferenceCreate");
  check_lt(lt.preference_set_attribute(pref, kPrefMaxWorkspace, &kMaxWorkspace, sizeof(kMaxWorkspace)), "workspace");
  const uint32_t lt_align[4] = {align[1], align[0], align[2], align[2]};  // cuBLASLt A = b, B = a, C = D = y
  for (int i = 0; i < 4; ++i)
    check_lt(lt.preference_set_attribute(pref, kPrefMinAlignmentA + i, &lt_align[i], sizeof(uint32_t)), "alignment");
  cublaslt::HeuristicResult result{};
  int found = 0;
  cublaslt::Status st = lt.algo_get_heuristic(handle, p.desc, p.a, p.b, p.d, p.d, pref, 1, &result, &found);
  lt.preference_destroy(pref);
  // "Not supported" (no kernel for these strides or this alignment) is an answer, not an error.
  if (st == cublaslt::kSuccess && found > 0 && result.state == cublaslt::kSuccess) {
    p.ok = true;
    p.algo = result.algo;
    p.workspace = result.workspace_size;
  }
  return p;
}

}  // namespace

bool cublaslt_matmul(const MatmulArgs& m, cudaStream_t stream) {
  const CublasLt& lt = cublaslt_library();
  if (!lt.loaded) return false;
  const TensorView &a = m.a, &b = m.b, &y = m.y;
  const int64_t batch = m.batch, M = m.m, N = m.n, K = m.k;
  if (batch > INT32_MAX) return false;
  // cuBLASLt's A is b^T (N x K: element (n, k) at n*sn + k*sk); its B is a^T (K x M).
  std::optional<LtOperand> bo = as_operand(N, K, b.strides[2], b.strides[1], b.strides[0]);
  std::optional<LtOperand> ao = as_operand(K, M, a.strides[2], a.strides[1], a.strides[0]);
  if (!bo || !ao) return false;
  const LtOperand dout{kOpN, N, M, N, M * N};
  const int64_t elem = dtype_size(y.dtype);
  const uint32_t align[3] = {alignment(a.data, ao->ld, ao->batch_stride, elem),
                             alignment(b.data, bo->ld, bo->batch_stride, elem), alignment(y.data, N, M * N, elem)};
  const PlanKey key{static_cast<int64_t>(y.dtype),
                    batch,
                    M,
                    N,
                    K,
                    ao->op,
                    ao->ld,
                    ao->batch_stride,
                    bo->op,
                    bo->ld,
                    bo->batch_stride,
                    align[0],
                    align[1],
                    align[2],
                    ao->rows,
                    bo->rows};
  const cudaDataType_t type = y.dtype == DType::bf16 ? CUDA_R_16BF : CUDA_R_32F;

  LtState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.handle) {
    if (!s.handle_error.empty()) return false;
    cublaslt::Status st = lt.create(&s.handle);
    if (st != cublaslt::kSuccess) {
      s.handle_error = "cublasLtCreate failed with status " + std::to_string(st);
      s.handle = nullptr;
      return false;
    }
  }
  auto it = s.plans.find(key);
  if (it == s.plans.end()) it = s.plans.emplace(key, make_plan(lt, s.handle, type, *ao, *bo, dout, batch, align)).first;
  const Plan& p = it->second;
  if (!p.ok) return false;

  void* workspace = nullptr;
  if (p.workspace > 0) {
    // From the stream-ordered pool: freed right after the GEMM is queued, reused by the next one.
    cudaError_t err = cudaMallocAsync(&workspace, p.workspace, stream);
    if (err != cudaSuccess) {
      cudaGetLastError();
      throw KernelError(std::string("matmul: allocating the cuBLASLt workspace failed: ") + cudaGetErrorString(err));
    }
  }
  const float one = 1.0f, zero = 0.0f;
  cublaslt::Status st = lt.matmul(s.handle, p.desc, &one, b.data, p.a, a.data, p.b, &zero, y.data, p.d, y.data, p.d,
                                  &p.algo, workspace, p.workspace, stream);
  if (workspace) cudaFreeAsync(workspace, stream);
  check_lt(st, "cublasLtMatmul");
  return true;
}

}  // namespace slmkit
