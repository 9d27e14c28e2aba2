// MiniCPM's batch-size law, its inverse and its refit.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectSlmkitError } from "../helpers/expect.js";
import { gaussians } from "./synthetic.js";

const LOSSES = Array.from({ length: 12 }, (_, i) => 2.2 + 0.12 * i);

function observations(law: S.BatchSizeLaw, logSigma: number, seed: number): S.BatchSizePoint[] {
  const noise = gaussians(seed, "batch-size", LOSSES.length);
  return LOSSES.map((loss, i) => ({
    loss,
    batchTokens: S.optimalBatchSize(loss, law) * Math.exp(logSigma * noise[i]!),
  }));
}

describe("optimalBatchSize", () => {
  it("is 1.21e9 / L^6.24 tokens, about 4M at L = 2.5, and lossForBatchSize inverts it", () => {
    expect(S.optimalBatchSize(2.5)).toBeCloseTo(1.21e9 / 2.5 ** 6.24, 6);
    expect(S.optimalBatchSize(2.5)).toBeGreaterThan(3.9e6);
    expect(S.optimalBatchSize(2.5)).toBeLessThan(4.1e6);
    for (const loss of [1.8, 2.5, 3.7]) expect(S.lossForBatchSize(S.optimalBatchSize(loss))).toBeCloseTo(loss, 12);
    const law = { a: 2e9, b: 5 };
    expect(S.optimalBatchSize(2, law)).toBeCloseTo(2e9 / 32, 6);
    expect(S.lossForBatchSize(2e9 / 32, law)).toBeCloseTo(2, 12);
  });

  it("names the function and the argument for bad values", () => {
    expectSlmkitError(() => S.optimalBatchSize(0), ["optimalBatchSize", "loss", "got 0"], S.ArgumentError);
    expectSlmkitError(() => S.optimalBatchSize(NaN), ["optimalBatchSize", "loss", "got NaN"], S.ArgumentError);
    expectSlmkitError(() => S.lossForBatchSize(-1), ["lossForBatchSize", "batchTokens", "got -1"], S.ArgumentError);
  });
});

describe("fitBatchSizeLaw", () => {
  it("recovers a and b exactly from noise-free observations", () => {
    const fit = S.fitBatchSizeLaw(observations(S.MINICPM_BATCH_SIZE_LAW, 0, 0));
    expect(fit.law.a / 1.21e9 - 1).toBeCloseTo(0, 9);
    expect(fit.law.b).toBeCloseTo(6.24, 9);
    expect(fit.rSquared).toBeCloseTo(1, 12);
  });

  it("lands within 4 standard errors with 10% log-normal noise, and its 95% intervals cover 95% of 400 datasets", () => {
    const fit = S.fitBatchSizeLaw(observations(S.MINICPM_BATCH_SIZE_LAW, 0.1, 3));
    expect(Math.abs(fit.law.b - 6.24)).toBeLessThan(4 * fit.estimates.b.standardError);
    expect(Math.abs(Math.log(fit.law.a / 1.21e9))).toBeLessThan(4 * (fit.estimates.a.standardError / fit.law.a));
    expect(fit.estimates.b.standardError).toBeLessThan(0.5); // the test bites: b to within a few tenths
    expect(fit.residuals).toHaveLength(LOSSES.length);
    // ln-space residuals: the noise was 0.1 in ln(bs).
    expect(Math.max(...fit.residuals.map(Math.abs))).toBeLessThan(0.4);
    // The model is linear in (ln a, b) with Gaussian noise, so the t intervals are exact: 400 draws at
    // p = 0.95 have sd 0.011, and [0.91, 0.99] is about ±3.6 sd.
    let coverA = 0;
    let coverB = 0;
    for (let seed = 0; seed < 400; seed++) {
      const { estimates } = S.fitBatchSizeLaw(observations(S.MINICPM_BATCH_SIZE_LAW, 0.1, 100 + seed));
      if (estimates.a.ci95[0] <= 1.21e9 && 1.21e9 <= estimates.a.ci95[1]) coverA++;
      if (estimates.b.ci95[0] <= 6.24 && 6.24 <= estimates.b.ci95[1]) coverB++;
    }
    for (const cover of [coverA / 400, coverB / 400]) {
      expect(cover).toBeGreaterThan(0.91);
      expect(cover).toBeLessThan(0.99);
    }
  });

  it("names the function and the argument for bad points", () => {
    const good = observations(S.MINICPM_BATCH_SIZE_LAW, 0, 0);
    const fitOf = (points: unknown) => () => S.fitBatchSizeLaw(points as S.BatchSizePoint[]);
    expectSlmkitError(fitOf(good.slice(0, 2)), ["fitBatchSizeLaw", "points", "at least 3", "got 2"], S.ArgumentError);
    expectSlmkitError(
      fitOf([...good, { loss: 2.5, batchTokens: 0 }]),
      ["fitBatchSizeLaw", "points[12].batchTokens", "got 0"],
      S.ArgumentError,
    );
    expectSlmkitError(
      fitOf([{ loss: NaN, batchTokens: 1e6 }, ...good]),
      ["fitBatchSizeLaw", "points[0].loss", "got NaN"],
      S.ArgumentError,
    );
    const sameLoss = [1e6, 2e6, 3e6].map((batchTokens) => ({ loss: 2.5, batchTokens }));
    expectSlmkitError(fitOf(sameLoss), ["fitBatchSizeLaw", "losses", "too close"], S.ArgumentError);
  });
});
