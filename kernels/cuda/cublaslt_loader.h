// cuBLASLt opened at run time (dlopen): the function table a GEMM needs, and where it was found or why not.
#pragma once
#include <cuda_runtime.h>
#include <library_types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace slmkit {

// The cuBLASLt types we use, declared here because the build machine need not have cublasLt.h. Handles
// and descriptors are opaque pointers; the algorithm and heuristic result are plain structs whose layout
// is part of cuBLASLt's stable ABI (12.x and 13.x alike).
namespace cublaslt {
using Status = int;       // cublasStatus_t; 0 = CUBLAS_STATUS_SUCCESS
using ComputeType = int;  // cublasComputeType_t, e.g. CUBLAS_COMPUTE_32F = 68
using Handle = struct Context*;
using MatmulDesc = struct MatmulDescOpaque*;
using MatrixLayout = struct MatrixLayoutOpaque*;
using MatmulPreference = struct MatmulPreferenceOpaque*;
struct MatmulAlgo { uint64_t data[8]; };
struct HeuristicResult {
  MatmulAlgo algo;
  size_t workspace_size;
  Status state;
  float waves_count;
  int reserved[4];
};
constexpr Status kSuccess = 0;
}  // namespace cublaslt

struct CublasLt {
  bool loaded = false;
  std::string path;      // the file that was loaded
  std::string found_by;  // how: SLMKIT_CUBLASLT_PATH, the loader's search path, or which install's folder
  std::string reason;    // why it was not, when !loaded
  size_t version = 0;    // cublasLtGetVersion(), e.g. 130100

  cublaslt::Status (*create)(cublaslt::Handle*) = nullptr;
  cublaslt::Status (*destroy)(cublaslt::Handle) = nullptr;
  cublaslt::Status (*matmul)(cublaslt::Handle, cublaslt::MatmulDesc, const void* alpha, const void* a,
                             cublaslt::MatrixLayout a_desc, const void* b, cublaslt::MatrixLayout b_desc,
                             const void* beta, const void* c, cublaslt::MatrixLayout c_desc, void* d,
                             cublaslt::MatrixLayout d_desc, const cublaslt::MatmulAlgo* algo, void* workspace,
                             size_t workspace_bytes, cudaStream_t stream) = nullptr;
  cublaslt::Status (*matmul_desc_create)(cublaslt::MatmulDesc*, cublaslt::ComputeType,
                                         cudaDataType_t scale_type) = nullptr;
  cublaslt::Status (*matmul_desc_set_attribute)(cublaslt::MatmulDesc, int attr, const void* buf,
                                                size_t bytes) = nullptr;
  cublaslt::Status (*matmul_desc_destroy)(cublaslt::MatmulDesc) = nullptr;
  cublaslt::Status (*matrix_layout_create)(cublaslt::MatrixLayout*, cudaDataType_t, uint64_t rows, uint64_t cols,
                                           int64_t ld) = nullptr;
  // Batched GEMMs set the batch count and stride on each layout.
  cublaslt::Status (*matrix_layout_set_attribute)(cublaslt::MatrixLayout, int attr, const void* buf,
                                                  size_t bytes) = nullptr;
  cublaslt::Status (*matrix_layout_destroy)(cublaslt::MatrixLayout) = nullptr;
  cublaslt::Status (*preference_create)(cublaslt::MatmulPreference*) = nullptr;
  cublaslt::Status (*preference_set_attribute)(cublaslt::MatmulPreference, int attr, const void* buf,
                                               size_t bytes) = nullptr;
  cublaslt::Status (*preference_destroy)(cublaslt::MatmulPreference) = nullptr;
  cublaslt::Status (*algo_get_heuristic)(cublaslt::Handle, cublaslt::MatmulDesc, cublaslt::MatrixLayout a,
                                         cublaslt::MatrixLayout b, cublaslt::MatrixLayout c, cublaslt::MatrixLayout d,
                                         cublaslt::MatmulPreference, int requested, cublaslt::HeuristicResult* results,
                                         int* returned) = nullptr;
};

// Loads cuBLASLt on first call (thread-safe) and returns the same table afterwards; never throws.
// SLMKIT_DISABLE_CUBLASLT=1 (read once, at that first call) skips loading, so the fallback GEMM runs.
// Search order: $SLMKIT_CUBLASLT_PATH alone when set; else the sonames libcublasLt.so.13, .so.12, .so
// (dlopen honours LD_LIBRARY_PATH, the ld.so cache and the addon's RUNPATH); then lib64 and
// targets/<arch>-linux/lib of $CUDA_HOME, $CUDA_PATH, /usr/local/cuda and every /usr/local/cuda-* (newest
// first); then conda's lib and pip's nvidia wheels (nvidia/cu13/lib, nvidia/cublas/lib) under
// $VIRTUAL_ENV, $CONDA_PREFIX, ~/.local/lib/python3.*, /usr/local/lib/python3.* and /usr/lib/python3.
const CublasLt& cublaslt_library();

}  // namespace slmkit
