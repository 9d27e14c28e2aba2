// adamw_step's bf16 copy outputs on the CPU (the CUDA run of the same cases is in test/cuda/adamw.test.ts).
import { describe } from "vitest";
import { adamwCopyCases } from "./adamw_copy_cases.js";

describe("adamwStep bf16 copies (CPU)", () => adamwCopyCases("cpu"));
