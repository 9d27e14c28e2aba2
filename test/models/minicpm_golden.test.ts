// A 2-layer MiniCPM against the PyTorch fixture on the CPU, in f32 and in bf16 compute (the same suite
// runs on CUDA in test/cuda/minicpm.test.ts).
import { goldenSuite } from "./golden_fixture.js";

goldenSuite("cpu", "f32");
goldenSuite("cpu", "bf16");
