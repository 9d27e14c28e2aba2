// Standard errors and confidence intervals of least-squares parameters from the Jacobian at the optimum.
import { invertSymmetricPositive, normalEquations } from "./symmetric_solve.js";
import { studentTCriticalValue } from "./student_t.js";

/** A fitted parameter with its uncertainty. */
export interface ParameterEstimate {
  value: number;
  standardError: number;
  /** 95% confidence interval [low, high]. */
  ci95: readonly [number, number];
}

/**
 * Estimates from the usual linearised covariance s²·(JᵀJ)⁻¹ with s² = SSE / (n − p), and 95% intervals
 * value ± t(0.975, n − p)·SE: exact for models linear in their parameters with Gaussian noise, first-order
 * accurate otherwise. Undefined when JᵀJ is singular (the data do not determine every parameter).
 */
export function parameterEstimates(
  values: readonly number[],
  jacobian: readonly (readonly number[])[],
  sse: number,
): ParameterEstimate[] | undefined {
  const dof = jacobian.length - values.length;
  const { jtj } = normalEquations(jacobian, new Array<number>(jacobian.length).fill(0));
  const inverse = invertSymmetricPositive(jtj);
  if (inverse === undefined) return undefined;
  const variance = sse / dof;
  const t = studentTCriticalValue(0.95, dof);
  return values.map((value, i) => {
    const standardError = Math.sqrt(variance * inverse[i]![i]!);
    return { value, standardError, ci95: [value - t * standardError, value + t * standardError] as const };
  });
}

/** 1 − SSE/SST: the fraction of the observations' variance the model explains. */
export function rSquared(observations: readonly number[], residuals: readonly number[]): number {
  const mean = observations.reduce((s, v) => s + v, 0) / observations.length;
  const sst = observations.reduce((s, v) => s + (v - mean) ** 2, 0);
  return 1 - residuals.reduce((s, v) => s + v * v, 0) / sst;
}
