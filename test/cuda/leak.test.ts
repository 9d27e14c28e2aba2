// 1,000 MiniCPM training steps on CUDA (bf16 compute, the default there): after warm-up, memory() (live
// tensors and bytes per device) is the same after every step.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { trainLosses } from "../train/convergence.js";
import { gpuStatus } from "./gpu.js";

describe.skipIf(!gpuStatus.available)("CUDA training leaks nothing", () => {
  it("1,000 steps leave memory() unchanged after warm-up", () => {
    const before = S.memory();
    let warm: ReturnType<typeof S.memory> | undefined;
    const bad: string[] = [];
    const losses = trainLosses({
      device: "cuda",
      computeDType: "bf16",
      steps: 1000,
      afterStep: (step) => {
        if (step === 9) warm = S.memory();
        else if (step > 9 && JSON.stringify(S.memory()) !== JSON.stringify(warm))
          bad.push(`step ${step}: ${JSON.stringify(S.memory())}`);
      },
    });
    expect(warm!.devices.cuda.numTensors).toBeGreaterThan(0);
    expect(bad.slice(0, 3), `warm: ${JSON.stringify(warm)}`).toEqual([]);
    expect(losses.every(Number.isFinite)).toBe(true);
    // Model, optimiser and shadows are gone once the run returns.
    expect(S.memory()).toEqual(before);
  }, 300_000);
});
