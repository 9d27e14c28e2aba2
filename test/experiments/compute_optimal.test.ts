// computeOptimal's closed form against direct minimisation, and the paper's 192 tokens per parameter.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectSlmkitError } from "../helpers/expect.js";

const CHINCHILLA_IN_BILLIONS: S.ScalingLaw = {
  cN: 406.4 * 1e9 ** -0.34,
  alpha: 0.34,
  cD: 410.7 * 1e9 ** -0.28,
  beta: 0.28,
  l0: 1.69,
};

/** N (billions) minimising L(N, M/N) with M = C / 6e18, by golden-section search on ln N (L is convex in it). */
function minimiseAlongBudget(law: S.ScalingLaw, flops: number): number {
  const m = flops / 6e18;
  const loss = (lnN: number): number => law.cN * Math.exp(-law.alpha * lnN) + law.cD * (m / Math.exp(lnN)) ** -law.beta;
  const ratio = (Math.sqrt(5) - 1) / 2;
  let lo = -30;
  let hi = 30;
  while (hi - lo > 1e-12) {
    const a = hi - ratio * (hi - lo);
    const b = lo + ratio * (hi - lo);
    if (loss(a) < loss(b)) hi = b;
    else lo = a;
  }
  return Math.exp((lo + hi) / 2);
}

describe("computeOptimal", () => {
  it("matches a direct minimisation of the law along 6·N·D = C", () => {
    for (const law of [S.MINICPM_SCALING_LAW, CHINCHILLA_IN_BILLIONS]) {
      for (const flops of [1e18, 1e20, 1e21, 1e22, 1e24]) {
        const opt = S.computeOptimal(law, flops);
        // Golden section stops at 1e-12 in ln N; the minimum is flat, so allow 1e-6 relative.
        expect(Math.abs(opt.paramsBillions / minimiseAlongBudget(law, flops) - 1), `${flops}`).toBeLessThan(1e-6);
        expect(6e18 * opt.paramsBillions * opt.tokensBillions).toBeCloseTo(flops, -Math.log10(flops) + 9);
        expect(opt.tokensPerParam).toBeCloseTo(opt.tokensBillions / opt.paramsBillions, 9);
        expect(opt.loss).toBeCloseTo(S.scalingLawLoss(law, opt.paramsBillions, opt.tokensBillions), 12);
        // PAPERS.md's form: N_opt / D_opt = K²·(C/6)^η with C/6 in billion².
        const { cN, alpha, cD, beta } = law;
        const k = ((alpha * cN) / (beta * cD)) ** (1 / (alpha + beta));
        expect(
          opt.paramsBillions / opt.tokensBillions / (k * k * (flops / 6e18) ** ((beta - alpha) / (alpha + beta))) - 1,
        ).toBeCloseTo(0, 12);
      }
    }
  });

  it("gives MiniCPM's 192 tokens per parameter at 1.452e21 FLOPs (N ≈ 1.12B, D ≈ 216B)", () => {
    // Derived from the closed form with the paper's averaged constants, not taken from the paper.
    const flops = S.computeForTokensPerParam(S.MINICPM_SCALING_LAW, 192);
    expect(flops / 1.4519e21 - 1).toBeCloseTo(0, 4);
    const opt = S.computeOptimal(S.MINICPM_SCALING_LAW, flops);
    expect(opt.tokensPerParam).toBeCloseTo(192, 9);
    expect(opt.paramsBillions).toBeCloseTo(1.1226, 4);
    expect(opt.tokensBillions).toBeCloseTo(215.55, 2);
    // η < 0: the ratio grows with compute, so 192 is one budget's value, not a constant.
    expect(S.computeOptimal(S.MINICPM_SCALING_LAW, 1e20).tokensPerParam).toBeLessThan(150);
    expect(S.computeOptimal(S.MINICPM_SCALING_LAW, 1e22).tokensPerParam).toBeGreaterThan(230);
  });

  it("names the function and the argument for bad inputs", () => {
    expectSlmkitError(
      () => S.computeOptimal(S.MINICPM_SCALING_LAW, 0),
      ["computeOptimal", "flops", "got 0"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => S.computeOptimal({ ...S.MINICPM_SCALING_LAW, cD: -0.3 }, 1e21),
      ["computeOptimal", "law.cD", "got -0.3"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => S.computeForTokensPerParam(S.MINICPM_SCALING_LAW, NaN),
      ["computeForTokensPerParam", "tokensPerParam", "got NaN"],
      S.ArgumentError,
    );
    const balanced = { ...S.MINICPM_SCALING_LAW, beta: 0.29 };
    expectSlmkitError(
      () => S.computeForTokensPerParam(balanced, 20),
      ["computeForTokensPerParam", "alpha = beta", "every budget"],
      S.ArgumentError,
    );
  });
});
