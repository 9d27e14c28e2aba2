// adamw_step and global_norm on CUDA through the kernels this GPU runs (the bulk-copy AdamW on Hopper, the
// register AdamW elsewhere); the cases are in adamw_cases.ts, and adamw_pre_hopper.test.ts runs the step's
// cases again through the kernel of the GPUs before Hopper. The native argument checks run with the CPU's
// cases and messages (test/ops/adamw_contract_cases.ts).
import { describe } from "vitest";
import { adamwContractCases } from "../ops/adamw_contract_cases.js";
import { adamwStepSuite, globalNormSuite } from "./adamw_cases.js";
import { gpuStatus } from "./gpu.js";

describe.skipIf(!gpuStatus.available)("CUDA adamw_step", () => adamwStepSuite());
describe.skipIf(!gpuStatus.available)("CUDA global_norm", () => globalNormSuite());
describe.skipIf(!gpuStatus.available)("CUDA adamw_step and global_norm contract", () => adamwContractCases("cuda"));
