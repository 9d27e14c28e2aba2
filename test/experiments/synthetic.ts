// Seeded synthetic observations for the scaling-law tests.
import { CounterRandom } from "../../src/data/seeded_random.js";

/** Standard normal draws, reproducible from (seed, tag): Box–Muller on counter-based uniforms. */
export function gaussians(seed: number, tag: string, count: number): number[] {
  const random = new CounterRandom(seed, tag);
  return Array.from({ length: count }, (_, i) => {
    const u1 = 1 - random.uniform(2 * i); // in (0, 1], so the log is finite
    const u2 = random.uniform(2 * i + 1);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  });
}

/** Sample mean and standard deviation. */
export function meanAndStdDev(values: readonly number[]): { mean: number; stdDev: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, stdDev: Math.sqrt(variance) };
}
