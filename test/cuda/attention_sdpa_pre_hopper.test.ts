// bf16 CUDA attention on the kernels of the GPUs before Hopper (the mma.sync prefill forward and backward),
// forced on a Hopper GPU by SLMKIT_CUDA_PRE_HOPPER=1 for this file's process (vitest runs each file in its
// own forked process, and the library reads the variable once, at its first kernel choice), against
// float64 within twice PyTorch SDPA's error (test/cuda/attention_sdpa_cases.ts).
import { describe } from "vitest";
import * as S from "../../src/index.js";
import { sdpaErrorSuite } from "./attention_sdpa_cases.js";

process.env.SLMKIT_CUDA_PRE_HOPPER = "1";

const status = S.cuda.status();
if (!status.available) console.warn(`[test/cuda] CUDA is not available here, GPU tests skipped: ${status.reason}`);

describe.skipIf(!status.available)("CUDA bf16 attention, pre-Hopper kernels: at most twice PyTorch SDPA's error", () =>
  sdpaErrorSuite("mma.sync"),
);
