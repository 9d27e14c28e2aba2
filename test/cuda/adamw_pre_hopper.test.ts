// adamw_step on CUDA through the register kernel that GPUs before Hopper (A100, A10, L4) run, forced on a
// Hopper GPU by SLMKIT_CUDA_PRE_HOPPER=1. The addon reads the variable once per process, and vitest runs
// each test file in a process of its own: it is set here before the library is loaded.
import { describe, expect, it } from "vitest";

process.env.SLMKIT_CUDA_PRE_HOPPER = "1";
const S = await import("../../src/index.js");
const { gpuStatus } = await import("./gpu.js");
const { adamwStepSuite } = await import("./adamw_cases.js");

describe.skipIf(!gpuStatus.available)("CUDA adamw_step through the pre-Hopper kernel", () => {
  // The same once-per-process switch picks attention's kernels: "mma.sync" proves the addon saw the
  // variable, so the cases below cannot silently rerun the Hopper kernel.
  it("the switch took effect", () => expect(S.cuda.deviceProperties().attentionKernels).toBe("mma.sync"));
  adamwStepSuite();
});
