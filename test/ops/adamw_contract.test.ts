// adamw_step's and global_norm's native argument checks on the CPU (the same cases run on CUDA in
// test/cuda/adamw.test.ts, with the same messages).
import { describe } from "vitest";
import { adamwContractCases } from "./adamw_contract_cases.js";

describe("adamw_step and global_norm contract (CPU)", () => adamwContractCases("cpu"));
