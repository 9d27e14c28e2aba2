// The cuBLASLt path of `matmul`: row-major batched GEMMs mapped onto cuBLASLt's column-major ones.
#pragma once
#include <cuda_runtime.h>

#include "slmkit/matmul.h"

namespace slmkit {

// m.y = m.a @ m.b (arguments as decode_matmul returns them, with K > 0), in a's dtype with f32 accumulation
// (CUBLAS_COMPUTE_32F: no TF32). Returns false, having queued nothing, when cuBLASLt is not loaded or cannot
// take these strides (neither dimension of an operand unit-stride, or no algorithm for its alignment); the
// caller then runs the hand-written GEMM. Throws KernelError when cuBLASLt fails on a GEMM it accepted.
bool cublaslt_matmul(const MatmulArgs& m, cudaStream_t stream);

}  // namespace slmkit
