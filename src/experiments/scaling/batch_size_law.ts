// MiniCPM's batch-size law: the batch size (in tokens) that trains fastest to a target loss, bs = a / L^b.
import { ArgumentError } from "../../errors.js";
import { checkPositive, positiveColumns } from "../fit/check_arguments.js";
import { type ParameterEstimate, parameterEstimates, rSquared } from "../fit/parameter_estimate.js";

/** bs_tokens = a / L^b, L being the (C4) loss the run is heading for. */
export interface BatchSizeLaw {
  readonly a: number;
  readonly b: number;
}

/** MiniCPM's fit (Hu et al. 2024): bs = 1.21e9 / L^6.24 tokens, about 4M tokens at L = 2.5. */
export const MINICPM_BATCH_SIZE_LAW: BatchSizeLaw = Object.freeze({ a: 1.21e9, b: 6.24 });

/** One observation: at target loss `loss`, `batchTokens` was the best batch size (in tokens, not sequences). */
export interface BatchSizePoint {
  loss: number;
  batchTokens: number;
}

export interface BatchSizeLawFit {
  law: BatchSizeLaw;
  /**
   * `b` is fitted directly; `a` is fitted as ln a, so its interval is exp of ln a's (asymmetric) and its
   * standard error is the delta method's a·SE(ln a).
   */
  estimates: { a: ParameterEstimate; b: ParameterEstimate };
  /** ln(observed) − ln(predicted) per point, in input order: the fit is in log space. */
  residuals: number[];
  /** R² of ln(batchTokens). */
  rSquared: number;
}

/**
 * The batch size in tokens that reaches `loss` fastest: a / loss^b.
 *
 * @example
 * optimalBatchSize(2.5); // ≈ 3.98e6 tokens: with 4096-token sequences, about 970 sequences a step
 */
export function optimalBatchSize(loss: number, law: BatchSizeLaw = MINICPM_BATCH_SIZE_LAW): number {
  checkPositive("optimalBatchSize", "loss", loss);
  return law.a / loss ** law.b;
}

/**
 * The inverse of `optimalBatchSize`: the loss at which `batchTokens` is the best batch size, (a / bs)^(1/b).
 * A run whose loss falls below it has outgrown its batch.
 *
 * @example
 * lossForBatchSize(4e6); // ≈ 2.498
 */
export function lossForBatchSize(batchTokens: number, law: BatchSizeLaw = MINICPM_BATCH_SIZE_LAW): number {
  checkPositive("lossForBatchSize", "batchTokens", batchTokens);
  return (law.a / batchTokens) ** (1 / law.b);
}

/**
 * Refits bs = a / L^b to your own observations by least squares in log space (ln bs = ln a − b·ln L), with
 * standard errors and 95% intervals. Needs at least 3 points at 2 or more distinct losses.
 *
 * @example
 * const fit = fitBatchSizeLaw([
 *   { loss: 3.4, batchTokens: 0.61e6 }, { loss: 3.0, batchTokens: 1.3e6 },
 *   { loss: 2.8, batchTokens: 1.9e6 }, { loss: 2.6, batchTokens: 3.2e6 },
 * ]);
 * console.log(fit.law.b, fit.estimates.b.ci95, optimalBatchSize(2.4, fit.law));
 */
export function fitBatchSizeLaw(points: readonly BatchSizePoint[]): BatchSizeLawFit {
  const fn = "fitBatchSizeLaw";
  const { loss, batchTokens } = positiveColumns(fn, points, ["loss", "batchTokens"], 2);
  const x = loss.map(Math.log);
  const y = batchTokens.map(Math.log);
  const n = x.length;
  const meanX = x.reduce((s, v) => s + v, 0) / n;
  const meanY = y.reduce((s, v) => s + v, 0) / n;
  const sxx = x.reduce((s, v) => s + (v - meanX) ** 2, 0);
  const slope = x.reduce((s, v, i) => s + (v - meanX) * (y[i]! - meanY), 0) / sxx;
  const logA = meanY - slope * meanX;
  const residuals = y.map((v, i) => v - (logA + slope * x[i]!));
  const sse = residuals.reduce((s, v) => s + v * v, 0);
  // Residuals y − (ln a + m·x) have Jacobian −[1, x] in (ln a, m); the sign does not enter the covariance.
  const jacobian = x.map((v) => [1, v]);
  const estimates = parameterEstimates([logA, slope], jacobian, sse);
  if (estimates === undefined) {
    throw new ArgumentError(
      `${fn}: the losses in points are too close together to determine b; spread them (e.g. 2.6 to 3.4)`,
    );
  }
  const [logAEstimate, slopeEstimate] = estimates as [ParameterEstimate, ParameterEstimate];
  const a = Math.exp(logA);
  return {
    law: { a, b: -slope },
    estimates: {
      a: {
        value: a,
        standardError: a * logAEstimate.standardError,
        ci95: [Math.exp(logAEstimate.ci95[0]), Math.exp(logAEstimate.ci95[1])],
      },
      b: {
        value: -slope,
        standardError: slopeEstimate.standardError,
        ci95: [-slopeEstimate.ci95[1], -slopeEstimate.ci95[0]],
      },
    },
    residuals,
    rSquared: rSquared(y, residuals),
  };
}
