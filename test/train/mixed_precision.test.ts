// bf16 compute on the CPU: a short MiniCPM training run tracks the f32 run's loss curve, converges, and
// its steps leak nothing (the same run on CUDA is in test/cuda/training.test.ts and test/cuda/leak.test.ts).
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { mean, trainLosses } from "./convergence.js";

const STEPS = 100;

describe("mixed-precision training (CPU)", () => {
  it("bf16 compute follows the f32 loss curve and converges", () => {
    const f32 = trainLosses({ device: "cpu", computeDType: "f32", steps: STEPS });
    const bf16 = trainLosses({ device: "cpu", computeDType: "bf16", steps: STEPS });
    // bf16 rounds activations and the weights the matmuls see by up to u = 2^-8 relative, independently
    // per element, so the batch-mean loss moves by a small fraction of u per step and the runs drift apart
    // only slowly: every step within 2%, every 10-step mean within 1% (measured here: under 0.2%).
    bf16.forEach((l, i) => expect(Math.abs(l - f32[i]!), `step ${i}`).toBeLessThanOrEqual(0.02 * f32[i]!));
    for (let i = 0; i < STEPS; i += 10)
      expect(Math.abs(mean(bf16, i, i + 10) - mean(f32, i, i + 10))).toBeLessThanOrEqual(0.01 * mean(f32, i, i + 10));
    // The first step is the same model on the same batch: only the bf16 forward differs.
    expect(Math.abs(bf16[0]! - f32[0]!)).toBeLessThanOrEqual(4 * 2 ** -8 * f32[0]!);
    // Converged: from ln(64) = 4.16 at the start to near the data's floor (every 7th token is random).
    expect(mean(bf16, STEPS - 10)).toBeLessThan(0.3 * bf16[0]!);
  });

  it("bf16 training steps leak nothing after warm-up", () => {
    let warm: ReturnType<typeof S.memory> | undefined;
    trainLosses({
      device: "cpu",
      computeDType: "bf16",
      steps: 30,
      afterStep: (step) => {
        if (step === 4) warm = S.memory();
        if (step > 4) expect(S.memory(), `after step ${step}`).toEqual(warm);
      },
    });
  });
});
