// Warmup and decay curves as factors in [0, 1], shared by the schedules. Progress p, q run from 0 to 1.

export const WARMUP_SHAPES = ["linear", "cosine", "1-sqrt"] as const;
export type WarmupShape = (typeof WARMUP_SHAPES)[number];

/** Rises from 0 at p = 0 to 1 at p = 1 (transformers' get_wsd_schedule warmup types). */
export function warmupFactor(shape: WarmupShape, p: number): number {
  if (shape === "linear") return p;
  if (shape === "cosine") return 0.5 * (1 - Math.cos(Math.PI * p));
  return 1 - Math.sqrt(1 - p);
}

export const DECAY_SHAPES = ["linear", "cosine", "1-sqrt"] as const;
export type DecayShape = (typeof DECAY_SHAPES)[number];

/** Falls from 1 at q = 0 to 0 at q = 1 (transformers' get_wsd_schedule decay types, one half cosine). */
export function decayFactor(shape: DecayShape, q: number): number {
  if (shape === "linear") return 1 - q;
  if (shape === "cosine") return 0.5 * (1 + Math.cos(Math.PI * q));
  return 1 - Math.sqrt(q);
}

/** Linear warmup from 0 as transformers counts it: step s < W gives s / W, so step 0 trains at 0. */
export function linearWarmup(step: number, warmupSteps: number): number {
  return step / Math.max(1, warmupSteps);
}
