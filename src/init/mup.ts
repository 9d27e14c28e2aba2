import { ArgumentError } from "../errors.js";
import type { Module } from "../nn/module.js";
import { initConstant, initNormal, withSeed } from "./normal.js";

/** Options of initMuP(). */
export interface MuPInitOptions {
  /** Base std before width scaling (MiniCPM's initializer_range, 0.1). */
  initializerRange: number;
  /** Width multiplier m = hidden_size / dim_model_base. */
  widthMultiplier: number;
  /** Seeds the draw (the global generator's state is restored afterwards). */
  seed?: number;
}

/** Options of initStandard(). */
export interface StandardInitOptions {
  /** Std of every 2-D weight. */
  initializerRange: number;
  seed?: number;
}

function checkPositive(fn: string, name: string, value: number): void {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value))
    throw new ArgumentError(`${fn}: ${name} must be a finite number > 0, got ${String(value)}`);
}

/**
 * Every 2-D weight ~ N(0, std²); every 1-D parameter named "*.bias" is 0 and every other 1-D parameter
 * (norm scales) is 1. Parameters are visited in namedParameters() order, so a seed fixes every value.
 */
function initByRank(module: Module, std: number, seed: number | undefined): void {
  withSeed(seed, () => {
    for (const [name, p] of module.namedParameters()) {
      if (p.ndim >= 2) initNormal(p, { std });
      else initConstant(p, name === "bias" || name.endsWith(".bias") ? 0 : 1);
    }
  });
}

/**
 * μP initialisation (MiniCPM, Tensor Programs): every 2-D weight ~ N(0, (initializerRange / sqrt(m))²)
 * with m the width multiplier; norm weights 1, biases 0.
 *
 * @example
 * initMuP(model, { initializerRange: 0.1, widthMultiplier: 2304 / 256, seed: 0 });
 */
export function initMuP(module: Module, { initializerRange, widthMultiplier, seed }: MuPInitOptions): void {
  checkPositive("initMuP", "initializerRange", initializerRange);
  checkPositive("initMuP", "widthMultiplier", widthMultiplier);
  initByRank(module, initializerRange / Math.sqrt(widthMultiplier), seed);
}

/**
 * Standard (non-μP) initialisation as in Hugging Face's Llama/MiniCPM: every 2-D weight ~
 * N(0, initializerRange²); norm weights 1, biases 0.
 *
 * @example
 * initStandard(model, { initializerRange: 0.02, seed: 0 });
 */
export function initStandard(module: Module, { initializerRange, seed }: StandardInitOptions): void {
  checkPositive("initStandard", "initializerRange", initializerRange);
  initByRank(module, initializerRange, seed);
}
