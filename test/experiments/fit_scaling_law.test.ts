// fitScalingLaw: recovers known laws from synthetic runs, honest uncertainties, clear errors.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectSlmkitError } from "../helpers/expect.js";
import { gaussians, meanAndStdDev } from "./synthetic.js";

const KEYS = ["cN", "alpha", "cD", "beta", "l0"] as const;

// MiniCPM's design: 6 model sizes (the wind-tunnel shapes) × 6 decay branches.
const SIZES = [0.009, 0.03, 0.07, 0.1, 0.17, 0.5];
const TOKENS = [1, 2, 5, 10, 20, 50];
const GRID = SIZES.flatMap((n) => TOKENS.map((d) => ({ paramsBillions: n, tokensBillions: d })));

function runs(law: S.ScalingLaw, sigma: number, seed: number): S.ScalingLawPoint[] {
  const noise = gaussians(seed, "scaling-law", GRID.length);
  return GRID.map((p, i) => ({
    ...p,
    loss: S.scalingLawLoss(law, p.paramsBillions, p.tokensBillions) + sigma * noise[i]!,
  }));
}

// Chinchilla's law (Hoffmann et al. 2022) is stated for raw counts: A = 406.4, B = 410.7, E = 1.69.
// In billions, as ScalingLaw's doc says, cN = A·1e9^−α and cD = B·1e9^−β.
const CHINCHILLA: S.ScalingLaw = {
  cN: 406.4 * 1e9 ** -0.34,
  alpha: 0.34,
  cD: 410.7 * 1e9 ** -0.28,
  beta: 0.28,
  l0: 1.69,
};

