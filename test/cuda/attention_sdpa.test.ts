// bf16 CUDA attention with the default kernels (on Hopper: the wgmma prefill forward and backward, the
// mma.sync split-KV decoding forward) against float64, within twice PyTorch SDPA's error
// (test/cuda/attention_sdpa_cases.ts). attention_sdpa_pre_hopper.test.ts runs the same cases on the
// mma.sync kernels of the GPUs before Hopper.
import { describe } from "vitest";
import * as S from "../../src/index.js";
import { referenceGradsSuite, sdpaErrorSuite } from "./attention_sdpa_cases.js";

const status = S.cuda.status();
if (!status.available) console.warn(`[test/cuda] CUDA is not available here, GPU tests skipped: ${status.reason}`);

referenceGradsSuite();

describe.skipIf(!status.available)("CUDA bf16 attention: at most twice PyTorch SDPA's error", () =>
  sdpaErrorSuite("default"),
);
