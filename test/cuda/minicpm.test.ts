// MiniCPM on CUDA against the PyTorch golden fixture (test/models/golden_fixture.ts): in f32 with the f32
// tolerances of the CPU test, and in bf16 compute (the CUDA default) with the bf16 tolerances derived there.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { goldenSuite } from "../models/golden_fixture.js";
import { gpuStatus } from "./gpu.js";

describe.skipIf(!gpuStatus.available)("CUDA MiniCPM", () => {
  goldenSuite("cuda", "f32");
  goldenSuite("cuda", "bf16");

  it("computes in bf16 by default on cuda, f32 on cpu", () => {
    const config = {
      vocab_size: 32,
      hidden_size: 16,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 32,
    };
    const onGpu = new S.MiniCPM(config, { device: "cuda" });
    const onCpu = new S.MiniCPM(config);
    expect([onGpu.computeDType, onCpu.computeDType]).toEqual(["bf16", "f32"]);
    expect(S.shadowOf(onGpu.model.embedTokens.weight)?.dtype).toBe("bf16");
    onGpu.dispose();
    onCpu.dispose();
  });
});