describe("fitScalingLaw", () => {
  it("recovers the law exactly from noise-free runs", () => {
    for (const law of [S.MINICPM_SCALING_LAW, CHINCHILLA]) {
      const fit = S.fitScalingLaw(runs(law, 0, 0));
      for (const k of KEYS) expect(Math.abs(fit.law[k] / law[k] - 1), k).toBeLessThan(1e-6);
      expect(fit.rSquared).toBeGreaterThan(1 - 1e-12);
      for (const r of fit.residuals) expect(Math.abs(r)).toBeLessThan(1e-9);
    }
  });

  it("lands within 4 standard errors of the truth with σ = 0.002 loss noise", () => {
    // |error| > 4 SE has probability 6e-5 per constant when the SEs are right (checked by the next test).
    const sigma = 0.002;
    const fit = S.fitScalingLaw(runs(S.MINICPM_SCALING_LAW, sigma, 7));
    for (const k of KEYS) {
      const e = fit.estimates[k];
      expect(e.value).toBe(fit.law[k]);
      expect(Math.abs(e.value - S.MINICPM_SCALING_LAW[k]), k).toBeLessThan(4 * e.standardError);
      // ...and the SEs are small enough for that to mean something: every constant to within about 0.01.
      expect(e.standardError, k).toBeLessThan(0.015);
      expect(e.ci95[0]).toBeLessThan(S.MINICPM_SCALING_LAW[k]);
      expect(e.ci95[1]).toBeGreaterThan(S.MINICPM_SCALING_LAW[k]);
    }
    // s² ~ σ²·χ²(31)/31, whose relative spread is sqrt(2/31) ≈ 0.25: s within ±40% of σ is a > 3-sd band.
    expect(fit.residualStdDev / sigma).toBeGreaterThan(0.6);
    expect(fit.residualStdDev / sigma).toBeLessThan(1.4);
    expect(fit.residuals).toHaveLength(36);
    expect(fit.rSquared).toBeGreaterThan(0.99);
  });

  it("reports standard errors that match the spread over 300 seeded datasets, and 95% intervals that cover 95%", () => {
    const repeats = 300;
    const fits = Array.from({ length: repeats }, (_, i) =>
      S.fitScalingLaw(runs(S.MINICPM_SCALING_LAW, 0.002, 1000 + i)),
    );
    for (const k of KEYS) {
      const truth = S.MINICPM_SCALING_LAW[k];
      // A standard deviation from 300 samples is itself uncertain by about 4%; allow 20% for that and for the
      // law's nonlinearity, which the linearised SE ignores.
      const spread = meanAndStdDev(fits.map((f) => f.law[k])).stdDev;
      const meanError = meanAndStdDev(fits.map((f) => f.estimates[k].standardError)).mean;
      expect(Math.abs(meanError / spread - 1), k).toBeLessThan(0.2);
      // Coverage of 300 draws at p = 0.95 has sd 0.0126: [0.905, 0.995] is ±3.5 sd.
      const coverage =
        fits.filter((f) => f.estimates[k].ci95[0] <= truth && truth <= f.estimates[k].ci95[1]).length / repeats;
      expect(coverage, k).toBeGreaterThan(0.905);
      expect(coverage, k).toBeLessThan(0.995);
    }
  });

  it("rejects bad points with errors naming the function and the argument", () => {
    const good = runs(S.MINICPM_SCALING_LAW, 0, 0);
    const fitOf = (points: unknown) => () => S.fitScalingLaw(points as S.ScalingLawPoint[]);
    const withPoint = (i: number, patch: object) => good.map((p, j) => (j === i ? { ...p, ...patch } : p));
    expectSlmkitError(fitOf(good.slice(0, 5)), ["fitScalingLaw", "points", "at least 6", "got 5"], S.ArgumentError);
    expectSlmkitError(fitOf("runs.jsonl"), ["fitScalingLaw", "points must be an array"], S.ArgumentError);
    expectSlmkitError(
      fitOf(withPoint(3, { paramsBillions: 0 })),
      ["fitScalingLaw", "points[3].paramsBillions", "> 0", "got 0"],
      S.ArgumentError,
    );
    expectSlmkitError(
      fitOf(withPoint(4, { tokensBillions: -2 })),
      ["fitScalingLaw", "points[4].tokensBillions", "got -2"],
      S.ArgumentError,
    );
    expectSlmkitError(
      fitOf(withPoint(5, { loss: NaN })),
      ["fitScalingLaw", "points[5].loss", "got NaN"],
      S.ArgumentError,
    );
    expectSlmkitError(
      fitOf(withPoint(6, { loss: undefined })),
      ["fitScalingLaw", "points[6].loss", "got undefined"],
      S.ArgumentError,
    );
    expectSlmkitError(
      fitOf(withPoint(1, { paramsBillions: 9e6 })),
      ["fitScalingLaw", "points[1].paramsBillions", "raw count", "1e9"],
      S.ArgumentError,
    );
    expectSlmkitError(
      fitOf(withPoint(2, { tokensBillions: 2e10 })),
      ["fitScalingLaw", "points[2].tokensBillions", "raw count"],
      S.ArgumentError,
    );
    expectSlmkitError(
      fitOf([...good.slice(0, 6), null]),
      ["fitScalingLaw", "points[6] must be an object"],
      S.ArgumentError,
    );
    const oneSize = good.map((p) => ({ ...p, paramsBillions: 0.1 }));
    expectSlmkitError(fitOf(oneSize), ["fitScalingLaw", "2 distinct paramsBillions"], S.ArgumentError);
  });

  it("says when the points cannot determine all five constants", () => {
    // Two sizes and two token counts: the loss has 3 free values, not enough for 5 constants.
    const corners = [0.01, 0.1].flatMap((n) => [1, 10].map((d) => ({ paramsBillions: n, tokensBillions: d })));
    const points = [...corners, ...corners].map((p) => ({
      ...p,
      loss: S.scalingLawLoss(S.MINICPM_SCALING_LAW, p.paramsBillions, p.tokensBillions),
    }));
    expectSlmkitError(() => S.fitScalingLaw(points), ["fitScalingLaw", "do not determine"], S.ArgumentError);
  });
});

describe("scalingLawLoss", () => {
  it("evaluates the law in billions and refuses raw counts", () => {
    const { cN, alpha, cD, beta, l0 } = S.MINICPM_SCALING_LAW;
    expect(S.scalingLawLoss(S.MINICPM_SCALING_LAW, 1.2, 200)).toBeCloseTo(
      cN * 1.2 ** -alpha + cD * 200 ** -beta + l0,
      14,
    );
    expectSlmkitError(
      () => S.scalingLawLoss(S.MINICPM_SCALING_LAW, 1.2e9, 200),
      ["scalingLawLoss", "paramsBillions", "raw count"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => S.scalingLawLoss(S.MINICPM_SCALING_LAW, 1.2, 0),
      ["scalingLawLoss", "tokensBillions", "got 0"],
      S.ArgumentError,
    );
  });
});
