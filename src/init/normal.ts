import { ArgumentError } from "../errors.js";
import { full, randn } from "../ops/creation.js";
import { getRngState, manualSeed, setRngState } from "../ops/random_state.js";
import { copyInto } from "../nn/copy.js";
import { noGrad } from "../tensor/graph.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * Runs `fn` with the global generator seeded with `seed` and puts the previous generator state back
 * afterwards, so seeded initialisation is reproducible without disturbing other random streams. Without a
 * seed `fn` simply draws from the global generator (reproducible under manualSeed()).
 *
 * @example
 * withSeed(7, () => initNormal(w, { std: 0.02 }));
 */
export function withSeed<T>(seed: number | undefined, fn: () => T): T {
  if (seed === undefined) return fn();
  const saved = getRngState();
  manualSeed(seed);
  try {
    return fn();
  } finally {
    setRngState(saved);
  }
}

/**
 * Overwrites `t` in place with N(mean, std²) samples from the library's generator.
 *
 * @example
 * initNormal(linear.weight, { std: 0.02 });
 */
export function initNormal(t: Tensor, { mean = 0, std = 1 }: { mean?: number; std?: number } = {}): void {
  if (typeof std !== "number" || !(std >= 0) || !Number.isFinite(std))
    throw new ArgumentError(`initNormal: std must be a finite number >= 0, got ${String(std)}`);
  if (typeof mean !== "number" || !Number.isFinite(mean))
    throw new ArgumentError(`initNormal: mean must be a finite number, got ${String(mean)}`);
  noGrad(() => {
    const sample =
      std === 0 ? full(t.shape, mean, { device: t.device }) : randn(t.shape, { mean, std, device: t.device });
    copyInto(t, sample, "initNormal");
    sample.dispose();
  });
}

/**
 * Overwrites `t` in place with a constant.
 *
 * @example
 * initConstant(norm.weight, 1);
 */
export function initConstant(t: Tensor, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new ArgumentError(`initConstant: value must be a finite number, got ${String(value)}`);
  noGrad(() => {
    const filled = full(t.shape, value, { device: t.device });
    copyInto(t, filled, "initConstant");
    filled.dispose();
  });
}
