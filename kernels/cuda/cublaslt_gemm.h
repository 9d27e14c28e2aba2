// The cuBLASLt path of `matmul`: row-major batched GEMMs mapped onto cuBLASLt's column-major ones.
#pragma once
#include <cuda_runtime.h>

#include "slmkit/op_args.h"

namespace slmkit {

// y[Bt, M, N] (contiguous) = a[Bt, M, K] @ b[Bt, K, N] (strided, batch strides may be 0), in a's dtype
// with f32 accumulation (CUBLAS_COMPUTE_32F: no TF32). Returns false, having queued nothing, when
// cuBLASLt is not loaded or cannot take these strides (neither dimension of an operand unit-stride, or
// no algorithm for its alignment); the caller then runs the hand-written GEMM. Throws KernelError when
// cuBLASLt fails on a GEMM it accepted.
bool cublaslt_matmul(const TensorView& a, const TensorView& b, const TensorView& y, cudaStream_t stream);

}  // namespace slmkit
