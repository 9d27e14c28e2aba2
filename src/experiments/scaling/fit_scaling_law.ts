// Fits the data–model scaling law L(N, D) = C_N·N^−α + C_D·D^−β + L0 to (N, D, loss) observations.
import { ArgumentError, SlmkitError } from "../../errors.js";
import { positiveColumns } from "../fit/check_arguments.js";
import { levenbergMarquardt } from "../fit/levenberg_marquardt.js";
import { type ParameterEstimate, parameterEstimates, rSquared } from "../fit/parameter_estimate.js";
import { solveSymmetricPositive } from "../fit/symmetric_solve.js";
import { type ScalingLaw, checkParamsBillions, checkTokensBillions } from "./scaling_law.js";

/** One finished run: a model of `paramsBillions` non-embedding parameters trained on `tokensBillions`, its final `loss`. */
export interface ScalingLawPoint {
  paramsBillions: number;
  tokensBillions: number;
  loss: number;
}

export interface ScalingLawFit {
  /** The best-fit constants, ready for `scalingLawLoss` and `computeOptimal`. */
  law: ScalingLaw;
  /** Each constant with its standard error and 95% interval (from the Jacobian at the optimum). */
  estimates: Record<keyof ScalingLaw, ParameterEstimate>;
  /** Observed − predicted loss per point, in input order. */
  residuals: number[];
  rSquared: number;
  /** sqrt(SSE / (n − 5)): the noise level the fit implies, in loss units. */
  residualStdDev: number;
}

/** cN, alpha, cD, beta, l0: the order of the parameter vector in the fit. */
const PARAMETER_COUNT = 5;

const MORE_POINTS = "use more model sizes and token counts (MiniCPM: 6 × 6)";

/** Exponents tried for a starting point; the law is linear in cN, cD and l0 once alpha and beta are fixed. */
const EXPONENT_GRID = Array.from({ length: 40 }, (_, i) => 0.05 * (i + 1));

/**
 * Fits L(N, D) = cN·N^−alpha + cD·D^−beta + l0 by nonlinear least squares in loss, N and D in billions.
 * Starts from the best point of a grid over (alpha, beta) in [0.05, 2] with cN, cD, l0 solved by linear
 * least squares at each, preferring starts with cN, cD > 0, then refines all five by Levenberg–Marquardt.
 * Needs at least 6 points spread over several model sizes and token counts (MiniCPM used 6 sizes × 6
 * decay branches of WSD runs); the standard errors say whether they determine the law.
 *
 * @example
 * const points = [];
 * for (const n of [0.009, 0.03, 0.07, 0.1, 0.2, 0.5]) for (const d of [1, 2, 5, 10, 20, 50])
 *   points.push({ paramsBillions: n, tokensBillions: d, loss: scalingLawLoss(MINICPM_SCALING_LAW, n, d) });
 * const fit = fitScalingLaw(points);
 * console.log(fit.law.alpha, fit.estimates.alpha.ci95, computeOptimal(fit.law, 1e21).tokensPerParam);
 */
export function fitScalingLaw(points: readonly ScalingLawPoint[]): ScalingLawFit {
  const fn = "fitScalingLaw";
  const columns = positiveColumns(fn, points, ["paramsBillions", "tokensBillions", "loss"], PARAMETER_COUNT);
  const n = columns.paramsBillions.map((v, i) => checkParamsBillions(fn, `points[${i}].paramsBillions`, v));
  const d = columns.tokensBillions.map((v, i) => checkTokensBillions(fn, `points[${i}].tokensBillions`, v));
  const loss = columns.loss;
  checkDistinct(fn, "paramsBillions", n);
  checkDistinct(fn, "tokensBillions", d);
  const lnN = n.map(Math.log);
  const lnD = d.map(Math.log);
  const solution = levenbergMarquardt(
    {
      residuals: ([cN, alpha, cD, beta, l0]) =>
        loss.map((y, i) => cN! * Math.exp(-alpha! * lnN[i]!) + cD! * Math.exp(-beta! * lnD[i]!) + l0! - y),
      jacobian: ([cN, alpha, cD, beta]) =>
        loss.map((_, i) => {
          const termN = Math.exp(-alpha! * lnN[i]!);
          const termD = Math.exp(-beta! * lnD[i]!);
          return [termN, -cN! * termN * lnN[i]!, termD, -cD! * termD * lnD[i]!, 1];
        }),
    },
    gridStart(lnN, lnD, loss),
  );
  if (!solution.converged) {
    throw new SlmkitError(`${fn}: Levenberg–Marquardt did not converge; do points follow a power law in N and D?`);
  }
  const estimates = parameterEstimates(solution.x, solution.jacobian, solution.sse);
  if (estimates === undefined) {
    throw new ArgumentError(`${fn}: points do not determine all five constants; ${MORE_POINTS}`);
  }
  const residuals = solution.residuals.map((r) => -r);
  const [cN, alpha, cD, beta, l0] = estimates;
  return {
    law: { cN: cN!.value, alpha: alpha!.value, cD: cD!.value, beta: beta!.value, l0: l0!.value },
    estimates: { cN: cN!, alpha: alpha!, cD: cD!, beta: beta!, l0: l0! },
    residuals,
    rSquared: rSquared(loss, residuals),
    residualStdDev: Math.sqrt(solution.sse / (loss.length - PARAMETER_COUNT)),
  };
}

/** [cN, alpha, cD, beta, l0] at the grid point with the least squared error (positive cN and cD first). */
function gridStart(lnN: readonly number[], lnD: readonly number[], loss: readonly number[]): number[] {
  let best: { x: number[]; sse: number; positive: boolean } | undefined;
  for (const alpha of EXPONENT_GRID) {
    const u = lnN.map((v) => Math.exp(-alpha * v));
    for (const beta of EXPONENT_GRID) {
      const v = lnD.map((w) => Math.exp(-beta * w));
      const rows = u.map((ui, i) => [ui, v[i]!, 1]);
      const ata = [0, 1, 2].map((j) => [0, 1, 2].map((k) => rows.reduce((s, r) => s + r[j]! * r[k]!, 0)));
      const aty = [0, 1, 2].map((j) => rows.reduce((s, r, i) => s + r[j]! * loss[i]!, 0));
      const c = solveSymmetricPositive(ata, aty);
      if (c === undefined) continue;
      const [cN, cD, l0] = c as [number, number, number];
      const sse = rows.reduce((s, r, i) => s + (cN * r[0]! + cD * r[1]! + l0 - loss[i]!) ** 2, 0);
      const positive = cN > 0 && cD > 0;
      if (best === undefined || (positive && !best.positive) || (positive === best.positive && sse < best.sse)) {
        best = { x: [cN, alpha, cD, beta, l0], sse, positive };
      }
    }
  }
  // Only when every grid system is singular, i.e. N or D columns collinear with the constant.
  if (best === undefined) throw new ArgumentError(`fitScalingLaw: points fit no law at any exponent; ${MORE_POINTS}`);
  return best.x;
}

/** An exponent needs at least two distinct values of its variable. */
function checkDistinct(fn: string, name: string, values: readonly number[]): void {
  if (new Set(values).size < 2) {
    throw new ArgumentError(
      `${fn}: points need at least 2 distinct ${name} to fit its exponent, got only ${values[0]}`,
    );
  }
}
