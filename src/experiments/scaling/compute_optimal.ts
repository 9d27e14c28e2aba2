// Compute-optimal model size and data for a scaling law under the budget C = 6·N·D FLOPs.
import { ArgumentError } from "../../errors.js";
import { checkPositive } from "../fit/check_arguments.js";
import type { ScalingLaw } from "./scaling_law.js";

/** FLOPs per (billion parameters × billion tokens): C = 6·N·D with N and D in billions is in units of 1e18. */
const FLOPS_PER_BILLION_SQUARED = 6e18;

export interface ComputeOptimal {
  flops: number;
  paramsBillions: number;
  tokensBillions: number;
  /** tokensBillions / paramsBillions. */
  tokensPerParam: number;
  /** The law's loss at the optimum. */
  loss: number;
}

/** K, η of the closed form N_opt/D_opt = K²·(C/6)^η, after checking that the law has a finite optimum. */
function closedForm(fn: string, law: ScalingLaw): { k: number; eta: number } {
  for (const p of ["cN", "alpha", "cD", "beta"] as const) checkPositive(fn, `law.${p}`, law[p]);
  const sum = law.alpha + law.beta;
  return { k: ((law.alpha * law.cN) / (law.beta * law.cD)) ** (1 / sum), eta: (law.beta - law.alpha) / sum };
}

/**
 * The N and D (in billions) that minimise the law's loss for a budget of `flops` = 6·N·D (raw FLOPs, e.g.
 * 1e21). Closed form (MiniCPM): N_opt = K·M^(β/(α+β)), D_opt = M / N_opt with M = C/6 in billion²,
 * K = (α·C_N / (β·C_D))^(1/(α+β)), so N_opt/D_opt = K²·M^η with η = (β − α)/(α + β).
 * Tokens per parameter depend on the budget unless α = β; for MINICPM_SCALING_LAW (η = −0.06/0.52 ≈ −0.115)
 * they grow with it: about 83 at 1e18 FLOPs, 141 at 1e20, 184 at 1e21, 240 at 1e22. The paper's 192 holds at
 * 1.45e21 FLOPs (N_opt ≈ 1.12B, D_opt ≈ 216B: the scale of MiniCPM-1.2B); see `computeForTokensPerParam`.
 *
 * @example
 * const opt = computeOptimal(MINICPM_SCALING_LAW, 1e21);
 * console.log(opt.paramsBillions, opt.tokensBillions, opt.tokensPerParam);
 */
export function computeOptimal(law: ScalingLaw, flops: number): ComputeOptimal {
  const fn = "computeOptimal";
  const { k } = closedForm(fn, law);
  const m = checkPositive(fn, "flops", flops) / FLOPS_PER_BILLION_SQUARED;
  const paramsBillions = k * m ** (law.beta / (law.alpha + law.beta));
  const tokensBillions = m / paramsBillions;
  return {
    flops,
    paramsBillions,
    tokensBillions,
    tokensPerParam: tokensBillions / paramsBillions,
    loss: law.cN * paramsBillions ** -law.alpha + law.cD * tokensBillions ** -law.beta + law.l0,
  };
}

/**
 * The budget in FLOPs at which the compute-optimal model sees `tokensPerParam` tokens per parameter:
 * from D/N = K⁻²·M^−η, M = (tokensPerParam·K²)^(−1/η) and C = 6·M (×1e18). Throws when α = β (η = 0),
 * where the ratio is K⁻² at every budget.
 *
 * @example
 * computeForTokensPerParam(MINICPM_SCALING_LAW, 192); // ≈ 1.452e21 FLOPs, where the paper's ratio holds
 * computeForTokensPerParam(MINICPM_SCALING_LAW, 20);  // ≈ 4.5e12 FLOPs: Chinchilla's ratio only at toy scale
 */
export function computeForTokensPerParam(law: ScalingLaw, tokensPerParam: number): number {
  const fn = "computeForTokensPerParam";
  const { k, eta } = closedForm(fn, law);
  checkPositive(fn, "tokensPerParam", tokensPerParam);
  if (eta === 0)
    throw new ArgumentError(`${fn}: law has alpha = beta, so every budget gives ${1 / (k * k)} tokens per parameter`);
  return FLOPS_PER_BILLION_SQUARED * (tokensPerParam * k * k) ** (-1 / eta);
}
