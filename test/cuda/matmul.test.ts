// CUDA matmul through cuBLASLt (the fallback kernels when it is absent) against float64 and the CPU backend.
import { cuda } from "../../src/index.js";
import { describe } from "vitest";
import { matmulSuite } from "./matmul_cases.js";

const status = cuda.status();
if (!status.available) console.warn(`[test/cuda] CUDA is not available here, GPU tests skipped: ${status.reason}`);

describe.skipIf(!status.available)("matmul on CUDA", () => matmulSuite("cublasLt"));
