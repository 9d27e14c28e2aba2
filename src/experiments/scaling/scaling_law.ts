// The data–model scaling law L(N, D) = C_N·N^−α + C_D·D^−β + L0, with N and D in billions.
import { ArgumentError } from "../../errors.js";
import { checkPositive } from "../fit/check_arguments.js";

/**
 * L(N, D) = cN·N^−alpha + cD·D^−beta + l0 with N = non-embedding parameters in billions and D = training
 * tokens in billions, the units of the MiniCPM paper. cN and cD are tied to those units: with raw counts
 * they would be cN·1e9^alpha and cD·1e9^beta.
 */
export interface ScalingLaw {
  readonly cN: number;
  readonly alpha: number;
  readonly cD: number;
  readonly beta: number;
  readonly l0: number;
}

/** MiniCPM's averaged fit (Hu et al. 2024): L = 0.0715·N^−0.29 + 0.300·D^−0.23 + 0.31, N and D in billions. */
export const MINICPM_SCALING_LAW: ScalingLaw = Object.freeze({
  cN: 0.0715,
  alpha: 0.29,
  cD: 0.3,
  beta: 0.23,
  l0: 0.31,
});

/**
 * Above these, a count "in billions" is surely a raw count (1e14 parameters, 1e15 tokens): refusing it
 * catches the commonest unit mistake, which would otherwise give a fit that looks fine and means nothing.
 */
const MAX_PARAMS_BILLIONS = 1e5;
const MAX_TOKENS_BILLIONS = 1e6;

/** Checks a parameter count in billions (> 0, finite, not a raw count). */
export function checkParamsBillions(fn: string, name: string, value: unknown): number {
  const v = checkPositive(fn, name, value);
  if (v >= MAX_PARAMS_BILLIONS) {
    throw new ArgumentError(
      `${fn}: ${name} is in billions of parameters, got ${v}, which looks like a raw count; divide it by 1e9`,
    );
  }
  return v;
}

/** Checks a token count in billions (> 0, finite, not a raw count). */
export function checkTokensBillions(fn: string, name: string, value: unknown): number {
  const v = checkPositive(fn, name, value);
  if (v >= MAX_TOKENS_BILLIONS) {
    throw new ArgumentError(
      `${fn}: ${name} is in billions of tokens, got ${v}, which looks like a raw count; divide it by 1e9`,
    );
  }
  return v;
}

/**
 * The loss the law predicts for a model of `paramsBillions` trained on `tokensBillions`.
 *
 * @example
 * scalingLawLoss(MINICPM_SCALING_LAW, 1.2, 200); // ≈ 0.467 for 1.2B parameters trained on 200B tokens
 */
export function scalingLawLoss(law: ScalingLaw, paramsBillions: number, tokensBillions: number): number {
  const n = checkParamsBillions("scalingLawLoss", "paramsBillions", paramsBillions);
  const d = checkTokensBillions("scalingLawLoss", "tokensBillions", tokensBillions);
  return law.cN * n ** -law.alpha + law.cD * d ** -law.beta + law.l0;
}
