// CUDA matmul through the hand-written kernels: cuBLASLt is disabled for this test file's process (vitest
// runs each file in its own forked process, and the library is looked up at the first GEMM).
import { cuda } from "../../src/index.js";
import { describe } from "vitest";
import { matmulSuite } from "./matmul_cases.js";

process.env.SLMKIT_DISABLE_CUBLASLT = "1";

const status = cuda.status();
if (!status.available) console.warn(`[test/cuda] CUDA is not available here, GPU tests skipped: ${status.reason}`);

describe.skipIf(!status.available)("matmul on CUDA without cuBLASLt", () => matmulSuite("fallback"));
