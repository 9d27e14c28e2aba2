// Levenberg–Marquardt for small nonlinear least-squares problems: minimise Σ r_i(x)² over a few parameters.
import { normalEquations, solveSymmetricPositive } from "./symmetric_solve.js";

/** Residuals r(x) (model − observation, one per point) and their Jacobian ∂r_i/∂x_j (one row per point). */
export interface LeastSquaresProblem {
  residuals(x: readonly number[]): number[];
  jacobian(x: readonly number[]): number[][];
}

export interface LeastSquaresSolution {
  x: number[];
  residuals: number[];
  /** The Jacobian at x, for the parameters' covariance. */
  jacobian: number[][];
  /** Σ r_i² at x. */
  sse: number;
  /** False when maxIterations ran out before a stopping test held. */
  converged: boolean;
}

export interface LevenbergMarquardtOptions {
  /** Default 500. */
  maxIterations?: number;
  /** Stop when no parameter moves by more than this fraction of itself. Default 1e-12. */
  relativeStep?: number;
}

const sumOfSquares = (r: readonly number[]): number => r.reduce((s, v) => s + v * v, 0);

/**
 * Minimises Σ r_i(x)² from `start`. The damping is Marquardt's (μ times the diagonal of JᵀJ), so the steps do
 * not depend on the parameters' units; μ follows Nielsen's update from the gain ratio.
 */
export function levenbergMarquardt(
  problem: LeastSquaresProblem,
  start: readonly number[],
  options: LevenbergMarquardtOptions = {},
): LeastSquaresSolution {
  const maxIterations = options.maxIterations ?? 500;
  const relativeStep = options.relativeStep ?? 1e-12;
  let x = [...start];
  let r = problem.residuals(x);
  let sse = sumOfSquares(r);
  let jacobian = problem.jacobian(x);
  let mu = 1e-3;
  let nu = 2;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (sse === 0) return { x, residuals: r, jacobian, sse, converged: true };
    const { jtj, jtr } = normalEquations(jacobian, r);
    const damped = jtj.map((row, i) => row.map((v, j) => (i === j ? v * (1 + mu) : v)));
    const descent = jtr.map((g) => -g);
    const step = solveSymmetricPositive(damped, descent);
    // A step that cannot be computed: damping already dominates, x is as good as working precision allows.
    if (step === undefined) return { x, residuals: r, jacobian, sse, converged: true };
    const tiny = step.every((h, j) => Math.abs(h) <= relativeStep * (Math.abs(x[j]!) + relativeStep));
    const candidate = x.map((v, j) => v + step[j]!);
    const candidateR = problem.residuals(candidate);
    const candidateSse = sumOfSquares(candidateR);
    // Decrease the linear model predicts: hᵀ(μ·diag(JᵀJ)·h − Jᵀr).
    const predicted = step.reduce((s, h, j) => s + h * (mu * jtj[j]![j]! * h - jtr[j]!), 0);
    const gain = (sse - candidateSse) / predicted;
    if (Number.isFinite(candidateSse) && gain > 0) {
      x = candidate;
      r = candidateR;
      sse = candidateSse;
      jacobian = problem.jacobian(x);
      mu *= Math.max(1 / 3, 1 - (2 * gain - 1) ** 3);
      nu = 2;
      if (tiny) return { x, residuals: r, jacobian, sse, converged: true };
    } else {
      if (tiny) return { x, residuals: r, jacobian, sse, converged: true };
      mu *= nu;
      nu *= 2;
    }
  }
  return { x, residuals: r, jacobian, sse, converged: false };
}
